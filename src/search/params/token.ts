/**
 * Token parameters (R4 search.html#token): [system|]code, |code (no system), system| (any code).
 * Indexed from Coding, CodeableConcept (codings, plus its text for :text), Identifier (system|value),
 * ContactPoint (value, with its system kind), and code/boolean/string/id/uri primitives.
 *
 * :of-type (R4 search.html#token, Identifier.type) is indexed as extra entries under the parameter
 * `<param>:of-type` with system = type system and code = `<type code>|<identifier value>`, so engines
 * match it as a plain token without knowing about identifier types.
 */
import type { IndexEntries, TokenEntry } from '../index-entries.js';
import type { TokenMatch } from '../ir.js';
import { normalizeString } from '../normalize.js';
import type { PathNode } from '../path.js';
import { invalidValue, isRecord, splitUnescaped, stringOrNull, unescapeValue } from './common.js';

export const ofTypeParam = (param: string) => `${param}:of-type`;

function push(out: IndexEntries, entry: TokenEntry, group?: number): void {
  out.token.push(group === undefined ? entry : { ...entry, group });
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? normalizeString(value) : null;
}

/**
 * :text matches the text of any entry of the parameter, so the concept's text needs no entry of its own when one of
 * its codings already carries it as display (most coded data: a tenth of all index rows of a Synthea load).
 */
function hasText(entries: readonly TokenEntry[], from: number, text: string): boolean {
  for (let i = from; i < entries.length; i++) if (entries[i]!.text === text) return true;
  return false;
}

function pushCoding(out: IndexEntries, param: string, coding: Record<string, unknown>, group?: number): void {
  const code = stringOrNull(coding.code);
  const system = stringOrNull(coding.system);
  const text = textOrNull(coding.display);
  if (code || system || text) push(out, { param, system, code, text }, group);
}

function pushIdentifier(out: IndexEntries, param: string, identifier: Record<string, unknown>, group?: number): void {
  const value = stringOrNull(identifier.value);
  const system = stringOrNull(identifier.system);
  const type = isRecord(identifier.type) ? identifier.type : undefined;
  if (value || system) push(out, { param, system, code: value, text: textOrNull(type?.text) }, group);
  if (!value || !type || !Array.isArray(type.coding)) return;
  for (const coding of type.coding) {
    if (!isRecord(coding) || typeof coding.code !== 'string') continue;
    push(out, { param: ofTypeParam(param), system: stringOrNull(coding.system), code: `${coding.code}|${value}`, text: null }, group);
  }
}

export function extractToken(node: PathNode, param: string, out: IndexEntries, group?: number): void {
  const { value } = node;
  let { type } = node;
  if (typeof value === 'boolean') return push(out, { param, system: null, code: String(value), text: null }, group);
  if (typeof value === 'number') return push(out, { param, system: null, code: String(value), text: null }, group);
  if (typeof value === 'string') {
    if (value.length > 0) push(out, { param, system: node.system ?? null, code: value, text: null }, group);
    return;
  }
  if (!isRecord(value)) return;
  if (type === 'unknown' || type === 'Element') type = guessTokenType(value);
  switch (type) {
    case 'Coding':
      return pushCoding(out, param, value, group);
    case 'CodeableConcept': {
      const codingsFrom = out.token.length;
      if (Array.isArray(value.coding)) for (const coding of value.coding) if (isRecord(coding)) pushCoding(out, param, coding, group);
      const text = textOrNull(value.text);
      if (text && !hasText(out.token, codingsFrom, text)) push(out, { param, system: null, code: null, text }, group);
      return;
    }
    case 'Identifier':
      return pushIdentifier(out, param, value, group);
    case 'ContactPoint': {
      const contact = stringOrNull(value.value);
      if (contact) push(out, { param, system: stringOrNull(value.system), code: contact, text: null }, group);
      return;
    }
  }
}

function guessTokenType(value: Record<string, unknown>): string {
  if (Array.isArray(value.coding) || typeof value.text === 'string') return 'CodeableConcept';
  if ('code' in value) return 'Coding';
  if ('value' in value) return 'Identifier';
  return 'unknown';
}

export const TOKEN_MODIFIERS: ReadonlySet<string> = new Set(['missing', 'not', 'text', 'above', 'below', 'in', 'not-in', 'of-type']);

/** [system|]code: `|code` means no system, `system|` any code of the system */
export function parseToken(param: string, raw: string): TokenMatch {
  const parts = splitUnescaped(raw, '|');
  if (parts.length > 2) throw invalidValue(param, raw, 'a token is [system|]code with at most one unescaped "|"');
  if (parts.length === 1) {
    const code = unescapeValue(parts[0]!);
    if (!code) throw invalidValue(param, raw, 'a token value must not be empty');
    return { kind: 'token', op: 'eq', code };
  }
  const system = unescapeValue(parts[0]!);
  const code = unescapeValue(parts[1]!);
  if (!system && !code) throw invalidValue(param, raw, 'a token needs a system or a code');
  const match: TokenMatch = { kind: 'token', op: 'eq', system: system || null };
  if (code) match.code = code;
  return match;
}

export function parseTokenText(param: string, raw: string): TokenMatch {
  const text = normalizeString(unescapeValue(raw));
  if (!text) throw invalidValue(param, raw, ':text needs a non-empty value');
  return { kind: 'token', op: 'text', text };
}

/** identifier:of-type=typeSystem|typeCode|value */
export function parseOfType(param: string, raw: string): TokenMatch {
  const parts = splitUnescaped(raw, '|').map(unescapeValue);
  if (parts.length !== 3 || !parts[1] || !parts[2]) {
    throw invalidValue(param, raw, ':of-type expects type-system|type-code|identifier-value');
  }
  return { kind: 'token', op: 'eq', system: parts[0] || null, code: `${parts[1]}|${parts[2]}` };
}
