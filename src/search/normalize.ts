/**
 * String normalisation shared by indexing and parsing (R4 search.html#string: "case-insensitive and
 * accent-insensitive"): lower case, Unicode NFD, combining marks removed, whitespace collapsed.
 */
const COMBINING_MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const ASCII_ONLY = /^[\x20-\x7e]*$/;

export function normalizeString(value: string): string {
  if (ASCII_ONLY.test(value)) return value.toLowerCase().replace(/\s+/g, ' ').trim();
  return value.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().replace(/\s+/g, ' ').trim();
}
