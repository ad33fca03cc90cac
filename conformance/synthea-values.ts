/**
 * What a resource holds for a search parameter, computed independently of the server: the pristine R4
 * SearchParameter expression run by fhirpath.js (typed results), turned into the comparable forms the R4
 * search page defines per parameter type (search.html#string, #token, #reference, #date, #number, #quantity,
 * #uri), plus date/number ranges with their implicit precision (search.html#prefix, #date).
 */
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { searchParameterDefinitions } from './examples.js';
import type { Json } from './synthea-data.js';

export interface Definition {
  url: string; code: string; type: string; expression?: string; base: string[];
  target?: string[]; component?: { definition: string; expression: string }[];
}

export interface Typed { type: string; data: any }

const allDefinitions = searchParameterDefinitions() as unknown as Map<string, Definition>;
const byType = new Map<string, Map<string, Definition>>();
for (const definition of allDefinitions.values()) {
  for (const base of definition.base) {
    const codes = byType.get(base) ?? new Map<string, Definition>();
    codes.set(definition.code, definition);
    byType.set(base, codes);
  }
}

export const definitionByUrl = (url: string) => allDefinitions.get(url);
/** The R4 parameters of `type` (not the Resource-wide ones). */
export const definitionsOf = (type: string): Map<string, Definition> => byType.get(type) ?? new Map();
export function definition(type: string, code: string): Definition | undefined {
  return byType.get(type)?.get(code) ?? byType.get('DomainResource')?.get(code) ?? byType.get('Resource')?.get(code);
}

type Evaluator = (node: unknown) => Typed[];
const compiled = new Map<string, Evaluator | null>();

function typedResults(results: unknown[]): Typed[] {
  const types = fhirpath.types(results) as string[];
  return results.map((result, index) => ({
    type: (types[index] ?? '').replace(/^(FHIR|System)\./, ''),
    data: result && typeof result === 'object' && 'data' in (result as Json) ? (result as Json).data : result,
  }));
}

/**
 * `Type.path.where(resolve() is X)` cannot run without a resolver: each union term is compiled without it
 * and keeps only references to X. `base` gives the context type for composite components.
 */
export function compile(expression: string, base?: string): Evaluator | null {
  const key = `${base ?? ''}::${expression}`;
  if (compiled.has(key)) return compiled.get(key)!;
  let evaluator: Evaluator | null = null;
  try {
    const terms = expression.split(/\s\|\s/).map((term) => {
      const target = /\.where\(resolve\(\) is (\w+)\)/.exec(term)?.[1];
      // `(path as Type)` fails in fhirpath.js on several items (Observation.component.value): it is meant per item
      const text = term.replace(/\.where\(resolve\(\) is \w+\)/g, '').trim()
        .replace(/^\((.+) as (\w+)\)$/, '$1.ofType($2)').replace(/\.as\((\w+)\)/g, '.ofType($1)');
      const run = fhirpath.compile(base ? { base, expression: text } as any : text, r4Model as any, { resolveInternalTypes: false } as any);
      return { target, run };
    });
    evaluator = (node) => terms.flatMap(({ target, run }) => {
      let values: Typed[];
      try { values = typedResults(run(node as any) as unknown[]); } catch { return []; }
      return target ? values.filter((value) => referenceType(value.data) === target) : values;
    });
  } catch {
    evaluator = null;
  }
  compiled.set(key, evaluator);
  return evaluator;
}

const cache = new WeakMap<object, Map<string, Typed[]>>();

/** The parameter's values in `resource` (cached per resource). */
export function valuesOf(resource: Json, def: Definition): Typed[] {
  let perResource = cache.get(resource);
  if (!perResource) { perResource = new Map(); cache.set(resource, perResource); }
  let values = perResource.get(def.url);
  if (!values) {
    if (def.code === '_id') values = [{ type: 'id', data: resource.id }];
    else {
      const evaluator = def.expression ? compile(def.expression) : null;
      try { values = evaluator ? evaluator(resource) : []; } catch { values = []; }
    }
    perResource.set(def.url, values);
  }
  return values;
}

export function referenceType(data: unknown): string | undefined {
  const reference = typeof data === 'string' ? data : (data as Json | null)?.reference;
  return typeof reference === 'string' ? /^([A-Z][A-Za-z]+)\//.exec(reference)?.[1] : undefined;
}

/** Lower case, accents folded, as R4 search.html#string asks of default matching. */
export const normalise = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

export function stringsOf(value: Typed): string[] {
  const data = value.data;
  if (typeof data === 'string') return [data];
  if (typeof data !== 'object' || data === null) return [];
  const parts: unknown[] = value.type === 'HumanName'
    ? [data.family, ...(data.given ?? []), ...(data.prefix ?? []), ...(data.suffix ?? []), data.text]
    : [...(data.line ?? []), data.city, data.district, data.state, data.postalCode, data.country, data.text];
  return parts.filter((part): part is string => typeof part === 'string');
}

export interface Token { system?: string; code?: string; text: string[] }

/** Token forms per R4 search.html#token (Coding, CodeableConcept, Identifier, ContactPoint, code, boolean, ...). */
export function tokensOf(value: Typed): Token[] {
  const data = value.data;
  if (typeof data === 'boolean') return [{ code: String(data), text: [] }];
  if (typeof data === 'string') return [{ code: data, text: [] }];
  if (typeof data !== 'object' || data === null) return [];
  switch (value.type) {
    case 'Coding': return [{ system: data.system, code: data.code, text: data.display ? [data.display] : [] }];
    case 'CodeableConcept': {
      const texts = [data.text, ...(data.coding ?? []).map((coding: Json) => coding.display)].filter((text) => typeof text === 'string');
      const codings: Token[] = (data.coding ?? []).map((coding: Json) => ({ system: coding.system, code: coding.code, text: texts }));
      return codings.length > 0 ? codings : [{ text: texts }];
    }
    case 'Identifier': return [{ system: data.system, code: data.value, text: data.type?.text ? [data.type.text] : [] }];
    case 'ContactPoint': return [{ code: data.value, text: [] }];
    default: return [];
  }
}

/** A half-open instant range [low, high) in ms; missing ends of a Period are open. */
export interface Range { low: number; high: number }

/** The range a date/dateTime/instant string covers at its precision (no zone = UTC, as the server documents). */
export function dateRange(text: string): Range | undefined {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const offset = !zone || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  const y = Number(year);
  if (month === undefined) return { low: Date.UTC(y, 0, 1), high: Date.UTC(y + 1, 0, 1) };
  const m = Number(month) - 1;
  if (day === undefined) return { low: Date.UTC(y, m, 1), high: Date.UTC(y, m + 1, 1) };
  const d = Number(day);
  if (hour === undefined) return { low: Date.UTC(y, m, d), high: Date.UTC(y, m, d + 1) };
  const base = Date.UTC(y, m, d, Number(hour), Number(minute), Number(second ?? 0)) - offset;
  if (second === undefined) return { low: base, high: base + 60_000 };
  if (fraction === undefined) return { low: base, high: base + 1000 };
  const digits = Math.min(fraction.length, 3);
  const low = base + Number(fraction.slice(0, 3).padEnd(3, '0'));
  return { low, high: low + 10 ** (3 - digits) };
}

export function dateRangesOf(value: Typed): Range[] {
  const data = value.data;
  if (typeof data === 'string') { const range = dateRange(data); return range ? [range] : []; }
  if (typeof data !== 'object' || data === null) return [];
  if (value.type === 'Period') {
    const start = data.start ? dateRange(data.start) : undefined;
    const end = data.end ? dateRange(data.end) : undefined;
    if (!start && !end) return [];
    return [{ low: start?.low ?? -Infinity, high: end?.high ?? Infinity }];
  }
  if (value.type === 'Timing') {
    const events = (data.event ?? []).map((event: string) => dateRange(event)).filter(Boolean) as Range[];
    const bounds = data.repeat?.boundsPeriod ? dateRangesOf({ type: 'Period', data: data.repeat.boundsPeriod }) : [];
    return [...events, ...bounds];
  }
  return [];
}

export interface QuantityValue { value: number; system?: string; code?: string; unit?: string }

export function quantitiesOf(value: Typed): QuantityValue[] {
  const data = value.data;
  if (typeof data === 'number') return [{ value: data }];
  if (typeof data === 'object' && data !== null && typeof data.value === 'number') return [{ value: data.value, system: data.system, code: data.code, unit: data.unit }];
  return [];
}

export function referencesOf(value: Typed): string[] {
  const data = value.data;
  if (typeof data === 'string') return [data];
  return typeof data?.reference === 'string' ? [data.reference] : [];
}
