/**
 * Sort keys of mixed kinds stored in one text column: numbers become fixed-width hex of their IEEE-754 bits
 * with the order-preserving flips, prefixed 'n'; strings are prefixed 's'. Byte order of the result is the
 * sort order on SQLite (BINARY) and PostgreSQL (COLLATE "C") alike.
 */
export function encodeSortValue(value: string | number): string {
  if (typeof value === 'string') return 's' + value;
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value === 0 ? 0 : value);
  if (bytes[0]! & 0x80) {
    for (let i = 0; i < 8; i++) bytes[i] = ~bytes[i]! & 0xff;
  } else {
    bytes[0] = bytes[0]! | 0x80;
  }
  return 'n' + bytes.toString('hex');
}
