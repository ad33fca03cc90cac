/**
 * capabilities (R4 http.html#capabilities): GET /metadata answers the CapabilityStatement built from
 * capability-statement.json plus every registered resource type with its interactions and search parameters.
 */
import type { R4, Resource } from '../fhir/types.js';
import { loadCapabilityTemplate, resourceCapability, restOf, type CapabilityTemplate } from './capability-template.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';

const SEARCH_PARAM_TYPES = new Set(['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri', 'special']);

function resourceEntry(ctx: ServerContext, template: CapabilityTemplate, resourceType: string): R4.CapabilityStatementRestResource {
  const entry = resourceCapability(template, resourceType);
  const searchable = entry.interaction?.some((interaction) => interaction.code === 'search-type');
  if (searchable) {
    entry.searchParam = [...ctx.searchParameters.forType(resourceType).values()]
      .filter((param) => SEARCH_PARAM_TYPES.has(param.type))
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
  statement.implementation = { description: statement.title ?? 'FHIR R4 server', url: baseUrl };
  return statement;
}

export async function capabilities(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  return { status: 200, headers: {}, body: buildCapabilityStatement(ctx, req.baseUrl) as unknown as Resource };
}
