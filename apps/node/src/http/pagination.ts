import { HttpError, UCXL_CODES } from '../envelope.js'

/** Default and largest page of a list endpoint. */
export const DEFAULT_PAGE = 100
export const MAX_PAGE = 1000

/** One page of a list. */
export interface Page<T> {
  items: T[]
  /** Every item that matched, on every page. */
  total: number
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null
}

/** Encodes a cursor: the sort key of the last item of a page, opaque to clients. */
export function encodeCursor (position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url')
}

/** Decodes a cursor made by {@link encodeCursor}; a malformed one is a 400. */
export function decodeCursor<T> (cursor: string, check: (v: any) => v is T): T {
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    v = undefined
  }
  if (!check(v)) throw new HttpError(UCXL_CODES.BAD_REQUEST, 'query parameter cursor is not a cursor this endpoint returned', { cursor })
  return v
}

/**
 * One page of `sorted` (already in the list's order): the items after the
 * cursor's position (`after(item, position)`), at most `limit`. The cursor
 * names a position, not an offset, so items added before it do not shift
 * the next page.
 */
export function paginate<T, P> (sorted: T[], limit: number, position: P | undefined, after: (item: T, position: P) => boolean, positionOf: (item: T) => P): Page<T> {
  const rest = position === undefined ? sorted : sorted.filter(item => after(item, position))
  const items = rest.slice(0, limit)
  const more = rest.length > items.length
  return { items, total: sorted.length, nextCursor: more && items.length > 0 ? encodeCursor(positionOf(items[items.length - 1])) : null }
}
