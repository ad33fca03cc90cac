/**
 * The Synthea test data in ../shared/data/synthea (see /work/shared/data/SOURCES.md), read by path and never
 * copied into the repository: bundle files in load order, the resource counts a load must produce, and the
 * resources themselves with server-style ids and references (for NDJSON files and raw-insert baselines).
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './processes.js';

export const SYNTHEA_ROOT = path.resolve(projectRoot, '../shared/data/synthea');

export interface Resource {
  resourceType: string;
  id?: string;
  identifier?: { system?: string; value?: string }[];
  [key: string]: unknown;
}

interface BundleEntry { fullUrl?: string; resource?: Resource; request?: { method?: string; url?: string; ifNoneExist?: string } }
export interface BundleFile { file: string; dataset: string; text: string; entries: BundleEntry[]; type: string }

/** A step of the load: shared bundles one after another, then patient bundles by as many clients as asked. */
export interface LoadPhase { label: string; bundles: BundleFile[]; parallel: boolean }

export function syntheaMissing(): string | undefined {
  if (!fs.existsSync(SYNTHEA_ROOT)) return `no Synthea data at ${SYNTHEA_ROOT} (see /work/shared/data/SOURCES.md)`;
  return datasetFolders().length === 0 ? `no bundle folders under ${SYNTHEA_ROOT}` : undefined;
}

function datasetFolders(): string[] {
  return fs.readdirSync(SYNTHEA_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(SYNTHEA_ROOT, entry.name))
    .filter((folder) => fs.readdirSync(folder).some((name) => name.endsWith('.json')));
}

/** Synthea's convention: hospitalInformation*, then practitionerInformation*, hold what patient bundles reference. */
function sharedRank(name: string): number {
  if (name.startsWith('hospitalInformation')) return 0;
  if (name.startsWith('practitionerInformation')) return 1;
  return 2;
}

function readBundle(file: string): BundleFile {
  const text = fs.readFileSync(file, 'utf8');
  const bundle = JSON.parse(text) as { type: string; entry?: BundleEntry[] };
  return { file, dataset: path.basename(path.dirname(file)), text, entries: bundle.entry ?? [], type: bundle.type };
}

let cachedPhases: LoadPhase[] | undefined;

/**
 * Every bundle, in phases. A dataset whose shared bundles create conditionally (ifNoneExist, and patient bundles
 * that point at them with conditional references) loads before one that POSTs the same organizations without
 * conditions: afterwards, `Organization?identifier=...` would match several and the transaction would rightly fail.
 */
export function syntheaLoadPhases(): LoadPhase[] {
  if (cachedPhases) return cachedPhases;
  const datasets = datasetFolders().map((folder) => {
    const names = fs.readdirSync(folder).filter((name) => name.endsWith('.json')).sort();
    const bundles = names.map((name) => readBundle(path.join(folder, name)));
    const shared = bundles.filter((b) => sharedRank(path.basename(b.file)) < 2)
      .sort((a, b) => sharedRank(path.basename(a.file)) - sharedRank(path.basename(b.file)));
    const patients = bundles.filter((b) => sharedRank(path.basename(b.file)) === 2);
    const conditional = shared.some((b) => b.entries.some((e) => e.request?.ifNoneExist));
    return { name: path.basename(folder), shared, patients, conditional };
  }).sort((a, b) => Number(b.conditional) - Number(a.conditional) || a.name.localeCompare(b.name));
  cachedPhases = datasets.flatMap((dataset) => [
    { label: `${dataset.name}: shared`, bundles: dataset.shared, parallel: false },
    { label: `${dataset.name}: patients`, bundles: dataset.patients, parallel: true },
  ]).filter((phase) => phase.bundles.length > 0);
  return cachedPhases;
}

export function allBundles(): BundleFile[] {
  return syntheaLoadPhases().flatMap((phase) => phase.bundles);
}

/**
 * Resources per type that loading every bundle in order must leave on an empty server: one per POST, one per
 * distinct conditional create (ifNoneExist criteria), one per distinct PUT target.
 */
export function expectedCountsAfterLoad(): Map<string, number> {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const bundle of allBundles()) {
    for (const entry of bundle.entries) {
      const type = entry.resource?.resourceType;
      const method = entry.request?.method?.toUpperCase();
      if (!type || (method !== 'POST' && method !== 'PUT')) continue;
      const key = method === 'PUT' ? `PUT ${entry.request!.url}` : entry.request!.ifNoneExist ? `${type}?${entry.request!.ifNoneExist}` : undefined;
      if (key !== undefined) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
  }
  return counts;
}

const UUID_URN = /^urn:uuid:([0-9a-fA-F-]{36})$/;

/** Replaces every `reference` string through `rewrite`, returning a copy. */
function rewriteReferences(value: unknown, rewrite: (reference: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteReferences(item, rewrite));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = key === 'reference' && typeof item === 'string' ? rewrite(item) : rewriteReferences(item, rewrite);
  }
  return copy;
}

let cachedResources: Resource[] | undefined;

/**
 * Every resource of every bundle once (by type and id), as a server would hold it after the load: the id the
 * bundle gave it (resource.id, else the fullUrl's uuid), `urn:uuid:` and conditional references
 * (`Practitioner?identifier=system|value`) replaced by `Type/id`.
 */
export function syntheaResources(): Resource[] {
  if (cachedResources) return cachedResources;
  const byFullUrl = new Map<string, string>();
  const byIdentifier = new Map<string, string>();
  const withIds: Resource[] = [];
  for (const bundle of allBundles()) {
    for (const entry of bundle.entries) {
      const resource = entry.resource;
      if (!resource) continue;
      const id = resource.id ?? (entry.fullUrl ? UUID_URN.exec(entry.fullUrl)?.[1] : undefined);
      if (!id) continue;
      const target = `${resource.resourceType}/${id}`;
      if (entry.fullUrl) byFullUrl.set(entry.fullUrl, target);
      for (const identifier of resource.identifier ?? []) {
        const key = `${resource.resourceType}?identifier=${identifier.system ?? ''}|${identifier.value ?? ''}`;
        if (!byIdentifier.has(key)) byIdentifier.set(key, target);
      }
      withIds.push({ ...resource, id });
    }
  }
  const rewrite = (reference: string) => byFullUrl.get(reference) ?? byIdentifier.get(safeDecode(reference)) ?? reference;
  const seen = new Set<string>();
  cachedResources = [];
  for (const resource of withIds) {
    const key = `${resource.resourceType}/${resource.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    cachedResources.push(rewriteReferences(resource, rewrite) as Resource);
  }
  return cachedResources;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Resource counts per type of a list of resources. */
export function countByType(resources: readonly Resource[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const resource of resources) counts.set(resource.resourceType, (counts.get(resource.resourceType) ?? 0) + 1);
  return counts;
}
