/**
 * Index extraction: a resource -> IndexEntries (index-entries.ts), one module per parameter type,
 * plus the precomputed sort keys (asc = smallest value, desc = largest).
 */
import type { Resource } from '../fhir/types.js';
import { emptyIndexEntries, INDEX_TYPES, type IndexEntries } from './index-entries.js';
import { rootNode, unwrapExtension, type PathEvaluator, type PathNode } from './path.js';
import type { SearchParamDef } from './registry.js';
import { extractDate } from './params/date.js';
import { extractNumber } from './params/number.js';
import { extractQuantity } from './params/quantity.js';
import { extractReference } from './params/reference.js';
import { extractString } from './params/string.js';
import { extractToken } from './params/token.js';
import { extractUri } from './params/uri.js';
import { componentParam } from './params/composite.js';

export interface CompiledComponent { def: SearchParamDef; evaluators: PathEvaluator[] }
export interface CompiledParam {
  def: SearchParamDef;
  evaluators: PathEvaluator[];
  /** composite parameters: the component definitions and their expressions relative to each composite node */
  components?: CompiledComponent[];
}

export interface ExtractOptions { baseUrls: readonly string[] }

export function extractByType(def: SearchParamDef, node: PathNode, param: string, out: IndexEntries, options: ExtractOptions, group?: number): void {
  switch (def.type) {
    case 'string': return extractString(node, param, out, group);
    case 'token': return extractToken(node, param, out, group);
    case 'reference': return extractReference(node, param, out, options.baseUrls, group);
    case 'date': return extractDate(node, param, out, group);
    case 'number': return extractNumber(node, param, out, group);
    case 'quantity': return extractQuantity(node, param, out, group);
    case 'uri': return extractUri(node, param, out, group);
    default: return;
  }
}

function evaluateAll(evaluators: PathEvaluator[], start: PathNode, resource: Resource): PathNode[] {
  if (evaluators.length === 1) return evaluators[0]!(start, resource);
  const nodes: PathNode[] = [];
  for (const evaluate of evaluators) nodes.push(...evaluate(start, resource));
  return nodes;
}

export function extractEntries(resource: Resource, params: Iterable<CompiledParam>, options: ExtractOptions): IndexEntries {
  const out = emptyIndexEntries();
  const root = rootNode(resource);
  let group = 0;
  for (const param of params) {
    const { def } = param;
    if (param.components) {
      for (const node of evaluateAll(param.evaluators, root, resource)) {
        group++;
        // a composite element lacking a component can never match: it gets no entries. Most lack one outright (an
        // Observation with a Quantity value has no code-value-concept), so look before extracting any component.
        const found = param.components.map((component) => evaluateAll(component.evaluators, node, resource));
        if (found.some((nodes) => nodes.length === 0)) continue;
        const lengths = INDEX_TYPES.map((type) => out[type].length);
        const complete = param.components.every((component, index) => {
          const before = entryCount(out);
          for (const each of found[index]!) {
            const value = unwrapExtension(each);
            if (value) extractByType(component.def, value, componentParam(def.code, index), out, options, group);
          }
          return entryCount(out) > before;
        });
        // a component found may still yield no value (an extension without one): drop the partial tuple
        if (!complete) INDEX_TYPES.forEach((type, i) => (out[type].length = lengths[i]!));
      }
      continue;
    }
    for (const found of evaluateAll(param.evaluators, root, resource)) {
      const value = unwrapExtension(found);
      if (value) extractByType(def, value, def.code, out, options);
    }
  }
  out.sort = sortKeys(out);
  return out;
}

function entryCount(entries: IndexEntries): number {
  let count = 0;
  for (const type of INDEX_TYPES) count += entries[type].length;
  return count;
}

type SortKeys = IndexEntries['sort'];

function consider(keys: SortKeys, param: string, low: string | number, high: string | number): void {
  if (param.includes('$') || param.includes(':')) return;
  const current = keys[param];
  if (!current) {
    keys[param] = { asc: low, desc: high };
    return;
  }
  if (low < current.asc) current.asc = low;
  if (high > current.desc) current.desc = high;
}

function sortKeys(entries: IndexEntries): SortKeys {
  const keys: SortKeys = {};
  for (const e of entries.string) consider(keys, e.param, e.norm, e.norm);
  for (const e of entries.token) if (e.code !== null) consider(keys, e.param, e.code, e.code);
  for (const e of entries.reference) {
    const key = e.targetType && e.targetId ? `${e.targetType}/${e.targetId}` : e.url ?? e.identifierValue;
    if (key) consider(keys, e.param, key, key);
  }
  for (const e of entries.date) consider(keys, e.param, e.low, e.high);
  for (const e of entries.number) consider(keys, e.param, e.value, e.value);
  for (const e of entries.quantity) consider(keys, e.param, e.value, e.value);
  for (const e of entries.uri) consider(keys, e.param, e.value, e.value);
  return keys;
}
