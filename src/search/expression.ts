/**
 * R4 SearchParameters shared by several resource types carry one expression `A.x | B.y | ...`.
 * Per base type only the parts rooted at that type (or at Resource/DomainResource, or relative) are
 * kept: evaluating fewer parts is faster and `Patient.name` can never match inside another type.
 */
export function splitTopLevelUnion(expression: string): string[] {
  return splitTopLevel(expression, '|').parts.filter((part) => part.length > 0);
}

/** Parts of an expression split on `separator` outside parentheses and quotes; `balanced` is false for `a(b` or `'x`. */
export function splitTopLevel(expression: string, separator: '|' | '.'): { parts: string[]; balanced: boolean } {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === "'" && expression[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === separator && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return { parts, balanced: depth === 0 && !quoted };
}

function rootIdentifier(part: string): string | undefined {
  return /^\(*\s*([A-Za-z][A-Za-z0-9_]*)/.exec(part)?.[1];
}

export function partsForBase(expression: string, baseType: string): string[] {
  return splitTopLevelUnion(expression).filter((part) => {
    const root = rootIdentifier(part);
    if (root === undefined) return true;
    if (root === baseType || root === 'Resource' || root === 'DomainResource') return true;
    // a lower-case root is a path relative to the resource itself (e.g. InsurancePlan "name | alias")
    return /^[a-z]/.test(root);
  });
}
