import { describe, expect, it, vi } from 'vitest'
import { deadline, Tasks } from '../src/tasks.js'

function recorder (): { log: any, errors: unknown[][] } {
  const errors: unknown[][] = []
  const log: any = () => {}
  log.error = (...args: unknown[]) => { errors.push(args) }
  log.trace = () => {}
  return { log, errors }
}

describe('Tasks', () => {
  it('has no signal before open, aborts it on close and waits for the work in flight', async () => {
    const { log } = recorder()
    const tasks = new Tasks(log)
    expect(tasks.signal).toBeUndefined()
    expect(tasks.stopping()).toBe(false)
    tasks.open()
    expect(tasks.signal?.aborted).toBe(false)
    let finished = false
    tasks.track(new Promise<void>(resolve => { tasks.signal!.addEventListener('abort', () => { setImmediate(() => { finished = true; resolve() }) }) }))
    await tasks.close()
    expect(finished).toBe(true)
    expect(tasks.stopping()).toBe(true)
    tasks.open()
    expect(tasks.stopping()).toBe(false)
  })

  it('logs a background failure with %e, but not an abort while stopping', async () => {
    const { log, errors } = recorder()
    const tasks = new Tasks(log)
    tasks.open()
    const boom = new Error('boom')
    tasks.background(Promise.reject(boom))
    await vi.waitFor(() => { expect(errors).toEqual([['background replication task failed - %e', boom]]) })
    // an abort while running is logged too: it is not the shutdown
    const early = Object.assign(new Error('early'), { name: 'AbortError' })
    tasks.background(Promise.reject(early))
    await vi.waitFor(() => { expect(errors).toHaveLength(2) })
    await tasks.close()
    tasks.background(Promise.reject(Object.assign(new Error('stopped'), { name: 'AbortError' })))
    tasks.background(Promise.reject(Object.assign(new Error('late'), { name: 'TimeoutError' })))
    await new Promise(resolve => setImmediate(resolve))
    expect(errors).toHaveLength(2)
  })

  it('run names the operation in its TimeoutError and AbortError', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const { log } = recorder()
      const tasks = new Tasks(log)
      tasks.open()
      const never = async (): Promise<never> => new Promise<never>(() => {})
      const slow = tasks.run('check(/k)', 50, [], never)
      const timedOut = expect(slow).rejects.toMatchObject({ name: 'TimeoutError', message: 'check(/k) timed out after 50 ms' })
      await vi.advanceTimersByTimeAsync(50)
      await timedOut
      const caller = new AbortController()
      const aborted = tasks.run('repair(/k)', 1_000, [caller.signal], never)
      caller.abort()
      await expect(aborted).rejects.toMatchObject({ name: 'AbortError', message: 'repair(/k) was aborted' })
      const stopped = tasks.run('reprovide(/k)', 1_000, [], never)
      await tasks.close()
      await expect(stopped).rejects.toMatchObject({ name: 'AbortError', message: 'reprovide(/k) was aborted' })
      await expect(tasks.run('late', 1_000, [], async () => 1)).rejects.toMatchObject({ name: 'AbortError' })
      await expect(deadline('ok', 1_000, [], async () => 7)).resolves.toBe(7)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})
