/**
 * A source of wall-clock time, injectable so tests and the harness can
 * control it. Milliseconds since the Unix epoch, like `Date.now()`.
 */
export interface Clock {
  now(): number
}

/**
 * A source of randomness in [0, 1), injectable so that a run (simulated
 * latency, failure injection, jitter) can be reproduced from a seed.
 */
export interface RandomSource {
  next(): number
}
