/**
 * Search request -> planned query (R4 search.html). Filter parameters become the AND of conditions
 * (a repeated parameter = AND, comma = OR inside one); result parameters (_count, _sort, _include, ...)
 * shape the response. Unknown parameters are an error unless the client asked for lenient handling.
 */
import { FhirError } from '../fhir/errors.js';
import type { Definitions } from '../fhir/definitions.js';
import type { R4 } from '../fhir/types.js';
import type { Condition, SearchQuery, SortKey } from './ir.js';
import type { SearchParameterRegistry } from './registry.js';
import { assertIndexed, lookupParam, parseFilter, type FilterContext } from './parse-param.js';

export interface IncludeSpec { sourceType: string; param: string; targetType?: string; iterate: boolean }

export interface ParsedSearch {
  query: SearchQuery;
  includes: IncludeSpec[];
  revIncludes: IncludeSpec[];
  summary?: 'true' | 'text' | 'data' | 'count' | 'false';
  elements?: string[];
  contained?: 'false' | 'true' | 'both';
  containedType?: 'container' | 'contained';
  /** parameters ignored under Prefer: handling=lenient */
  ignored: string[];
  /** the parameters applied, canonical form, for the self link */
  selfParams: [string, string][];
  /** set when _count asked for more than maxCount: the page size was clamped to max */
  countLimited?: { requested: number; max: number };
  /** _explain=true: the caller reports the plan and timings */
  explain?: boolean;
}

export interface ParseOptions {
  lenient: boolean;
  defaultCount: number;
  maxCount: number;
  defs: Definitions;
  resolveValueSet?: (url: string) => Promise<R4.ValueSet | undefined>;
  /** this server's base URLs: absolute references under them are local */
  baseUrls?: string[];
  /** total when the client does not send _total (default accurate) */
  defaultTotal?: SearchQuery['total'];
  /** clock for `ap` (tests pin it) */
  now?: () => number;
}

const IGNORED = new Set(['_format', '_pretty', '_cursor']);
/**
 * What Prefer: handling=lenient ignores (search.html#errors): parameters the server does not know, and ones it knows
 * but does not support as given (a modifier it does not take, a parameter it cannot search). Bad values stay errors.
 */
const LENIENTLY_IGNORED: ReadonlySet<string> = new Set(['unknown-search-parameter', 'invalid-search-parameter', 'unsupported-modifier']);
const SUMMARY = new Set(['true', 'text', 'data', 'count', 'false']);
const TOTAL = new Set(['none', 'estimate', 'accurate']);

const invalidParameter = (name: string, message: string) =>
  new FhirError('invalid-parameter', message, { expression: [name] });

function single(name: string, values: string[]): string {
  if (values.length !== 1) throw invalidParameter(name, `"${name}" may appear only once`);
  return values[0]!;
}

/**
 * No stored text holds U+0000 (R4 string excludes it, and PostgreSQL's text cannot hold it: it refused such a value
 * with a 500), so a search for one is a malformed request rather than one that matches nothing.
 */
function refuseNul(key: string, values: readonly string[]): void {
  if (key.includes('\u0000') || values.some((value) => value.includes('\u0000'))) {
    throw new FhirError('invalid-search-value', `The search parameter "${key.replaceAll('\u0000', '\\u0000')}" contains the character U+0000, which no FHIR string holds`, { expression: [key.replaceAll('\u0000', '')] });
  }
}

export async function parseSearch(
  resourceType: string | null,
  query: Record<string, string[]>,
  registry: SearchParameterRegistry,
  options: ParseOptions,
): Promise<ParsedSearch> {
  const { defs } = options;
  let types: string[] | null = resourceType ? [resourceType] : null;
  const selfParams: [string, string][] = [];
  if (query._type) {
    const requested = query._type.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
    const unknown = requested.filter((t) => !defs.resourceTypes.has(t));
    if (unknown.length) throw invalidParameter('_type', `Unknown resource type(s) in _type: ${unknown.join(', ')}`);
    if (resourceType && requested.some((t) => t !== resourceType)) throw invalidParameter('_type', `_type ${requested.join(',')} conflicts with the searched type ${resourceType}`);
    if (!resourceType && requested.length) types = requested;
    selfParams.push(['_type', requested.join(',')]);
  }
  const ctx: FilterContext = {
    registry, defs, now: options.now?.() ?? Date.now(), baseUrls: options.baseUrls ?? [], resolveValueSet: options.resolveValueSet,
  };
  const result: ParsedSearch = {
    query: { types, where: [], sort: [], count: options.defaultCount, total: options.defaultTotal ?? 'accurate' },
    includes: [], revIncludes: [], ignored: [], selfParams,
  };
  for (const [key, values] of Object.entries(query)) {
    if (key === '_type' || IGNORED.has(key)) continue;
    refuseNul(key, values);
    try {
      if (key.startsWith('_') && !key.startsWith('_has:') && parseResultParam(key, values, result, types, registry, options)) continue;
      for (const value of values) {
        const condition: Condition = await parseFilter(types, key, value, ctx);
        result.query.where.push(condition);
        selfParams.push([key, value]);
      }
    } catch (error) {
      if (options.lenient && error instanceof FhirError && LENIENTLY_IGNORED.has(error.code)) {
        result.ignored.push(key);
        continue;
      }
      throw error;
    }
  }
  return result;
}

/** handles a result parameter; false when `key` is not one */
function parseResultParam(
  key: string, values: string[], result: ParsedSearch, types: string[] | null,
  registry: SearchParameterRegistry, options: ParseOptions,
): boolean {
  const [name, modifier] = key.split(':') as [string, string | undefined];
  switch (name) {
    case '_count': {
      const raw = single(key, values);
      if (!/^\d+$/.test(raw)) throw new FhirError('invalid-count', `_count must be a non-negative integer, got "${raw}"`, { expression: ['_count'] });
      const requested = Number(raw);
      result.query.count = Math.min(requested, options.maxCount);
      if (requested > options.maxCount) result.countLimited = { requested, max: options.maxCount };
      result.selfParams.push(['_count', String(result.query.count)]);
      return true;
    }
    case '_sort': {
      const raw = single(key, values);
      result.query.sort = raw.split(',').map((item) => parseSortKey(item.trim(), types, registry));
      result.selfParams.push(['_sort', raw]);
      return true;
    }
    case '_total': {
      const raw = single(key, values);
      if (!TOTAL.has(raw)) throw invalidParameter('_total', `_total must be none, estimate or accurate, got "${raw}"`);
      result.query.total = raw as SearchQuery['total'];
      result.selfParams.push(['_total', raw]);
      return true;
    }
    case '_summary': {
      const raw = single(key, values);
      if (!SUMMARY.has(raw)) throw invalidParameter('_summary', `_summary must be one of true, text, data, count, false, got "${raw}"`);
      result.summary = raw as ParsedSearch['summary'];
      if (raw === 'count') {
        result.query.count = 0;
        result.query.total = 'accurate';
      }
      result.selfParams.push(['_summary', raw]);
      return true;
    }
    case '_elements': {
      const elements = values.flatMap((v) => v.split(',')).map((e) => e.trim()).filter(Boolean);
      if (elements.some((e) => !/^[A-Za-z][A-Za-z0-9_.]*$/.test(e))) throw invalidParameter('_elements', `_elements must list element names, got "${values.join(',')}"`);
      result.elements = elements;
      result.selfParams.push(['_elements', elements.join(',')]);
      return true;
    }
    case '_include':
    case '_revinclude': {
      if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
        throw new FhirError('unsupported-modifier', `The modifier ":${modifier}" is not supported on ${name} (supported: :iterate)`, { expression: [key] });
      }
      const target = name === '_include' ? result.includes : result.revIncludes;
      for (const value of values) {
        target.push(parseInclude(name, value, modifier !== undefined, types, registry, options.defs));
        result.selfParams.push([key, value]);
      }
      return true;
    }
    case '_contained': {
      const raw = single(key, values);
      if (raw !== 'true' && raw !== 'false' && raw !== 'both') throw invalidParameter('_contained', `_contained must be true, false or both, got "${raw}"`);
      result.contained = raw;
      result.selfParams.push(['_contained', raw]);
      return true;
    }
    case '_containedType': {
      const raw = single(key, values);
      if (raw !== 'container' && raw !== 'contained') throw invalidParameter('_containedType', `_containedType must be container or contained, got "${raw}"`);
      result.containedType = raw;
      result.selfParams.push(['_containedType', raw]);
      return true;
    }
    case '_explain': {
      result.explain = single(key, values) === 'true';
      return true;
    }
    default:
      return false;
  }
}

function parseSortKey(item: string, types: string[] | null, registry: SearchParameterRegistry): SortKey {
  const descending = item.startsWith('-');
  const param = descending ? item.slice(1) : item;
  if (!param) throw new FhirError('invalid-sort', 'An empty _sort key', { expression: ['_sort'] });
  if (param === '_id' || param === '_lastUpdated') return { param, descending };
  const def = lookupParam(registry, types, param);
  if (!def) throw new FhirError('invalid-sort', `Unknown _sort parameter "${param}" for ${types ? types.join(', ') : 'a system-level search'}`, { expression: ['_sort'] });
  if (def.type === 'composite' || def.type === 'special') {
    throw new FhirError('invalid-sort', `The ${def.type} parameter "${param}" cannot be used in _sort`, { expression: ['_sort'] });
  }
  return { param, descending };
}

function parseInclude(
  name: '_include' | '_revinclude', value: string, iterate: boolean, types: string[] | null,
  registry: SearchParameterRegistry, defs: Definitions,
): IncludeSpec {
  if (value === '*') return { sourceType: '*', param: '*', iterate };
  const [sourceType, param, targetType, extra] = value.split(':');
  const invalid = (why: string) =>
    new FhirError('invalid-search-parameter', `Invalid ${name} value "${value}": ${why}`, { expression: [name] });
  if (extra !== undefined || !sourceType || !param) throw invalid('expected SourceType:parameter[:TargetType]');
  if (!defs.resourceTypes.has(sourceType)) throw invalid(`unknown resource type "${sourceType}"`);
  if (targetType !== undefined && !defs.resourceTypes.has(targetType)) throw invalid(`unknown resource type "${targetType}"`);
  if (param !== '*') {
    const def = registry.get(sourceType, param);
    if (!def) throw new FhirError('unknown-search-parameter', `Invalid ${name} value "${value}": ${sourceType} has no search parameter "${param}"`, { expression: [name] });
    if (def.type !== 'reference') throw invalid(`"${param}" is a ${def.type} parameter, not a reference`);
    // _include reads references from the resources themselves; _revinclude relies on the index
    if (name === '_revinclude') assertIndexed(registry, [sourceType], param, name);
    if (targetType && def.targets.length > 0 && !def.targets.includes(targetType)) throw invalid(`${targetType} is not a target of ${sourceType}.${param}`);
  }
  if (name === '_revinclude' && types && param !== '*' && !iterate) {
    const def = registry.get(sourceType, param)!;
    if (def.targets.length > 0 && !types.some((t) => def.targets.includes(t))) throw invalid(`${sourceType}.${param} never points at ${types.join(', ')}`);
  }
  return targetType ? { sourceType, param, targetType, iterate } : { sourceType, param, iterate };
}
