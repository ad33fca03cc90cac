/**
 * The Synthea data as the server should hold it, known without asking the server how it indexes anything:
 * each bundle is POSTed to [base] (R4 http.html#transaction; hospitalInformation* and practitionerInformation*
 * batch bundles first), and the server-assigned ids are read from each entry's response.location. The
 * original resources are then given those ids, and their references (urn:uuid: fullUrls and conditional
 * `Type?identifier=system|value` references, R4 http.html#trules) are rewritten to `Type/id` the same way
 * the server must have done. With `load: false` the resources are fetched back from the server instead.
 */
import fs from 'node:fs';
import path from 'node:path';

export type Json = Record<string, any>;

export interface Dataset {
  /** current resources by type */
  byType: Map<string, Json[]>;
  /** `Type/id` -> resource */
  byRef: Map<string, Json>;
}

export interface SyntheaFiles { set: string; files: string[] }

const FHIR_JSON = 'application/fhir+json';
const isInfrastructure = (file: string) => /^(hospitalInformation|practitionerInformation)/.test(path.basename(file));

/** The bundle files of each set (a sub-folder of `dir`), infrastructure bundles first; `patients` limits patient bundles per set. */
export function syntheaFiles(dir: string, patients = Infinity): SyntheaFiles[] {
  if (!fs.existsSync(dir)) return [];
  const sets = fs.readdirSync(dir).filter((name) => fs.statSync(path.join(dir, name)).isDirectory()).sort();
  return sets.map((set) => {
    const all = fs.readdirSync(path.join(dir, set)).filter((name) => name.endsWith('.json')).sort().map((name) => path.join(dir, set, name));
    const infrastructure = all.filter(isInfrastructure).sort((a, b) => Number(/^practitioner/.test(path.basename(a))) - Number(/^practitioner/.test(path.basename(b))));
    return { set, files: [...infrastructure, ...all.filter((file) => !isInfrastructure(file)).slice(0, patients)] };
  });
}

interface BundleEntry { fullUrl?: string; resource: Json; request?: { method?: string; url?: string; ifNoneExist?: string } }

function locationRef(location: string | undefined): string | undefined {
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(location ?? '');
  return match ? `${match[1]}/${match[2]}` : undefined;
}

function identifierKey(type: string, system: string | undefined, value: string | undefined) {
  return `${type}|${system ?? ''}|${value ?? ''}`;
}

/** Every `reference` string inside `node`, rewritten in place by `rewrite`. */
function rewriteReferences(node: unknown, rewrite: (reference: string) => string): void {
  if (Array.isArray(node)) { for (const item of node) rewriteReferences(item, rewrite); return; }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'reference' && typeof value === 'string') (node as Json)[key] = rewrite(value);
    else if (typeof value === 'object') rewriteReferences(value, rewrite);
  }
}

function addResource(dataset: Dataset, resource: Json): void {
  const ref = `${resource.resourceType}/${resource.id}`;
  if (dataset.byRef.has(ref)) return; // a conditional create that matched an earlier one keeps the first
  dataset.byRef.set(ref, resource);
  const list = dataset.byType.get(resource.resourceType) ?? [];
  list.push(resource);
  dataset.byType.set(resource.resourceType, list);
}

/** POSTs every bundle to `baseUrl` and returns the resources as the server must now hold them. */
export async function loadSynthea(baseUrl: string, sets: SyntheaFiles[], log: (line: string) => void = () => {}): Promise<Dataset> {
  const dataset: Dataset = { byType: new Map(), byRef: new Map() };
  const byIdentifier = new Map<string, string>(); // Type|system|value -> Type/id
  for (const { set, files } of sets) {
    const started = performance.now();
    let count = 0;
    for (const file of files) {
      const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as { entry: BundleEntry[] };
      const response = await fetch(baseUrl, { method: 'POST', headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, prefer: 'return=minimal' }, body: JSON.stringify(bundle) });
      const body = await response.json() as { entry?: { response?: { status?: string; location?: string } }[] };
      if (response.status !== 200) throw new Error(`${path.basename(file)}: POST answered ${response.status}: ${JSON.stringify(body).slice(0, 400)}`);
      const byFullUrl = new Map<string, string>();
      bundle.entry.forEach((entry, index) => {
        const result = body.entry?.[index]?.response;
        const ref = locationRef(result?.location);
        if (!ref || !/^2/.test(result?.status ?? '')) throw new Error(`${path.basename(file)} entry ${index}: ${JSON.stringify(result)}`);
        if (entry.fullUrl) byFullUrl.set(entry.fullUrl, ref);
      });
      const resolve = (reference: string): string => {
        if (byFullUrl.has(reference)) return byFullUrl.get(reference)!;
        const conditional = /^([A-Z][A-Za-z]+)\?identifier=([^|]*)\|(.*)$/.exec(reference);
        if (conditional) {
          const found = byIdentifier.get(identifierKey(conditional[1], decodeURIComponent(conditional[2]), decodeURIComponent(conditional[3])));
          if (found) return found;
          throw new Error(`${path.basename(file)}: conditional reference ${reference} matches nothing loaded`);
        }
        return reference;
      };
      bundle.entry.forEach((entry, index) => {
        const resource = structuredClone(entry.resource);
        const [type, id] = locationRef(body.entry![index].response!.location)!.split('/');
        resource.id = id;
        rewriteReferences(resource, resolve);
        addResource(dataset, resource);
        for (const identifier of resource.identifier ?? []) {
          const key = identifierKey(type, identifier.system, identifier.value);
          if (!byIdentifier.has(key)) byIdentifier.set(key, `${type}/${id}`);
        }
      });
      count += bundle.entry.length;
    }
    log(`loaded ${set}: ${files.length} bundles, ${count} entries in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return dataset;
}

/** GETs every resource of `types` back from the server (for --no-load: weaker, the server's own copy is the input). */
export async function fetchDataset(baseUrl: string, types: string[]): Promise<Dataset> {
  const dataset: Dataset = { byType: new Map(), byRef: new Map() };
  for (const type of types) {
    let url: string | undefined = `${baseUrl}/${type}?_count=1000`;
    while (url) {
      const response = await fetch(url, { headers: { accept: FHIR_JSON } });
      const bundle = await response.json() as { entry?: { resource: Json }[]; link?: { relation: string; url: string }[] };
      if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
      for (const entry of bundle.entry ?? []) addResource(dataset, entry.resource);
      url = bundle.link?.find((link) => link.relation === 'next')?.url;
    }
  }
  return dataset;
}

/** The resource types the bundles of `sets` contain. */
export function typesIn(sets: SyntheaFiles[]): string[] {
  const types = new Set<string>();
  for (const { files } of sets) {
    for (const file of files) for (const entry of (JSON.parse(fs.readFileSync(file, 'utf8')) as { entry: BundleEntry[] }).entry) types.add(entry.resource.resourceType);
  }
  return [...types].sort();
}
