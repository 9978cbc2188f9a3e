import { describe, expect, it } from 'vitest'
import { PriorityQueue } from '../src/priority-queue.js'

function deferred (): { promise: Promise<void>, resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>(r => { resolve = r })
  return { promise, resolve }
}

describe('PriorityQueue', () => {
  it('runs at most `concurrency` jobs, then the highest priority waiting, equal priorities in order', async () => {
    const q = new PriorityQueue(2)
    const started: string[] = []
    const gates = new Map<string, ReturnType<typeof deferred>>()
    const job = (name: string, priority: number): Promise<string> => {
      const g = deferred()
      gates.set(name, g)
      return q.add(priority, async () => { started.push(name); await g.promise; return name })
    }
    const results = [job('a', 0), job('b', 0), job('low', 1), job('high', 9), job('low2', 1)]
    await Promise.resolve()
    await Promise.resolve()
    expect(started).toEqual(['a', 'b'])
    expect(q.running).toBe(2)
    expect(q.size).toBe(3)
    gates.get('a')!.resolve()
    await results[0]
    await new Promise(resolve => setImmediate(resolve))
    expect(started).toEqual(['a', 'b', 'high'])
    for (const g of gates.values()) g.resolve()
    expect(await Promise.all(results)).toEqual(['a', 'b', 'low', 'high', 'low2'])
    expect(started).toEqual(['a', 'b', 'high', 'low', 'low2'])
    expect(q.maxRunning).toBe(2)
    expect(q.running).toBe(0)
    expect(q.size).toBe(0)
  })

  it('passes a job\'s rejection to its caller and goes on with the next', async () => {
    const q = new PriorityQueue(1)
    const failing = q.add(1, async () => { throw new Error('boom') })
    const next = q.add(0, async () => 'next')
    await expect(failing).rejects.toThrow('boom')
    await expect(next).resolves.toBe('next')
  })

  it('clear() rejects every waiting job with AbortError and lets the running one finish', async () => {
    const q = new PriorityQueue(1)
    const g = deferred()
    const running = q.add(0, async () => { await g.promise; return 'done' })
    const waiting = [q.add(5, async () => 'never'), q.add(1, async () => 'never')]
    await Promise.resolve()
    q.clear()
    expect(q.size).toBe(0)
    for (const w of waiting) await expect(w).rejects.toMatchObject({ name: 'AbortError', message: 'The replication manager stopped' })
    g.resolve()
    await expect(running).resolves.toBe('done')
  })
})
