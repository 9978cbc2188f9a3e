// Character classes as lookup tables: every check is one pass over the input
// with no regular expression, so no input can make parsing backtrack.

const COMPONENT_TABLE = new Uint8Array(128)
const PATH_TABLE = new Uint8Array(128)

for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  const word = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch === '_' || ch === '-'
  COMPONENT_TABLE[c] = word ? 1 : 0
  PATH_TABLE[c] = word || ch === '/' || ch === '.' ? 1 : 0
}

/** `A-Z a-z 0-9 _ -` */
export function isComponentChar (code: number): boolean {
  return code < 128 && COMPONENT_TABLE[code] === 1
}

/** `A-Z a-z 0-9 _ - / .` */
export function isPathChar (code: number): boolean {
  return code < 128 && PATH_TABLE[code] === 1
}

/** `0-9` */
export function isDigit (code: number): boolean {
  return code >= 48 && code <= 57
}

/** A character as it should appear in an error message. */
export function describeChar (s: string, index: number): string {
  const code = s.charCodeAt(index)
  if (code >= 0x21 && code <= 0x7e) return `'${s[index]}'`
  const point = s.codePointAt(index) ?? code
  return `U+${point.toString(16).toUpperCase().padStart(4, '0')}`
}
