/**
 * Sort keys of mixed kinds stored as text: numbers become fixed-width hex of their IEEE-754 bits
 * with the order-preserving flips, prefixed 'n'; strings are prefixed 's'. Byte order of the result is the
 * sort order on SQLite (BINARY) and PostgreSQL (COLLATE "C") alike.
 */
const bits = new DataView(new ArrayBuffer(8));
const HEX = Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0'));

export function encodeSortValue(value: string | number): string {
  if (typeof value === 'string') return 's' + value;
  bits.setFloat64(0, value === 0 ? 0 : value);
  const negative = (bits.getUint8(0) & 0x80) !== 0;
  let out = 'n';
  for (let i = 0; i < 8; i++) {
    const byte = bits.getUint8(i);
    out += HEX[negative ? ~byte & 0xff : i === 0 ? byte | 0x80 : byte];
  }
  return out;
}
