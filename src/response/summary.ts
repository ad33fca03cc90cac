/**
 * `_summary` and `_elements` (R4 search.html#summary, #elements): subsets of a resource built from the
 * StructureDefinition's isSummary and min flags; every subset carries the SUBSETTED tag (R4 search.html#summary).
 */
import type { Definitions } from '../fhir/definitions.js';
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';
export const SUMMARY_MODES: readonly SummaryMode[] = ['true', 'text', 'data', 'count', 'false'];

export const SUBSETTED_TAG = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
};

interface TopLevelElements {
  /** element names; choice elements as "value[x]" */
  summary: Set<string>;
  mandatory: Set<string>;
}

const elementCache = new WeakMap<Definitions, Map<string, TopLevelElements>>();

function topLevelElements(definitions: Definitions, resourceType: string): TopLevelElements {
  let byType = elementCache.get(definitions);
  if (!byType) elementCache.set(definitions, (byType = new Map()));
  const cached = byType.get(resourceType);
  if (cached) return cached;
  const elements: TopLevelElements = { summary: new Set(['id', 'meta']), mandatory: new Set() };
  for (const element of definitions.structureDefinition(resourceType)?.snapshot?.element ?? []) {
    const parts = element.path.split('.');
    if (parts.length !== 2) continue;
    if (element.isSummary) elements.summary.add(parts[1]);
    if ((element.min ?? 0) > 0) elements.mandatory.add(parts[1]);
  }
  byType.set(resourceType, elements);
  return elements;
}

function nameMatches(names: Set<string>, key: string): boolean {
  if (names.has(key)) return true;
  for (const name of names) {
    if (name.endsWith('[x]') && key.startsWith(name.slice(0, -3)) && /^[A-Z]/.test(key.slice(name.length - 3))) return true;
  }
  return false;
}

function withSubsettedTag(resource: Resource): Resource {
  const meta = { ...(resource.meta ?? {}) };
  const tags = meta.tag ?? [];
  if (!tags.some((tag) => tag.system === SUBSETTED_TAG.system && tag.code === SUBSETTED_TAG.code)) meta.tag = [...tags, SUBSETTED_TAG];
  return { ...resource, meta };
}

function keepOnly(resource: Resource, keep: (key: string) => boolean): Resource {
  const subset: Resource = { resourceType: resource.resourceType };
  for (const [key, value] of Object.entries(resource)) if (key !== 'resourceType' && keep(key)) subset[key] = value;
  return withSubsettedTag(subset);
}

export function parseSummaryMode(values: string[] | undefined): SummaryMode | undefined {
  const value = values?.[values.length - 1];
  if (value === undefined) return undefined;
  if (!(SUMMARY_MODES as readonly string[]).includes(value)) {
    throw new FhirError('invalid-parameter', `_summary "${value}" is not one of ${SUMMARY_MODES.join(', ')}`, { expression: ['_summary'] });
  }
  return value as SummaryMode;
}

export function summarize(definitions: Definitions, resource: Resource, mode: SummaryMode | undefined): Resource {
  switch (mode) {
    case 'true': {
      const { summary } = topLevelElements(definitions, resource.resourceType);
      return keepOnly(resource, (key) => nameMatches(summary, key));
    }
    case 'text': {
      const { mandatory } = topLevelElements(definitions, resource.resourceType);
      return keepOnly(resource, (key) => key === 'id' || key === 'meta' || key === 'text' || nameMatches(mandatory, key));
    }
    case 'data':
      return keepOnly(resource, (key) => key !== 'text');
    default:
      return resource;
  }
}

/** `_elements=a,b`: the named top-level elements plus id, meta and the mandatory ones. */
export function selectElements(definitions: Definitions, resource: Resource, elements: string[] | undefined): Resource {
  if (!elements || elements.length === 0) return resource;
  const { mandatory } = topLevelElements(definitions, resource.resourceType);
  const wanted = new Set(elements.map((element) => element.replace(new RegExp(`^${resource.resourceType}\\.`), '').split('.')[0]));
  return keepOnly(resource, (key) => key === 'id' || key === 'meta' || nameMatches(wanted, key) || nameMatches(mandatory, key));
}
