/**
 * The expected answer of a search, computed from the loaded resources by our own reading of R4 search.html:
 * parameters AND-ed, comma values OR-ed (#combining), modifiers (#modifiers), prefixes with implicit
 * precision (#prefix), chains (#chaining), _has (#has), composites (#composite), _include/_revinclude with
 * :iterate (#include) and _sort keys (#_sort). Nothing here imports the server's code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { examplesDirectory } from './examples.js';
import type { Dataset, Json } from './synthea-data.js';
import {
  compile, dateRange, dateRangesOf, definition, definitionByUrl, definitionsOf, normalise, quantitiesOf, referencesOf, stringsOf, tokensOf, valuesOf,
  type Definition, type Range, type Typed,
} from './synthea-values.js';

export class Unsupported extends Error {}

/** Splits on an unescaped separator and unescapes (search.html#escaping). */
export function splitEscaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) { current += text[i + 1]; i++; continue; }
    if (text[i] === separator) { parts.push(current); current = ''; continue; }
    current += text[i];
  }
  parts.push(current);
  return parts;
}
/** Like splitEscaped but keeps escapes (for splitting composites before their components are split). */
function splitKeeping(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) { current += text[i] + text[i + 1]; i++; continue; }
    if (text[i] === separator) { parts.push(current); current = ''; continue; }
    current += text[i];
  }
  parts.push(current);
  return parts;
}

const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
function prefixed(text: string): { prefix: string; rest: string } {
  const prefix = text.slice(0, 2);
  return PREFIXES.includes(prefix) && /^[a-z]{2}[-\d]/.test(text) ? { prefix, rest: text.slice(2) } : { prefix: 'eq', rest: text };
}

/** search.html#prefix over ranges: target [a,b) against the search value's range [c,d). */
export function compareRanges(prefix: string, target: Range, search: Range): boolean {
  const contained = target.low >= search.low && target.high <= search.high;
  switch (prefix) {
    case 'eq': return contained;
    case 'ne': return !contained;
    case 'gt': return target.high > search.high;
    case 'lt': return target.low < search.low;
    case 'ge': return target.high > search.high || contained;
    case 'le': return target.low < search.low || contained;
    case 'sa': return target.low >= search.high;
    case 'eb': return target.high <= search.low;
    case 'ap': {
      // R4 recommends 10% of the gap between now and the date, on either side
      const now = Date.now();
      return target.low < search.high + Math.abs(now - search.high) * 0.1 && target.high > search.low - Math.abs(now - search.low) * 0.1;
    }
    default: throw new Unsupported(`prefix ${prefix}`);
  }
}

/** A number's implicit range: 5.4 is [5.35, 5.45) (search.html#number); prefixes other than eq/ne/ap ignore it. */
function numberMatches(prefix: string, value: number, text: string): boolean {
  const number = Number(text);
  const parts = /^-?\d+(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!parts) throw new Unsupported(`number ${text}`);
  // the last stated digit fixes the precision: 5.4 -> 0.1, 1.5e2 -> 10, 1e2 -> 100
  const half = 0.5 * 10 ** (Number(parts[2] ?? 0) - (parts[1]?.length ?? 0));
  switch (prefix) {
    case 'eq': return value === number || (value >= number - half && value < number + half);
    case 'ne': return !(value === number || (value >= number - half && value < number + half));
    case 'gt': case 'sa': return value > number;
    case 'lt': case 'eb': return value < number;
    case 'ge': return value >= number;
    case 'le': return value <= number;
    case 'ap': return Math.abs(value - number) <= Math.max(Math.abs(number) * 0.1, half); // R4's recommended 10%
    default: throw new Unsupported(`prefix ${prefix}`);
  }
}

const UCUM = 'http://unitsofmeasure.org';
const UCUM_SCALE: Record<string, [string, number]> = { kg: ['g', 1000], g: ['g', 1], mg: ['g', 0.001], m: ['m', 1], cm: ['m', 0.01], mm: ['m', 0.001] };
/** The factor taking a value in `from` to `to` when both are known units of one dimension. */
function ucumFactor(from: string | undefined, to: string | undefined): number | undefined {
  const [a, b] = [UCUM_SCALE[from ?? ''], UCUM_SCALE[to ?? '']];
  return a && b && a[0] === b[0] ? a[1] / b[1] : undefined;
}

/** Does one value (already extracted) match one search value of a parameter of `def.type`? */
function valueMatches(def: Definition, modifier: string | undefined, value: Typed, search: string): boolean {
  switch (def.type) {
    case 'string': {
      const text = splitEscaped(search, '\u0000')[0];
      return stringsOf(value).some((part) => modifier === 'exact' ? part === text
        : modifier === 'contains' ? normalise(part).includes(normalise(text)) : normalise(part).startsWith(normalise(text)));
    }
    case 'token': {
      const tokens = tokensOf(value);
      // :text is a string search on the text (R4 search.html#modifiers); R4 leaves word handling to the server:
      // a match at the start of the text or of any word in it is accepted
      if (modifier === 'of-type') {
        const [typeSystem, typeCode, wanted] = splitKeeping(search, '|').map((part) => splitEscaped(part, '\u0000')[0]);
        if (value.type !== 'Identifier' || value.data.value !== wanted) return false;
        return (value.data.type?.coding ?? []).some((coding: Json) => coding.system === typeSystem && coding.code === typeCode);
      }
      if (modifier === 'text') {
        const wanted = normalise(splitEscaped(search, '\u0000')[0]);
        return tokens.some((token) => token.text.some((text) => normalise(text).startsWith(wanted) || normalise(text).includes(` ${wanted}`)));
      }
      const parts = splitKeeping(search, '|').map((part) => splitEscaped(part, '\u0000')[0]);
      if (parts.length === 1) return tokens.some((token) => token.code === parts[0]);
      const [system, code] = parts;
      return tokens.some((token) => (system === '' ? token.system === undefined : token.system === system) && (code === '' || token.code === code));
    }
    case 'reference': {
      const text = splitEscaped(search, '\u0000')[0];
      return referencesOf(value).some((reference) => {
        const [type, id] = reference.split('/');
        if (modifier && modifier !== 'missing') return type === modifier && id === text;
        const relative = text.replace(/^https?:\/\/.*\/([A-Z][A-Za-z]+\/[^/]+)$/, '$1');
        return relative.includes('/') ? reference === relative : id === relative;
      });
    }
    case 'date': {
      const { prefix, rest } = prefixed(search);
      const range = dateRange(rest);
      if (!range) throw new Unsupported(`date ${search}`);
      return dateRangesOf(value).some((target) => compareRanges(prefix, target, range));
    }
    case 'number': case 'quantity': {
      const { prefix, rest } = prefixed(search);
      const [number, system, code] = splitEscaped(rest, '|');
      return quantitiesOf(value).some((quantity) => {
        // UCUM canonical forms (search.html#quantity): 70 kg is 70000 g; only a few units are known here
        const factor = system === UCUM && quantity.system === UCUM && code !== quantity.code ? ucumFactor(quantity.code, code) : undefined;
        if (factor !== undefined) return numberMatches(prefix, quantity.value * factor, number);
        if (system && quantity.system !== system) return false;
        if (code && !(system ? quantity.code === code : quantity.code === code || quantity.unit === code)) return false;
        return numberMatches(prefix, quantity.value, number);
      });
    }
    case 'uri': {
      const text = splitEscaped(search, '\u0000')[0];
      const uri = typeof value.data === 'string' ? value.data : undefined;
      if (uri === undefined) return false;
      if (modifier === 'below') return uri.startsWith(text);
      if (modifier === 'above') return text.startsWith(uri);
      if (modifier === 'contains') return uri.toLowerCase().includes(text.toLowerCase());
      return uri === text;
    }
    default: throw new Unsupported(`type ${def.type}`);
  }
}

/** search.html#composite: every component matches within the same element of the base expression. */
function compositeMatches(resource: Json, def: Definition, search: string): boolean {
  const parts = splitKeeping(search, '$');
  const components = def.component ?? [];
  if (parts.length !== components.length) throw new Unsupported(`composite ${def.code} needs ${components.length} parts`);
  // each union term is its own base element path (combo-code-value-quantity: Observation | Observation.component)
  return def.expression!.split(/\s\|\s/).map((term) => term.trim()).some((baseType) =>
    (compile(baseType)?.(resource) ?? []).some((element) => components.every((component, index) => {
      const componentDef = definitionByUrl(component.definition);
      if (!componentDef) throw new Unsupported(component.definition);
      const evaluator = compile(component.expression, baseType);
      const values = evaluator ? evaluator(element.data) : [];
      return values.some((value) => valueMatches(componentDef, undefined, value, parts[index]));
    })));
}

export class Expectation {
  private reverse = new Map<string, Map<string, Json[]>>(); // `${type}.${param}` -> target ref -> sources

  constructor(private readonly data: Dataset) {}

  resources(type: string): Json[] { return this.data.byType.get(type) ?? []; }
  resolve(reference: string): Json | undefined { return this.data.byRef.get(reference); }

  definition(type: string, code: string): Definition {
    const found = code === '_id' ? { url: '_id', code: '_id', type: 'token', base: ['Resource'] } : definition(type, code);
    if (!found) throw new Unsupported(`no parameter ${type}.${code}`);
    return found;
  }

  private sources(type: string, code: string, target: string): Json[] {
    const key = `${type}.${code}`;
    let index = this.reverse.get(key);
    if (!index) {
      index = new Map();
      const def = this.definition(type, code);
      for (const resource of this.resources(type)) {
        for (const reference of valuesOf(resource, def).flatMap(referencesOf)) {
          const list = index.get(reference) ?? [];
          if (!list.includes(resource)) list.push(resource);
          index.set(reference, list);
        }
      }
      this.reverse.set(key, index);
    }
    return index.get(target) ?? [];
  }

  /** Does `resource` match `name=value` (one query parameter, comma values OR-ed)? */
  matches(resource: Json, name: string, value: string): boolean {
    const type = resource.resourceType as string;
    if (name.startsWith('_has:')) {
      const [, sourceType, param, ...rest] = name.split(':');
      if (!sourceType || !param || rest.length === 0) throw new Unsupported(name);
      return this.sources(sourceType, param, `${type}/${resource.id}`).some((source) => this.matches(source, rest.join(':'), value));
    }
    const dot = name.indexOf('.');
    if (dot > 0) {
      const [code, targetType] = name.slice(0, dot).split(':');
      const def = this.definition(type, code);
      if (def.type !== 'reference') throw new Unsupported(`chain on ${def.type}`);
      return valuesOf(resource, def).flatMap(referencesOf).some((reference) => {
        if (targetType && !reference.startsWith(`${targetType}/`)) return false;
        const target = this.resolve(reference);
        if (target === undefined) return false;
        // a target type without the chained parameter cannot match (search.html#chaining)
        const next = name.slice(dot + 1).split(/[.:]/)[0];
        if (!next.startsWith('_') && !definitionsOf(target.resourceType).has(next)) return false;
        return this.matches(target, name.slice(dot + 1), value);
      });
    }
    const [code, modifier] = name.split(':');
    const def = this.definition(type, code);
    const values = valuesOf(resource, def);
    if (modifier === 'missing') {
      // a Reference with only a display has nothing a reference search could match: no value (search.html#missing)
      const present = def.type === 'reference' ? values.some((v) => referencesOf(v).length > 0 || v.data?.identifier) : values.length > 0;
      return present !== (value === 'true');
    }
    const alternatives = splitKeeping(value, ',');
    if (modifier === 'not') return !alternatives.some((alternative) => values.some((v) => valueMatches(def, undefined, v, alternative)));
    if (modifier && !['exact', 'contains', 'text', 'below', 'above', 'of-type'].includes(modifier) && def.type !== 'reference') throw new Unsupported(`modifier ${modifier}`);
    if (def.type === 'composite') return alternatives.some((alternative) => compositeMatches(resource, def, alternative));
    return alternatives.some((alternative) => values.some((v) => valueMatches(def, modifier, v, alternative)));
  }

  /** The matching resources of `type` for the query's filter parameters (result parameters ignored). */
  search(type: string, params: [string, string][], compartment?: string): Json[] {
    const filters = params.filter(([name]) => !name.startsWith('_') || name === '_id' || name.startsWith('_has:'));
    const inCompartment = compartment ? compartmentMembership(compartment, type) : () => true;
    return this.resources(type).filter((resource) => inCompartment(resource) && filters.every(([name, value]) => this.matches(resource, name, value)));
  }

  /** search.html#include: `Type:param[:target]`, `*`; `:iterate` rules also apply to what was included. */
  included(matches: Json[], params: [string, string][]): Set<string> {
    const rules = params.filter(([name]) => name.startsWith('_include') || name.startsWith('_revinclude'))
      .map(([name, value]) => ({ reverse: name.startsWith('_revinclude'), iterate: name.endsWith(':iterate') || name.endsWith(':recurse'), value }));
    const all = new Map<string, Json>(matches.map((resource) => [`${resource.resourceType}/${resource.id}`, resource]));
    const included = new Set<string>();
    const apply = (pool: Json[], iterateOnly: boolean) => {
      const found: Json[] = [];
      for (const rule of rules) {
        if (iterateOnly && !rule.iterate) continue;
        const [sourceType, code, targetType] = rule.value === '*' ? ['*', '*'] : rule.value.split(':');
        const defsOf = (type: string) => code === '*' ? [...definitionsOf(type).values()].filter((d) => d.type === 'reference') : [this.definition(type, code)];
        if (rule.reverse && sourceType === '*') throw new Unsupported('_revinclude=*');
        const def = rule.reverse ? this.definition(sourceType, code) : undefined;
        for (const resource of pool) {
          if (!rule.reverse && (sourceType === '*' || resource.resourceType === sourceType)) {
            for (const reference of defsOf(resource.resourceType).flatMap((d) => valuesOf(resource, d)).flatMap(referencesOf)) {
              if (targetType && !reference.startsWith(`${targetType}/`)) continue;
              const target = this.resolve(reference);
              if (target) found.push(target);
            }
          } else if (rule.reverse && def) {
            found.push(...this.sources(sourceType, code, `${resource.resourceType}/${resource.id}`));
          }
        }
      }
      const added: Json[] = [];
      for (const resource of found) {
        const ref = `${resource.resourceType}/${resource.id}`;
        if (all.has(ref)) continue;
        all.set(ref, resource);
        included.add(ref);
        added.push(resource);
      }
      return added;
    };
    let added = apply(matches, false);
    while (added.length > 0) added = apply(added, true);
    return included;
  }

  /** The key a resource sorts by on `code` (search.html#_sort: the value that comes first in the sort direction). */
  sortKey(resource: Json, code: string, descending: boolean): string | number | undefined {
    const def = this.definition(resource.resourceType, code);
    const values = valuesOf(resource, def);
    let keys: (string | number)[];
    switch (def.type) {
      case 'string': keys = values.flatMap(stringsOf).map(normalise); break;
      case 'token': keys = values.flatMap(tokensOf).map((token) => token.code).filter((code): code is string => code !== undefined); break;
      case 'date': keys = values.flatMap(dateRangesOf).map((range) => descending ? range.high : range.low); break;
      case 'number': case 'quantity': keys = values.flatMap(quantitiesOf).map((quantity) => quantity.value); break;
      case 'reference': keys = values.flatMap(referencesOf); break;
      default: throw new Unsupported(`sort on ${def.type}`);
    }
    if (keys.length === 0) return undefined;
    return keys.reduce((best, key) => (descending ? key > best : key < best) ? key : best);
  }
}

/** R4 CompartmentDefinition-<type>.json of the examples package: `Patient/x` -> does a resource of `type` belong? */
function compartmentMembership(compartment: string, type: string): (resource: Json) => boolean {
  const [compartmentType, id] = compartment.split('/');
  const file = path.join(examplesDirectory(), `CompartmentDefinition-${compartmentType.toLowerCase()}.json`);
  const definition = JSON.parse(fs.readFileSync(file, 'utf8')) as { resource?: { code: string; param?: string[] }[] };
  const params = definition.resource?.find((entry) => entry.code === type)?.param ?? [];
  if (params.length === 0) throw new Unsupported(`${type} is not in the ${compartmentType} compartment`);
  return (resource) => params.some((param) => param === '{def}' ? false : valuesOf(resource, definition_(type, param))
    .flatMap(referencesOf).some((reference) => reference === compartment || (reference === `${compartmentType}/${id}`)));
}
const definition_ = (type: string, code: string) => {
  const found = definition(type, code);
  if (!found) throw new Unsupported(`no parameter ${type}.${code}`);
  return found;
};
