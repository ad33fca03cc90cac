/**
 * One filter parameter (name[:modifier]=v1,v2) -> one IR Condition. Comma = OR inside the condition
 * (R4 search.html#combining); chains (search.html#chaining) and _has (search.html#has) become nested
 * conditions that the engines compile as joins or sub-queries.
 */
import { FhirError } from '../fhir/errors.js';
import type { Definitions } from '../fhir/definitions.js';
import type { Condition, IndexKind, QuantityMatch, ValueMatch } from './ir.js';
import type { SearchParamDef, SearchParameterRegistry } from './registry.js';
import { invalidValue, splitUnescaped, unescapeValue } from './params/common.js';
import { DATE_MODIFIERS, dateRange, parseDate, widenForPrefix } from './params/date.js';
import { NUMBER_MODIFIERS, parseNumber } from './params/number.js';
import { QUANTITY_MODIFIERS, canonicalQuantityMatch, parseQuantity } from './params/quantity.js';
import { canonicalParam } from './ucum.js';
import { REFERENCE_MODIFIERS, parseReference, parseReferenceValues } from './params/reference.js';
import { STRING_MODIFIERS, parseString } from './params/string.js';
import { TOKEN_MODIFIERS, ofTypeParam, parseOfType, parseToken, parseTokenText } from './params/token.js';
import { URI_MODIFIERS, parseUri } from './params/uri.js';
import { parseComposite } from './params/composite.js';
import { canonicalReferenceCondition, canonicalUriCondition } from './params/canonical.js';
import { parseTerminologyModifier } from './parse-terminology.js';
import type { ValueSetResolver } from './terminology.js';
import { splitPrefix } from './params/common.js';

export interface FilterContext {
  registry: SearchParameterRegistry;
  defs: Definitions;
  now: number;
  baseUrls: readonly string[];
  resolveValueSet?: ValueSetResolver;
}

/** Parameters R4 defines without an expression that this server does not evaluate */
export const UNSUPPORTED_PARAMETERS = new Set(['_text', '_content', '_list', '_query', '_filter']);

const MODIFIERS: Record<string, ReadonlySet<string>> = {
  string: STRING_MODIFIERS, token: TOKEN_MODIFIERS, reference: REFERENCE_MODIFIERS, date: DATE_MODIFIERS,
  number: NUMBER_MODIFIERS, quantity: QUANTITY_MODIFIERS, uri: URI_MODIFIERS, composite: new Set(),
};

export const unknownParameter = (name: string, types: readonly string[] | null) =>
  new FhirError('unknown-search-parameter',
    `Unknown search parameter "${name}" for ${types ? types.join(', ') : 'a system-level search'}`, { expression: [name] });

/** The definition of `code` valid for every type searched (system level: the common Resource parameters). */
export function lookupParam(registry: SearchParameterRegistry, types: readonly string[] | null, code: string): SearchParamDef | undefined {
  if (!types) {
    const def = registry.get('Patient', code);
    if (!def || !(def.base.includes('Resource') || def.base.includes('DomainResource'))) return undefined;
    assertIndexed(registry, null, code);
    return def;
  }
  let found: SearchParamDef | undefined;
  for (const type of types) {
    const def = registry.get(type, code);
    if (!def || (found && found.type !== def.type)) return undefined;
    found ??= def;
  }
  if (found) assertIndexed(registry, types, code);
  return found;
}

/**
 * A parameter defined or changed after resources of a type were stored has an incomplete index until
 * $reindex has covered that type: refuse it (409 index-building) rather than give wrong answers.
 */
export function assertIndexed(registry: SearchParameterRegistry, types: readonly string[] | null, code: string, expression = code): void {
  const building = types ? types.filter((type) => registry.isBuilding(type, code)) : registry.buildingTypes(code);
  if (building.length === 0) return;
  throw new FhirError('index-building',
    `The search parameter "${code}" of ${building.join(', ')} is not usable yet: it was defined or changed after resources were stored, ` +
      `and its index is still being built. Run $reindex for ${building.join(', ')} (or the whole server), then search again.`,
    { expression: [expression], issueCode: 'transient' });
}

export async function parseFilter(types: readonly string[] | null, key: string, raw: string, ctx: FilterContext): Promise<Condition> {
  if (key.startsWith('_has:')) return parseHas(types, key, raw, ctx);
  const dot = key.indexOf('.');
  if (dot > 0) return parseChain(types, key.slice(0, dot), key.slice(dot + 1), raw, ctx);
  const colon = key.indexOf(':');
  const name = colon < 0 ? key : key.slice(0, colon);
  const modifier = colon < 0 ? undefined : key.slice(colon + 1);
  if (UNSUPPORTED_PARAMETERS.has(name)) {
    throw new FhirError('invalid-search-parameter', `The search parameter "${name}" is not supported by this server`, { expression: [name], issueCode: 'not-supported' });
  }
  if (name === '_id') return parseIdParam(modifier, raw);
  if (name === '_lastUpdated') return parseLastUpdated(modifier, raw, ctx.now);
  const def = lookupParam(ctx.registry, types, name);
  if (!def) throw unknownParameter(name, types);
  return parseDefinedParam(def, types, modifier, raw, ctx);
}

function unsupportedModifier(def: SearchParamDef, modifier: string): FhirError {
  const allowed = [...(MODIFIERS[def.type] ?? [])];
  return new FhirError('unsupported-modifier',
    `The modifier ":${modifier}" is not supported on the ${def.type} parameter "${def.code}"` +
      (allowed.length ? ` (supported: ${allowed.map((m) => ':' + m).join(' ')})` : ''),
    { expression: [`${def.code}:${modifier}`] });
}

function parseMissing(def: SearchParamDef, raw: string): Condition {
  if (raw !== 'true' && raw !== 'false') throw invalidValue(`${def.code}:missing`, raw, 'expected true or false');
  if (def.type === 'composite' || def.type === 'special') throw unsupportedModifierOf(def, 'missing');
  return { kind: 'missing', param: def.code, index: def.type as IndexKind, missing: raw === 'true' };
}

const unsupportedModifierOf = (def: SearchParamDef, modifier: string) => unsupportedModifier(def, modifier);

async function parseDefinedParam(def: SearchParamDef, types: readonly string[] | null, modifier: string | undefined, raw: string, ctx: FilterContext): Promise<Condition> {
  if (modifier === 'missing') return parseMissing(def, raw);
  if (def.type === 'special') {
    throw new FhirError('invalid-search-parameter', `The special search parameter "${def.code}" is not supported by this server`, { expression: [def.code], issueCode: 'not-supported' });
  }
  let typeModifier: string | undefined;
  if (modifier !== undefined && !MODIFIERS[def.type]!.has(modifier)) {
    if (def.type === 'reference' && ctx.defs.resourceTypes.has(modifier) && (def.targets.length === 0 || def.targets.includes(modifier))) {
      typeModifier = modifier;
    } else throw unsupportedModifier(def, modifier);
  }
  const values = splitUnescaped(raw, ',');
  if (values.some((v) => v.length === 0)) throw invalidValue(def.code, raw, 'empty value in the comma-separated list');
  const param = def.code;
  const plain = (index: IndexKind, parse: (v: string) => ValueMatch): Condition =>
    ({ kind: 'param', param, index, values: values.map(parse) });
  switch (def.type) {
    case 'string': return plain('string', (v) => parseString(param, v, modifier));
    case 'uri':
      if (modifier === 'above' || modifier === 'below') return canonicalUriCondition(param, modifier, values);
      return plain('uri', (v) => parseUri(param, v, modifier));
    case 'date': return plain('date', (v) => parseDate(param, v, ctx.now));
    case 'number': return plain('number', (v) => parseNumber(param, v));
    case 'quantity': return quantityCondition(param, values.map((v) => parseQuantity(param, v)));
    case 'reference':
      if (modifier === 'above' || modifier === 'below') return canonicalReferenceCondition(param, modifier, values);
      return {
        kind: 'param', param, index: 'reference',
        values: values.flatMap((v) => parseReferenceValues(param, v, typeModifier ? undefined : modifier, { targets: def.targets, baseUrls: ctx.baseUrls, typeModifier, resourceTypes: ctx.defs.resourceTypes })),
      };
    case 'token': return parseTokenParam(def, modifier, values, raw, ctx);
    case 'composite': return parseCompositeParam(def, values, ctx);
  }
  throw unknownParameter(def.code, types);
}

async function parseTokenParam(def: SearchParamDef, modifier: string | undefined, values: string[], raw: string, ctx: FilterContext): Promise<Condition> {
  const param = def.code;
  switch (modifier) {
    case undefined:
      return { kind: 'param', param, index: 'token', values: values.map((v) => parseToken(param, v)) };
    case 'not':
      return { kind: 'not', condition: { kind: 'param', param, index: 'token', values: values.map((v) => parseToken(param, v)) } };
    case 'text':
      return { kind: 'param', param, index: 'token', values: values.map((v) => parseTokenText(param, v)) };
    case 'of-type':
      return { kind: 'param', param: ofTypeParam(param), index: 'token', values: values.map((v) => parseOfType(param, v)) };
    default: {
      const condition: Condition = {
        kind: 'param', param, index: 'token',
        values: await Promise.all(values.map((v) => parseTerminologyModifier(param, v, modifier, ctx))),
      };
      return modifier === 'not-in' ? { kind: 'not', condition } : condition;
    }
  }
}

function parseCompositeParam(def: SearchParamDef, values: string[], ctx: FilterContext): Condition {
  const components = (def.components ?? []).map((c) => ctx.registry.byUrl(c.definition));
  if (components.length === 0 || components.some((c) => c === undefined)) {
    throw new FhirError('invalid-search-parameter', `The composite parameter "${def.code}" has components this server does not know`, { expression: [def.code] });
  }
  const parseComponent = (component: SearchParamDef, name: string, part: string): ValueMatch => {
    switch (component.type) {
      case 'string': return parseString(name, part, undefined);
      case 'token': return parseToken(name, part);
      case 'reference': return parseReference(name, part, undefined, { targets: component.targets, baseUrls: ctx.baseUrls, resourceTypes: ctx.defs.resourceTypes });
      case 'date': return parseDate(name, part, ctx.now);
      case 'number': return parseNumber(name, part);
      case 'quantity': return parseQuantity(name, part);
      case 'uri': return parseUri(name, part, undefined);
      default: throw invalidValue(name, part, `component type ${component.type} cannot be searched`);
    }
  };
  return {
    kind: 'composite', param: def.code,
    alternatives: values.map((v) => parseComposite(def, v, components as SearchParamDef[], parseComponent).map(inCanonicalUnits)),
  };
}

/** R4 search.html#quantity: UCUM values are compared in canonical units, against the canonical entries */
function quantityCondition(param: string, matches: QuantityMatch[]): Condition {
  const stated: QuantityMatch[] = [];
  const canonical: QuantityMatch[] = [];
  for (const match of matches) {
    const converted = canonicalQuantityMatch(match);
    if (converted) canonical.push(converted);
    else stated.push(match);
  }
  const conditions: Condition[] = [];
  if (stated.length) conditions.push({ kind: 'param', param, index: 'quantity', values: stated });
  if (canonical.length) conditions.push({ kind: 'param', param: canonicalParam(param), index: 'quantity', values: canonical });
  return conditions.length === 1 ? conditions[0]! : { kind: 'or', conditions };
}

function inCanonicalUnits(component: { param: string; index: IndexKind; match: ValueMatch }) {
  const converted = component.match.kind === 'quantity' ? canonicalQuantityMatch(component.match) : undefined;
  return converted ? { ...component, param: canonicalParam(component.param), match: converted } : component;
}

function parseIdParam(modifier: string | undefined, raw: string): Condition {
  const ids = splitUnescaped(raw, ',').map(unescapeValue);
  if (ids.some((id) => !/^[A-Za-z0-9\-.]{1,64}$/.test(id))) throw invalidValue('_id', raw, 'an id is 1-64 letters, digits, "-" or "."');
  if (modifier === undefined) return { kind: 'id', ids };
  if (modifier === 'not') return { kind: 'not', condition: { kind: 'id', ids } };
  throw new FhirError('unsupported-modifier', `The modifier ":${modifier}" is not supported on "_id" (supported: :not)`, { expression: [`_id:${modifier}`] });
}

function parseLastUpdated(modifier: string | undefined, raw: string, now: number): Condition {
  if (modifier !== undefined) {
    throw new FhirError('unsupported-modifier', `The modifier ":${modifier}" is not supported on "_lastUpdated"`, { expression: [`_lastUpdated:${modifier}`] });
  }
  const conditions: Condition[] = splitUnescaped(raw, ',').map((value) => {
    const { prefix, rest } = splitPrefix('_lastUpdated', value);
    const range = dateRange(rest);
    if (!range) throw invalidValue('_lastUpdated', value, 'expected a date like 2020-03-01 or 2020-03-01T10:00:00Z');
    return { kind: 'lastUpdated', prefix, ...widenForPrefix(prefix, range, now) };
  });
  return conditions.length === 1 ? conditions[0]! : { kind: 'or', conditions };
}

async function parseChain(types: readonly string[] | null, head: string, rest: string, raw: string, ctx: FilterContext): Promise<Condition> {
  const [refName, typeModifier, extra] = head.split(':');
  if (extra !== undefined) throw invalidValue(head, raw, 'a chained parameter takes at most one type modifier');
  const def = lookupParam(ctx.registry, types, refName!);
  if (!def) throw unknownParameter(refName!, types);
  if (def.type !== 'reference') {
    throw new FhirError('invalid-search-parameter', `"${refName}" is a ${def.type} parameter and cannot be chained (in "${head}.${rest}")`, { expression: [`${head}.${rest}`] });
  }
  if (typeModifier !== undefined && (!ctx.defs.resourceTypes.has(typeModifier) || (def.targets.length > 0 && !def.targets.includes(typeModifier)))) {
    throw new FhirError('unsupported-modifier', `":${typeModifier}" is not a target type of "${refName}" (targets: ${def.targets.join(', ')})`, { expression: [head] });
  }
  const candidates = typeModifier ? [typeModifier] : def.targets.length ? def.targets : [...ctx.defs.resourceTypes];
  const nextName = rest.startsWith('_has:') ? '_has' : rest.split(/[.:]/)[0]!;
  const byCondition = new Map<string, { condition: Condition; types: string[] }>();
  for (const target of candidates) {
    if (nextName !== '_has' && !ctx.registry.get(target, nextName) && nextName !== '_id' && nextName !== '_lastUpdated') continue;
    const condition = await parseFilter([target], rest, raw, ctx);
    const signature = JSON.stringify(condition);
    const group = byCondition.get(signature);
    if (group) group.types.push(target);
    else byCondition.set(signature, { condition, types: [target] });
  }
  if (byCondition.size === 0) throw unknownParameter(`${head}.${rest}`, candidates);
  const chains: Condition[] = [...byCondition.values()].map(({ condition, types: targetTypes }) =>
    ({ kind: 'chain', param: def.code, targetTypes, where: [condition] }));
  return chains.length === 1 ? chains[0]! : { kind: 'or', conditions: chains };
}

async function parseHas(types: readonly string[] | null, key: string, raw: string, ctx: FilterContext): Promise<Condition> {
  const m = /^_has:([A-Za-z]+):([^:.]+):(.+)$/.exec(key);
  if (!m) throw new FhirError('invalid-search-parameter', `"${key}" is not of the form _has:Type:reference:parameter`, { expression: [key] });
  const [, sourceType, refName, rest] = m as unknown as [string, string, string, string];
  if (!ctx.defs.resourceTypes.has(sourceType)) {
    throw new FhirError('invalid-search-parameter', `Unknown resource type "${sourceType}" in "${key}"`, { expression: [key] });
  }
  const ref = ctx.registry.get(sourceType, refName);
  if (!ref || ref.type !== 'reference') {
    throw new FhirError('unknown-search-parameter', `"${refName}" is not a reference search parameter of ${sourceType} (in "${key}")`, { expression: [key] });
  }
  assertIndexed(ctx.registry, [sourceType], refName, key);
  if (types && ref.targets.length > 0 && !types.some((t) => ref.targets.includes(t))) {
    throw new FhirError('invalid-search-parameter', `${sourceType}.${refName} never points at ${types.join(', ')} (in "${key}")`, { expression: [key] });
  }
  const where = await parseFilter([sourceType], rest, raw, ctx);
  return { kind: 'has', sourceType, param: refName, where: [where] };
}
