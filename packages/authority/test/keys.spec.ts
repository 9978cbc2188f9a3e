import { peerIdFromString } from '@libp2p/peer-id'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Authority, certificateKey, directoryKey, generateAuthority, grantKey, isPeerIdString, isRoleName, revocationsKey } from '../src/index.js'
import { newPeerId } from './fixtures.js'

let authority: Authority
let peer: string

beforeAll(async () => {
  authority = await generateAuthority()
  peer = await newPeerId()
})

describe('isRoleName', () => {
  it('accepts A-Z a-z 0-9 _ -, 1 to 64 characters', () => {
    for (const role of ['A', 'z', '0', '9', '_', '-', 'backend_developer', 'Senior-Architect-2', 'x'.repeat(64)]) {
      expect(isRoleName(role)).toBe(true)
    }
  })

  it('refuses anything else', () => {
    for (const role of ['', 'x'.repeat(65), 'a b', ' admin', 'admin ', 'admin\n', 'a/b', 'a.b', 'ä', '*', 42, null, undefined, ['admin']]) {
      expect(isRoleName(role)).toBe(false)
    }
  })
})

describe('isPeerIdString', () => {
  it('accepts the canonical string of a peer id only', async () => {
    expect(isPeerIdString(peer)).toBe(true)
    expect(isPeerIdString(authority.id)).toBe(true)
    for (const value of [peerIdFromString(peer).toCID().toString(), '', 'bob', `${peer} `, peer.slice(0, -1), 'x'.repeat(300), `${peer}${'1'.repeat(250)}`, 42, null, undefined]) {
      expect(isPeerIdString(value)).toBe(false)
    }
  })
})

describe('key builders', () => {
  it('name the part that is wrong', () => {
    const fails = (run: () => unknown, message: string) => {
      expect(run).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message }))
    }
    fails(() => grantKey(authority.id, 'bob', 'admin'), 'peer "bob" is not a canonical peer-id string')
    fails(() => certificateKey(authority.id, 'bob'), 'peer "bob" is not a canonical peer-id string')
    fails(() => grantKey(authority.id, peer, 'a b'), 'role "a b" is not a role name (A-Z a-z 0-9 _ -, at most 64)')
    fails(() => grantKey(authority.id, peer, ''), 'role "" is not a role name (A-Z a-z 0-9 _ -, at most 64)')
    fails(() => revocationsKey(peer.slice(0, -2)), `the authority id ${JSON.stringify(peer.slice(0, -2))} is not a peer id`)
    fails(() => directoryKey(''), 'the authority id must be a non-empty peer-id string')
    fails(() => grantKey('', peer, 'admin'), 'the authority id must be a non-empty peer-id string')
    fails(() => certificateKey('', peer), 'the authority id must be a non-empty peer-id string')
    expect(grantKey(authority.id, peer, 'x'.repeat(64))).toBe(`/CHORUS/authority/${authority.id}/grant/${peer}/${'x'.repeat(64)}`)
  })
})
