/**
 * capabilities (R4 http.html#capabilities): GET /metadata answers the CapabilityStatement built from
 * capability-statement.json plus every registered resource type with its interactions and search parameters.
 * `mode=full|normative` (CapabilityStatement is normative in R4, so both are the whole statement) or
 * `mode=terminology` (a TerminologyCapabilities resource); any other mode is a 400.
 */
import { FhirError } from '../fhir/errors.js';
import type { R4, Resource } from '../fhir/types.js';
import { UNSUPPORTED_PARAMETERS } from '../search/parse-param.js';
import { loadCapabilityTemplate, resourceCapability, restOf, type CapabilityTemplate } from './capability-template.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';

/**
 * The types of parameters search answers. Search refuses `special` ones (Location near) and the parameters in
 * UNSUPPORTED_PARAMETERS (_text, _content, _query) with a 400, so they are not advertised: a client reads the
 * statement to know what it may send (search.html#errors).
 */
const SEARCH_PARAM_TYPES = new Set(['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri']);

function resourceEntry(ctx: ServerContext, template: CapabilityTemplate, resourceType: string): R4.CapabilityStatementRestResource {
  const entry = resourceCapability(template, resourceType);
  const searchable = entry.interaction?.some((interaction) => interaction.code === 'search-type');
  if (searchable) {
    entry.searchParam = [...ctx.searchParameters.forType(resourceType).values()]
      .filter((param) => SEARCH_PARAM_TYPES.has(param.type) && !UNSUPPORTED_PARAMETERS.has(param.code))
      .map((param) => ({ name: param.code, definition: param.url, type: param.type as R4.CapabilityStatementRestResourceSearchParam['type'] }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  entry.profile ??= `http://hl7.org/fhir/StructureDefinition/${resourceType}`;
  return entry;
}

export function buildCapabilityStatement(ctx: ServerContext, baseUrl: string, template: CapabilityTemplate = loadCapabilityTemplate()): R4.CapabilityStatement {
  const statement = structuredClone(template);
  const rest = restOf(statement);
  const types = [...ctx.definitions.resourceTypes].sort();
  rest.resource = types.map((resourceType) => resourceEntry(ctx, template, resourceType));
  statement.date = ctx.now().toISOString();
  statement.fhirVersion = '4.0.1';
  statement.format = statement.format?.length ? statement.format : ['json'];
  // patch.ts takes JSON Patch and FHIRPath Patch (a Parameters resource sent as application/fhir+json)
  statement.patchFormat = [...new Set([...(statement.patchFormat ?? []), 'application/json-patch+json', 'application/fhir+json'])];
  statement.implementation = { description: statement.title ?? 'FHIR R4 server', url: baseUrl };
  return statement;
}

/** TerminologyCapabilities (R4 terminologycapabilities.html) for mode=terminology; tcp-1: an instance names its implementation. */
export function buildTerminologyCapabilities(ctx: ServerContext, baseUrl: string, template: CapabilityTemplate = loadCapabilityTemplate()): R4.TerminologyCapabilities {
  return {
    resourceType: 'TerminologyCapabilities',
    ...(template.name ? { name: `${template.name}Terminology` } : {}),
    title: `${template.title ?? 'FHIR R4 server'}: terminology`,
    status: 'active',
    date: ctx.now().toISOString(),
    kind: 'instance',
    description: 'No terminology operations ($expand, $lookup, $validate-code, $translate) are served. Token search applies the code systems of required bindings, and :in / :not-in use ValueSet resources stored on this server.',
    ...(template.software ? { software: template.software } : {}),
    implementation: { description: template.title ?? 'FHIR R4 server', url: baseUrl },
  };
}

const MODES = new Set(['full', 'normative', 'terminology']);

export async function capabilities(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const modes = req.query.mode ?? [];
  const mode = modes[modes.length - 1] ?? 'full';
  if (!MODES.has(mode)) {
    throw new FhirError('invalid-parameter', `mode "${mode}" is not one of full, normative, terminology (R4 http.html#capabilities)`, { expression: ['mode'] });
  }
  const body = mode === 'terminology' ? buildTerminologyCapabilities(ctx, req.baseUrl) : buildCapabilityStatement(ctx, req.baseUrl);
  return { status: 200, headers: {}, body: body as unknown as Resource };
}
