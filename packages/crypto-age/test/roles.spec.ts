import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTHORITY_LEVELS, BUILTIN_ROLES, createRoleRegistry, loadRolesFile, parseRolesFile } from '../src/index.js'

describe('role registry', () => {
  const roles = createRoleRegistry()

  it('orders authority levels highest first', () => {
    expect(AUTHORITY_LEVELS).toEqual(['master', 'decision', 'coordination', 'suggestion', 'read_only'])
  })

  it('has the SPEC §3 table', () => {
    expect(BUILTIN_ROLES.map(r => [r.name, r.authority])).toEqual([
      ['admin', 'master'], ['senior_architect', 'decision'], ['devops_engineer', 'coordination'],
      ['backend_developer', 'suggestion'], ['frontend_developer', 'suggestion'], ['qa_engineer', 'suggestion'],
      ['observer', 'read_only']
    ])
    expect(roles.list()).toHaveLength(7)
  })

  it('encrypts new content for the creator and every role that may read it', () => {
    expect(roles.recipientsFor('backend_developer')).toEqual(['admin', 'backend_developer', 'devops_engineer', 'qa_engineer', 'senior_architect'])
    expect(roles.recipientsFor('frontend_developer')).toEqual(['admin', 'frontend_developer', 'qa_engineer', 'senior_architect'])
    expect(roles.recipientsFor('admin')).toEqual(['admin', 'senior_architect'])
    expect(roles.recipientsFor('observer')).toEqual(['admin', 'observer', 'senior_architect'])
  })

  it('throws AccessDeniedError for an unknown creator role', () => {
    expect(() => roles.recipientsFor('intruder')).toThrow(expect.objectContaining({ name: 'AccessDeniedError' }))
  })

  it('answers canDecrypt, canMakeDecisions, isAdminRole and canStore', () => {
    expect(roles.canDecrypt('qa_engineer', 'frontend_developer')).toBe(true)
    expect(roles.canDecrypt('frontend_developer', 'qa_engineer')).toBe(false)
    expect(roles.canDecrypt('admin', 'anything')).toBe(true)
    expect(roles.canDecrypt('nobody', 'nobody')).toBe(false)
    expect(roles.canMakeDecisions('senior_architect')).toBe(true)
    expect(roles.canMakeDecisions('devops_engineer')).toBe(false)
    expect(roles.isAdminRole('admin')).toBe(true)
    expect(roles.isAdminRole('senior_architect')).toBe(false)
    expect(roles.canStore('observer')).toBe(false)
    expect(roles.canStore('backend_developer')).toBe(true)
    expect(roles.canStore('nobody')).toBe(false)
  })

  it('applies overrides and additions, leaving the built-in table untouched', () => {
    const custom = createRoleRegistry({
      roles: [
        { name: 'observer', authority: 'suggestion', canDecrypt: ['observer'] },
        { name: 'ops', authority: 'coordination', canDecrypt: ['backend_developer'] }
      ]
    })
    expect(custom.canStore('observer')).toBe(true)
    expect(custom.recipientsFor('backend_developer')).toContain('ops')
    expect(roles.canStore('observer')).toBe(false)
    const got = custom.get('ops')!
    got.canDecrypt.push('*')
    expect(custom.get('ops')!.canDecrypt).toEqual(['backend_developer'])
  })
})

describe('roles file', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'crypto-age-roles-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('reads the map shape in YAML', () => {
    const roles = parseRolesFile(`
roles:
  ops:
    authority: coordination
    canDecrypt: [ops, backend_developer]
    description: Runs things
  auditor:
    authority_level: read_only
    can_decrypt: ['*']
`)
    expect(roles).toEqual([
      { name: 'ops', authority: 'coordination', canDecrypt: ['ops', 'backend_developer'], description: 'Runs things' },
      { name: 'auditor', authority: 'read_only', canDecrypt: ['*'] }
    ])
  })

  it('reads the list shape in JSON', () => {
    const roles = parseRolesFile(JSON.stringify({ roles: [{ name: 'ops', authority: 'decision', canDecrypt: [] }] }), 'json')
    expect(roles).toEqual([{ name: 'ops', authority: 'decision', canDecrypt: [] }])
    expect(parseRolesFile('- name: x\n  authority: master\n')[0].canDecrypt).toEqual(['x'])
  })

  it('names the entry with an unknown authority level', () => {
    const text = 'roles:\n  - { name: a, authority: master }\n  - { name: b, authority: decision }\n  - { name: ops, authority: boss }\n'
    expect(() => parseRolesFile(text)).toThrow('roles[2] (ops): unknown authority level "boss"')
    expect(() => parseRolesFile(text)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })

  it('rejects malformed entries, bad names and duplicates', () => {
    expect(() => parseRolesFile('roles:\n  ops: 3\n')).toThrow('roles[0] (ops)')
    expect(() => parseRolesFile('roles:\n  - { name: "../etc", authority: master }\n')).toThrow('roles[0]: invalid role name')
    expect(() => parseRolesFile('roles:\n  ops: { authority: master, canDecrypt: backend }\n')).toThrow('canDecrypt must be a list')
    expect(() => parseRolesFile('roles:\n  - { name: a, authority: master }\n  - { name: a, authority: master }\n')).toThrow('roles[1] (a): role defined twice')
    expect(() => parseRolesFile('{ "roles": ', 'json')).toThrow('not valid JSON')
    expect(() => parseRolesFile('other: 1\n')).toThrow('top-level "roles"')
  })

  it('loads from disk, choosing the format by extension', async () => {
    await writeFile(join(dir, 'roles.json'), JSON.stringify({ roles: { ops: { authority: 'suggestion' } } }))
    await writeFile(join(dir, 'roles.yaml'), 'roles:\n  ops: { authority: boss }\n')
    expect(await loadRolesFile(join(dir, 'roles.json'))).toEqual([{ name: 'ops', authority: 'suggestion', canDecrypt: ['ops'] }])
    await expect(loadRolesFile(join(dir, 'roles.yaml'))).rejects.toThrow(/roles\.yaml: roles\[0\] \(ops\): unknown authority level "boss"/)
    await expect(loadRolesFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ name: 'NotFoundError' })
  })
})
