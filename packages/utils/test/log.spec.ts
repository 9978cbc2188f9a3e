import { describe, expect, it } from 'vitest'
import { logWarning } from '../src/index.js'

function recorder (withWarn: boolean): { log: any, lines: Array<[string, unknown[]]> } {
  const lines: Array<[string, unknown[]]> = []
  const log: any = (f: string, ...a: unknown[]) => { lines.push(['debug', [f, ...a]]) }
  log.error = (f: string, ...a: unknown[]) => { lines.push(['error', [f, ...a]]) }
  if (withWarn) log.warn = (f: string, ...a: unknown[]) => { lines.push(['warn', [f, ...a]]) }
  return { log, lines }
}

describe('logWarning', () => {
  it('logs at warn level when the logger has one', () => {
    const { log, lines } = recorder(true)
    logWarning(log, 'fell back for %s - %e', 'k', new Error('x'))
    expect(lines).toHaveLength(1)
    expect(lines[0][0]).toBe('warn')
    expect(lines[0][1].slice(0, 2)).toEqual(['fell back for %s - %e', 'k'])
  })

  it('logs at the default level, never at error, when it has none', () => {
    const { log, lines } = recorder(false)
    logWarning(log, 'dropped %d', 3)
    expect(lines).toEqual([['debug', ['dropped %d', 3]]])
  })
})
