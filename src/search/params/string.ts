/**
 * String parameters (R4 search.html#string): default = starts with, case- and accent-insensitive;
 * :exact = whole value, case and accents significant; :contains = anywhere, insensitive.
 */
import type { IndexEntries } from '../index-entries.js';
import type { StringMatch } from '../ir.js';
import { normalizeString } from '../normalize.js';
import type { PathNode } from '../path.js';
import { invalidValue, isRecord, unescapeValue } from './common.js';

const HUMAN_NAME_PARTS = ['family', 'given', 'prefix', 'suffix', 'text'] as const;
const ADDRESS_PARTS = ['line', 'city', 'district', 'state', 'postalCode', 'country', 'text'] as const;

function pushString(out: IndexEntries, param: string, text: unknown, group?: number): void {
  if (typeof text !== 'string' || text.length === 0) return;
  const entry = { param, norm: normalizeString(text), exact: text };
  out.string.push(group === undefined ? entry : { ...entry, group });
}

function pushParts(out: IndexEntries, param: string, record: Record<string, unknown>, parts: readonly string[], group?: number): void {
  for (const part of parts) {
    const value = record[part];
    if (Array.isArray(value)) for (const item of value) pushString(out, param, item, group);
    else pushString(out, param, value, group);
  }
}

/** Extraction: string, markdown and other primitives as text; HumanName and Address by their parts. */
export function extractString(node: PathNode, param: string, out: IndexEntries, group?: number): void {
  const { value, type } = node;
  if (typeof value === 'string') return pushString(out, param, value, group);
  if (!isRecord(value)) return;
  if (type === 'HumanName') return pushParts(out, param, value, HUMAN_NAME_PARTS, group);
  if (type === 'Address') return pushParts(out, param, value, ADDRESS_PARTS, group);
  // CodeableConcept / Coding / Annotation / Attachment-like values searched as strings
  if (type === 'CodeableConcept') {
    pushString(out, param, value.text, group);
    if (Array.isArray(value.coding)) for (const coding of value.coding) if (isRecord(coding)) pushString(out, param, coding.display, group);
    return;
  }
  if (type === 'Coding') return pushString(out, param, value.display, group);
  if (type === 'unknown') {
    if ('family' in value || 'given' in value) return pushParts(out, param, value, HUMAN_NAME_PARTS, group);
    if ('line' in value || 'city' in value) return pushParts(out, param, value, ADDRESS_PARTS, group);
  }
  pushString(out, param, value.text, group);
}

export const STRING_MODIFIERS: ReadonlySet<string> = new Set(['missing', 'exact', 'contains']);

export function parseString(param: string, raw: string, modifier: string | undefined): StringMatch {
  const value = unescapeValue(raw);
  if (value.length === 0) throw invalidValue(param, raw, 'a string value must not be empty');
  if (modifier === 'exact') return { kind: 'string', op: 'exact', value };
  return { kind: 'string', op: modifier === 'contains' ? 'contains' : 'starts', value: normalizeString(value) };
}
