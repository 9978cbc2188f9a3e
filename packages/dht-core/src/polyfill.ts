/**
 * `Promise.withResolvers` (ES2024) for Node.js 20, which lacks it and which
 * libp2p 3 calls at run time. Installed only where missing, following the
 * specification: the executor runs synchronously, so `resolve` and `reject`
 * are bound before the function returns.
 *
 * This is the one place chorus-dht installs it. `@chorus-dht/dht-core`
 * imports it first thing, and the apps also preload it with
 * `node --import @chorus-dht/dht-core/polyfill` so it is in place before
 * any libp2p module runs.
 *
 * @packageDocumentation
 */

interface PromiseWithResolversShape<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

/** Installs the shim when the runtime lacks it. Returns whether it did. */
export function installPromiseWithResolvers (): boolean {
  const P = Promise as unknown as { withResolvers?: unknown }
  if (typeof P.withResolvers === 'function') {
    return false
  }
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T> (this: PromiseConstructor): PromiseWithResolversShape<T> {
      // Like the built-in, honour subclasses: `this` is the constructor.
      const C = (typeof this === 'function' ? this : Promise) as PromiseConstructor
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new C<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  })
  return true
}

installPromiseWithResolvers()
