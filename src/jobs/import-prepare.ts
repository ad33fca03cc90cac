/**
 * The per-line work of an NDJSON import that needs no store: parse, validate, stamp meta, extract index entries.
 * It runs on the thread that then writes the chunk (this one, or an import-writers.ts thread). A line comes out as
 * one of:
 *  - `error`: not a resource (the reader's messages), or not of the type the $import input declares;
 *  - `ready`: a PUT Type/id that the interaction path would write unchanged: valid, with an id, no conditional
 *    reference to resolve. Its resource is exactly what writeResourceVersion would store (interactions/write-version.ts),
 *    with meta.versionId "1" for the writer to correct once it knows the current version;
 *  - `other`: anything else (no id, invalid, a reference to resolve or to refuse, a SearchParameter): the writer sends its
 *    batch through the transaction/batch interactions as before, so outcomes and diagnostics are theirs.
 */
import { isValidId } from '../fhir/ids.js';
import { referencesToSettle } from '../interactions/bundle-references.js';
import type { Resource } from '../fhir/types.js';
import type { ResourceValidator } from '../fhir/validation.js';
import type { IndexEntries } from '../search/index-entries.js';
import { parseNdjsonLine, type NdjsonText } from './ndjson-reader.js';

export interface PrepareTools {
  validator: ResourceValidator;
  extract(resource: Resource): IndexEntries;
  resourceTypes: ReadonlySet<string>;
}

export interface PrepareOptions {
  /** meta.lastUpdated of every ready line of the chunk */
  lastUpdated: string;
  /** $import: a line of another type is an error line */
  declaredType?: string;
}

export type PreparedLine =
  | { kind: 'error'; error: string }
  /** `json`: the resource as stored when it is new (versionId "1"), serialised here rather than in the writer's turn */
  | { kind: 'ready'; resourceType: string; id: string; resource: Resource; json: string; index: IndexEntries }
  | { kind: 'other' };

/** the text a urn: reference must contain (whitespace allowed around the colon), to walk only lines that may hold one */
const URN_REFERENCE_TEXT = /"reference"\s*:\s*"urn:/;

export function prepareLine(tools: PrepareTools, input: NdjsonText, options: PrepareOptions): PreparedLine {
  const parsed = parseNdjsonLine(input.text, input.line);
  if (parsed.error !== undefined) return { kind: 'error', error: parsed.error };
  const source = parsed.resource;
  const resourceType = source.resourceType;
  if (options.declaredType !== undefined && resourceType !== options.declaredType) {
    return { kind: 'error', error: `line ${input.line} is a ${resourceType}, but the input declares type ${options.declaredType}` };
  }
  const id = source.id;
  if (typeof id !== 'string' || !isValidId(id) || !tools.resourceTypes.has(resourceType) || resourceType === 'SearchParameter') return { kind: 'other' };
  // a conditional reference to resolve, or a urn: one the interactions refuse (bundle.html#references); a line with
  // neither a "?" nor a urn: reference in its text is not walked
  if (input.text.includes('?') || URN_REFERENCE_TEXT.test(input.text)) {
    const { urn, conditional } = referencesToSettle(source);
    if (urn !== undefined || conditional.size > 0) return { kind: 'other' };
  }
  // the same shape, key order included, as writeResourceVersion gives a PUT
  const resource: Resource = { ...source, id };
  resource.meta = { ...(source.meta ?? {}), versionId: '1', lastUpdated: options.lastUpdated };
  const invalid = tools.validator.validate(resource).some((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  if (invalid) return { kind: 'other' };
  return { kind: 'ready', resourceType, id, resource, json: JSON.stringify(resource), index: tools.extract(resource) };
}

export function prepareChunk(tools: PrepareTools, lines: readonly NdjsonText[], options: PrepareOptions): PreparedLine[] {
  return lines.map((line) => prepareLine(tools, line, options));
}
