/**
 * Terms joined by AND or OR. Beyond a few terms, as a balanced tree of parenthesised halves: both engines flatten
 * nested ANDs and ORs before planning, so the plan is the same, but a chain of n terms is a parse tree n deep, and
 * SQLite refuses a tree over 1,000 deep (Patient?name=x,x,... with 500 values; 1,200 repeated name= parameters).
 * Up to FLAT_TERMS the text is the plain join, as every statement of an ordinary search is.
 */
const FLAT_TERMS = 8;

export function allOf(terms: readonly string[]): string {
  return joined(terms, ' AND ');
}

export function anyOf(terms: readonly string[]): string {
  return joined(terms, ' OR ');
}

function joined(terms: readonly string[], operator: string): string {
  if (terms.length <= FLAT_TERMS) return terms.join(operator);
  const half = Math.ceil(terms.length / 2);
  return `(${joined(terms.slice(0, half), operator)})${operator}(${joined(terms.slice(half), operator)})`;
}
