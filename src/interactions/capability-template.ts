/**
 * capability-statement.json: what the server serves. Its rest.resource entry of type "Resource" is the
 * template for every registered R4 type; an entry naming a type overrides it. http/ registers routes from
 * it and the capabilities interaction publishes it.
 */
import fs from 'node:fs';
import type { R4 } from '../fhir/types.js';

const templateFile = new URL('../../capability-statement.json', import.meta.url);

export type CapabilityTemplate = R4.CapabilityStatement;
export type ResourceCapability = R4.CapabilityStatementRestResource;

let template: CapabilityTemplate | undefined;

/** read once per process; callers clone before changing anything (buildCapabilityStatement, resourceCapability) */
export function loadCapabilityTemplate(): CapabilityTemplate {
  return (template ??= JSON.parse(fs.readFileSync(templateFile, 'utf8')) as CapabilityTemplate);
}

export function restOf(template: CapabilityTemplate): R4.CapabilityStatementRest {
  const rest = template.rest?.find((candidate) => candidate.mode === 'server');
  if (!rest) throw new Error('capability-statement.json has no rest entry with mode "server"');
  return rest;
}

/**
 * The capability of one resource type: the "Resource" template with the type filled in, overlaid by the
 * type's own entry when there is one (so an entry may add only its operations).
 */
export function resourceCapability(template: CapabilityTemplate, resourceType: string): ResourceCapability {
  const resources = restOf(template).resource ?? [];
  const own = resources.find((entry) => entry.type === resourceType);
  const fallback = resources.find((entry) => entry.type === 'Resource');
  const base: ResourceCapability = fallback ? structuredClone(fallback) : { type: resourceType, interaction: [] };
  return { ...base, ...(own ? structuredClone(own) : {}), type: resourceType };
}

/** Interaction codes served for a type (read, vread, update, patch, delete, history-instance, history-type, create, search-type). */
export function typeInteractions(template: CapabilityTemplate, resourceType: string): Set<string> {
  return new Set((resourceCapability(template, resourceType).interaction ?? []).map((interaction) => interaction.code));
}

/** System interaction codes (transaction, batch, search-system, history-system). */
export function systemInteractions(template: CapabilityTemplate): Set<string> {
  return new Set((restOf(template).interaction ?? []).map((interaction) => interaction.code));
}
