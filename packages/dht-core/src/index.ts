/**
 * @packageDocumentation
 *
 * The libp2p Kademlia node of chorus-dht.
 */

// Must run before any libp2p code: Node 20 lacks Promise.withResolvers.
import './polyfill.js'

export * from './constants.js'
