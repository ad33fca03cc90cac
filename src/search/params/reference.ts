/**
 * Reference parameters (R4 search.html#reference): [Type/]id, Type/id/_history/v, absolute URLs
 * (local when under one of the server's base URLs), canonical url|version, :identifier and the type
 * modifier (subject:Patient=123). Contained references (#x) are not indexed as targets.
 */
import type { IndexEntries, ReferenceEntry } from '../index-entries.js';
import type { ReferenceMatch } from '../ir.js';
import type { PathNode } from '../path.js';
import { invalidValue, isRecord, splitUnescaped, stringOrNull, unescapeValue } from './common.js';
import { pushCanonicalEntries } from './canonical.js';

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([^/]+))?$/;
const ABSOLUTE = /^([a-z][a-z0-9+.-]*:\/\/.+?)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([^/]+))?$/;

export interface LiteralReference { targetType?: string; targetId?: string; version?: string; url?: string }

/** Interprets a reference string; `baseUrls` are this server's bases (absolute URLs under them are local). */
export function parseLiteralReference(text: string, baseUrls: readonly string[]): LiteralReference | undefined {
  if (text.startsWith('#') || text.length === 0) return undefined;
  const relative = RELATIVE.exec(text);
  if (relative) return withVersion({ targetType: relative[1]!, targetId: relative[2]! }, relative[3]);
  const absolute = ABSOLUTE.exec(text);
  if (absolute && baseUrls.some((base) => stripSlash(base) === absolute[1])) {
    return withVersion({ targetType: absolute[2]!, targetId: absolute[3]! }, absolute[4]);
  }
  const bar = text.lastIndexOf('|');
  if (bar > 0 && text.includes(':')) return withVersion({ url: text.slice(0, bar) }, text.slice(bar + 1) || undefined);
  return { url: text };
}

function withVersion(ref: LiteralReference, version: string | undefined): LiteralReference {
  return version === undefined ? ref : { ...ref, version };
}

const stripSlash = (url: string) => url.replace(/\/+$/, '');

export function extractReference(node: PathNode, param: string, out: IndexEntries, baseUrls: readonly string[], group?: number): void {
  const { value } = node;
  let literal: LiteralReference | undefined;
  let identifierSystem: string | null = null;
  let identifierValue: string | null = null;
  if (typeof value === 'string') literal = parseLiteralReference(value, baseUrls);
  else if (isRecord(value)) {
    if (typeof value.reference === 'string') literal = parseLiteralReference(value.reference, baseUrls);
    if (isRecord(value.identifier)) {
      identifierSystem = stringOrNull(value.identifier.system);
      identifierValue = stringOrNull(value.identifier.value);
    }
  }
  if (!literal && !identifierValue) return;
  const entry: ReferenceEntry = {
    param,
    targetType: literal?.targetType ?? null,
    targetId: literal?.targetId ?? null,
    version: literal?.version ?? null,
    url: literal?.url ?? null,
    identifierSystem,
    identifierValue,
  };
  out.reference.push(group === undefined ? entry : { ...entry, group });
  // canonical / absolute urls also as uri entries, for :above and :below (canonical.ts)
  if (entry.url !== null && group === undefined) pushCanonicalEntries(out, param, entry.url, entry.version);
}

export const REFERENCE_MODIFIERS: ReadonlySet<string> = new Set(['missing', 'identifier', 'above', 'below']);

export interface ReferenceParseContext {
  /** the parameter's target types (SearchParameter.target) */
  targets: readonly string[];
  baseUrls: readonly string[];
  /** a type modifier (subject:Patient) already checked against the targets */
  typeModifier?: string;
  /**
   * every resource type this server knows: a typed value (Type/id) must name one of them. It need not be
   * among the declared targets: the R4 examples themselves reference undeclared types (a DeviceMetric's
   * parent a DeviceDefinition, an Observation's performer an Encounter), and such references are stored.
   */
  resourceTypes?: ReadonlySet<string>;
}

export function parseReference(param: string, raw: string, modifier: string | undefined, ctx: ReferenceParseContext): ReferenceMatch {
  const value = unescapeValue(raw);
  if (!value) throw invalidValue(param, raw, 'a reference value must not be empty');
  if (modifier === 'identifier') {
    const parts = splitUnescaped(raw, '|').map(unescapeValue);
    if (parts.length > 2 || !parts[parts.length - 1]) throw invalidValue(param, raw, ':identifier expects [system|]value');
    return { kind: 'reference', identifier: parts.length === 2 ? { system: parts[0] || null, value: parts[1]! } : { value: parts[0]! } };
  }
  if (!value.includes('/') && !value.includes(':')) {
    const targetType = ctx.typeModifier ?? (ctx.targets.length === 1 ? ctx.targets[0] : undefined);
    return targetType ? { kind: 'reference', targetType, targetId: value } : { kind: 'reference', targetId: value };
  }
  const literal = parseLiteralReference(value, ctx.baseUrls);
  if (!literal) throw invalidValue(param, raw, 'expected [Type/]id, an absolute URL or a canonical url[|version]');
  if (ctx.typeModifier && literal.targetType && literal.targetType !== ctx.typeModifier) {
    throw invalidValue(param, raw, `the reference type does not agree with the modifier :${ctx.typeModifier}`);
  }
  if (literal.targetType && ctx.resourceTypes && !ctx.resourceTypes.has(literal.targetType)) {
    throw invalidValue(param, raw, `${literal.targetType} is not a resource type this server knows (R4 resource types are case-sensitive, e.g. Patient)`);
  }
  return { kind: 'reference', ...literal };
}

/**
 * The alternatives a search value stands for. A bare value (no "/", no ":") is an id, and also a relative
 * canonical stored exactly so (Library.relatedArtifact.resource = "library-fhir-helpers-predecessor" is
 * indexed as a url): both forms match.
 */
export function parseReferenceValues(param: string, raw: string, modifier: string | undefined, ctx: ReferenceParseContext): ReferenceMatch[] {
  const match = parseReference(param, raw, modifier, ctx);
  const value = unescapeValue(raw);
  if (modifier === undefined && !ctx.typeModifier && match.targetId !== undefined && !value.includes('/') && !value.includes(':')) {
    return [match, { kind: 'reference', url: value }];
  }
  return [match];
}
