/**
 * The operations the storage layer audits. `conflict`: an acknowledged own
 * write was found to have lost its version to another writer and was
 * re-published as a later version (the entry's `error` names both).
 */
export type AuditOperation = 'store' | 'retrieve' | 'announce' | 'delete' | 'conflict'

/** One audit record. */
export interface AuditEntry {
  /** ms since the epoch */
  timestamp: number
  operation: AuditOperation
  nodeId: string
  address: string
  role: string
  contentType: string
  size: number
  success: boolean
  error?: string
}

/** The result of checking an audit trail. */
export interface AuditVerification {
  valid: boolean
  /** Entries checked. */
  entries: number
  /** 1-based line of the first problem, when invalid. */
  line?: number
  /** What was wrong, when invalid. */
  reason?: string
}

/** Where audit entries go. */
export interface AuditSink {
  append(entry: AuditEntry): Promise<void>
  /** Checks the trail for edited, removed or reordered entries. */
  verify?(): Promise<AuditVerification>
  /** Flushes and releases resources. */
  close?(): Promise<void>
}
