/**
 * PostgreSQL array literals (`{1,"a",NULL}`) for the column arrays of a write (cte-writes.ts). Given JS arrays, the pg
 * driver builds the same text, but it converts every element on its own, numbers included, and quotes and escapes it
 * with two regular expressions: ~0.1 us per element, and a resource has ~20 index rows of ~6 columns.
 *
 * JSON.stringify writes the same text in native code when the elements need no other escapes than `\"` and `\\`,
 * which both forms share, and every number is finite: an array literal reads an unquoted `null` as NULL. Otherwise
 * (a newline, which JSON writes `\n` and an array literal would read as `n`; an infinite bound, which JSON writes
 * `null`) the elements are written one by one.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const json = JSON.stringify(values);
  if (!OTHER_JSON_ESCAPE.test(json) && values.every(isFiniteOrNotNumber)) return `{${json.slice(1, -1)}}`;
  return `{${values.map(element).join(',')}}`;
}

/** a backslash followed by anything but `"` or `\`: `\n`, `\t`, `\u0001`... (an escaped backslash before a letter matches too, harmlessly) */
const OTHER_JSON_ESCAPE = /\\[^"\\]/;

const isFiniteOrNotNumber = (value: unknown) => typeof value !== 'number' || Number.isFinite(value);

function element(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  // float8 and int8 read JavaScript's forms, Infinity and 1e+21 included
  if (typeof value === 'number') return String(value);
  // in double quotes, so that empty strings, `NULL`, commas, braces and spaces stay text
  return `"${String(value).replace(/["\\]/g, '\\$&')}"`;
}
