/**
 * Contained resources (R4 search.html#contained, `_contained` and `_containedType`).
 *
 * Index: the entries of each contained resource are stored with its container, under the codes
 * `_contained:<Type>$<param>` (plus `_contained:<Type>$_id`, a token holding the contained id), all entries of
 * one contained resource sharing one composite group. Normal searches never name these codes, so contained
 * content matches nothing unless `_contained` asks; engines need no change: a search inside contained
 * resources is a composite condition, whose components must hold within one group, i.e. within one
 * contained resource (`Medication?_contained=true&code=a&form=b` needs one Medication with both).
 *
 * Supported inside contained resources: the parameters of the contained type with their value modifiers
 * and `_id`; not `:missing`, `:not`, `:not-in`, chains, `_has` or `_lastUpdated` (a 400 says so).
 */
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import { INDEX_TYPES, type IndexEntries } from './index-entries.js';
import type { Condition, IndexKind, ValueMatch } from './ir.js';

export const containedPrefix = (type: string) => `_contained:${type}`;
const containedParam = (type: string, param: string) => `${containedPrefix(type)}$${param}`;

/** appends the entries of `resource.contained[]` (computed by `extract`) to the container's entries */
export function addContainedEntries(resource: Resource, out: IndexEntries, extract: (contained: Resource) => IndexEntries): void {
  const contained = (resource as { contained?: unknown }).contained;
  if (!Array.isArray(contained) || contained.length === 0) return;
  let group = 0;
  for (const type of INDEX_TYPES) for (const entry of out[type]) if (entry.group !== undefined && entry.group > group) group = entry.group;
  for (const item of contained) {
    if (typeof item !== 'object' || item === null || typeof (item as Resource).resourceType !== 'string') continue;
    const inner = item as Resource;
    group++;
    const type = inner.resourceType;
    if (typeof inner.id === 'string') out.token.push({ param: containedParam(type, '_id'), system: null, code: inner.id, text: null, group });
    const entries = extract(inner);
    for (const kind of INDEX_TYPES) {
      // composite components of a contained resource would need groups of their own: not indexed
      for (const entry of entries[kind] as { param: string; group?: number }[]) {
        if (entry.group !== undefined) continue;
        (out[kind] as unknown[]).push({ ...entry, param: containedParam(type, entry.param), group });
      }
    }
  }
}

type Component = { param: string; index: IndexKind; match: ValueMatch };

const MAX_ALTERNATIVES = 64;

const unsupported = (what: string) =>
  new FhirError('invalid-search-parameter', `${what} cannot be searched inside contained resources (_contained); this server supports parameters of the contained type, their value modifiers and _id there`, { issueCode: 'not-supported', expression: ['_contained'] });

/** the alternatives (OR) of component lists (AND) that one condition stands for */
function alternativesOf(type: string, condition: Condition): Component[][] {
  switch (condition.kind) {
    case 'param':
      return condition.values.map((match) => [{ param: containedParam(type, condition.param), index: condition.index, match }]);
    case 'id':
      return condition.ids.map((id) => [{ param: containedParam(type, '_id'), index: 'token', match: { kind: 'token', op: 'eq', code: id } }]);
    case 'or':
      return condition.conditions.flatMap((inner) => alternativesOf(type, inner));
    case 'and':
      return condition.conditions.map((inner) => alternativesOf(type, inner)).reduce(product, [[]]);
    case 'missing': throw unsupported(`:missing (${condition.param})`);
    case 'not': throw unsupported(':not and :not-in');
    case 'chain': throw unsupported(`The chain on ${condition.param}`);
    case 'has': throw unsupported('_has');
    case 'lastUpdated': throw unsupported('_lastUpdated');
    default: throw unsupported(`A ${condition.kind} condition`);
  }
}

function product(left: Component[][], right: Component[][]): Component[][] {
  const out: Component[][] = [];
  for (const a of left) for (const b of right) out.push([...a, ...b]);
  if (out.length > MAX_ALTERNATIVES) {
    throw new FhirError('too-costly', `The search inside contained resources expands to more than ${MAX_ALTERNATIVES} alternatives; use fewer comma-separated values`, { expression: ['_contained'] });
  }
  return out;
}

/** containers holding a contained `type` resource that satisfies every condition */
export function containedCondition(type: string, where: Condition[]): Condition {
  const alternatives = where.length === 0
    ? [[{ param: containedParam(type, '_id'), index: 'token' as const, match: { kind: 'token' as const, op: 'eq' as const } }]]
    : where.map((condition) => alternativesOf(type, condition)).reduce(product, [[]]);
  return { kind: 'composite', param: containedPrefix(type), alternatives };
}

/**
 * The planned query for `_contained=true|both`: the searched type's conditions move inside the contained
 * resources; `both` also keeps the plain matches. The result holds containers (of any type).
 */
export function containedQuery(resourceType: string | null, mode: 'true' | 'both', where: Condition[]): { types: null; where: Condition[]; inside: Condition } {
  if (!resourceType) throw new FhirError('invalid-search-parameter', '_contained needs a resource type to search for (e.g. Medication?_contained=true)', { expression: ['_contained'] });
  const inside = containedCondition(resourceType, where);
  if (mode === 'true') return { types: null, where: [inside], inside };
  const plain: Condition = { kind: 'and', conditions: [{ kind: 'type', types: [resourceType] }, ...where] };
  return { types: null, where: [{ kind: 'or', conditions: [plain, inside] }], inside };
}

/** `inside` narrowed to the contained resource with id `id` (which of several siblings matched) */
export function narrowToContained(inside: Condition, type: string, id: string): Condition {
  if (inside.kind !== 'composite') return inside;
  const idComponent: Component = { param: containedParam(type, '_id'), index: 'token', match: { kind: 'token', op: 'eq', code: id } };
  return { ...inside, alternatives: inside.alternatives.map((components) => [...components, idComponent]) };
}
