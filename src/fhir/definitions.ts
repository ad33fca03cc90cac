/**
 * R4 base definitions loaded once at start from the pinned pristine packages listed in profiles/packages.json.
 * OWNER: definitions helper. The interface below is the contract other modules rely on.
 *
 * Start-up cost matters: only the StructureDefinition heads (everything before snapshot/differential), the
 * spec's SearchParameter bundle and the CompartmentDefinitions are read eagerly. Full StructureDefinitions,
 * ValueSets and CodeSystems are read on first lookup.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { R4 } from './types.js';

export interface Definitions {
  /** every concrete R4 resource type (146 in 4.0.1), e.g. "Patient" */
  readonly resourceTypes: ReadonlySet<string>;
  /** every R4 SearchParameter resource (pristine) */
  readonly searchParameters: readonly R4.SearchParameter[];
  /** CompartmentDefinitions keyed by compartment code: Patient, Encounter, RelatedPerson, Practitioner, Device */
  readonly compartments: ReadonlyMap<string, R4.CompartmentDefinition>;
  valueSet(url: string): R4.ValueSet | undefined;
  codeSystem(url: string): R4.CodeSystem | undefined;
  structureDefinition(typeOrUrl: string): R4.StructureDefinition | undefined;
}

export interface DefinitionPackage {
  name: string;
  version: string;
  role: 'definitions' | 'json-schema';
  searchParameterBundle?: string;
  schema?: string;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const requireFromHere = createRequire(import.meta.url);

/** Packages from profiles/packages.json, each checked against package.json's pin and the installed version. */
export function definitionPackages(): DefinitionPackage[] {
  const manifest = readJson<{ packages: DefinitionPackage[] }>(path.join(projectRoot, 'profiles', 'packages.json'));
  const projectPackage = readJson<{ dependencies?: Record<string, string> }>(path.join(projectRoot, 'package.json'));
  for (const pkg of manifest.packages) {
    const pinned = projectPackage.dependencies?.[pkg.name];
    if (pinned !== pkg.version) {
      throw new Error(`profiles/packages.json lists ${pkg.name}@${pkg.version} but package.json pins ${pinned ?? 'nothing'}`);
    }
    const installed = readJson<{ version: string }>(path.join(packageDirectory(pkg.name), 'package.json')).version;
    if (installed !== pkg.version) throw new Error(`${pkg.name}@${pkg.version} is required but ${installed} is installed`);
  }
  return manifest.packages;
}

export function packageDirectory(name: string): string {
  return path.dirname(requireFromHere.resolve(`${name}/package.json`));
}

/** The installed file of the package with the given role, e.g. the JSON schema. */
export function packageFile(role: DefinitionPackage['role'], pick: (pkg: DefinitionPackage) => string | undefined): string {
  const pkg = definitionPackages().find((candidate) => candidate.role === role);
  const file = pkg && pick(pkg);
  if (!pkg || !file) throw new Error(`profiles/packages.json names no package with role "${role}"`);
  return path.join(packageDirectory(pkg.name), file);
}

let loaded: Definitions | undefined;
let loading: Promise<Definitions> | undefined;

export function loadDefinitions(): Promise<Definitions> {
  loading ??= Promise.resolve().then(definitionsSync);
  return loading;
}

/** The same cached definitions, for callers that cannot await (the validator's lazy per-type setup). */
export function definitionsSync(): Definitions {
  loaded ??= buildDefinitions();
  return loaded;
}

function buildDefinitions(): Definitions {
  const pkg = definitionPackages().find((candidate) => candidate.role === 'definitions');
  if (!pkg?.searchParameterBundle) throw new Error('profiles/packages.json names no definitions package with a searchParameterBundle');
  const directory = packageDirectory(pkg.name);
  const files = fs.readdirSync(directory);

  const resourceTypes = new Set<string>();
  // Core type definitions are named after their type (StructureDefinition-Patient.json); profiles use lower-case ids.
  for (const file of files) {
    if (!/^StructureDefinition-[A-Z][A-Za-z]+\.json$/.test(file)) continue;
    const head = readStructureDefinitionHead(path.join(directory, file));
    if (head.kind === 'resource' && head.derivation === 'specialization' && !head.abstract) resourceTypes.add(head.type);
  }

  const bundle = readJson<R4.Bundle>(path.join(directory, pkg.searchParameterBundle));
  const searchParameters = (bundle.entry ?? [])
    .map((entry) => entry.resource)
    .filter((resource): resource is R4.SearchParameter => resource?.resourceType === 'SearchParameter');

  const compartments = new Map<string, R4.CompartmentDefinition>();
  for (const file of files) {
    if (!file.startsWith('CompartmentDefinition-')) continue;
    const compartment = readJson<R4.CompartmentDefinition>(path.join(directory, file));
    // The spec's own compartments have id = code with a lower-case first letter; anything else is an example.
    const specId = compartment.code.charAt(0).toLowerCase() + compartment.code.slice(1);
    if (compartment.id === specId) compartments.set(compartment.code, compartment);
  }

  const structureDefinitions = new CanonicalLookup<R4.StructureDefinition>(directory, files, 'StructureDefinition');
  const valueSets = new CanonicalLookup<R4.ValueSet>(directory, files, 'ValueSet');
  const codeSystems = new CanonicalLookup<R4.CodeSystem>(directory, files, 'CodeSystem');

  return {
    resourceTypes,
    searchParameters,
    compartments,
    valueSet: (url) => valueSets.byUrl(url),
    codeSystem: (url) => codeSystems.byUrl(url),
    structureDefinition(typeOrUrl) {
      if (typeOrUrl.includes('/')) return structureDefinitions.byUrl(typeOrUrl);
      const definition = structureDefinitions.byId(typeOrUrl);
      return definition?.type === typeOrUrl && definition.derivation === 'specialization' ? definition : undefined;
    },
  };
}

export interface StructureDefinitionHead {
  url: string;
  type: string;
  kind: string;
  derivation?: string;
  abstract: boolean;
}

/**
 * The top-level elements of a StructureDefinition without parsing its (large) snapshot and differential,
 * which come last in the pristine files, nor its narrative (most of what remains). Falls back to a full
 * parse when the file is laid out otherwise; a test checks both give the same answer for every file.
 */
export function readStructureDefinitionHead(file: string): StructureDefinitionHead {
  const buffer = fs.readFileSync(file);
  const cut = firstTopLevelKey(buffer, ['"snapshot"', '"differential"']);
  if (cut > 0) {
    try {
      return JSON.parse(withoutNarrative(buffer, cut) + '}') as StructureDefinitionHead;
    } catch {
      // laid out differently: parse it all
    }
  }
  return JSON.parse(buffer.toString('utf8')) as StructureDefinitionHead;
}

/** buffer[0, end) as text with text.div emptied: the div ends at the last `</div>"` before end. */
function withoutNarrative(buffer: Buffer, end: number): string {
  const divKey = buffer.indexOf('"div"');
  if (divKey < 0 || divKey > end) return buffer.toString('utf8', 0, end);
  const open = buffer.indexOf('"', divKey + 5);
  const closingQuote = buffer.lastIndexOf('</div>"', end) + 6;
  if (open < 0 || closingQuote <= open) return buffer.toString('utf8', 0, end);
  return buffer.toString('utf8', 0, open + 1) + buffer.toString('utf8', closingQuote, end);
}

/** Offset of the comma before the first of the keys, or -1. */
function firstTopLevelKey(buffer: Buffer, keys: string[]): number {
  let best = -1;
  for (const key of keys) {
    const at = buffer.indexOf(key);
    if (at > 0 && (best < 0 || at < best)) best = at;
  }
  if (best < 0) return -1;
  let comma = best - 1;
  while (comma > 0 && /\s/.test(String.fromCharCode(buffer[comma]!))) comma--;
  return buffer[comma] === 0x2c /* , */ ? comma : -1;
}

/**
 * Lookup of canonical resources of one type by url (optionally `url|version`) or by id. Tries the file named
 * after the url's last segment first; builds a full url index of the type's files only when that misses.
 */
class CanonicalLookup<T extends { url?: string; id?: string }> {
  private readonly parsed = new Map<string, T | undefined>();
  private fileByUrl?: Map<string, string>;
  private readonly fileNames: Set<string>;

  constructor(
    private readonly directory: string,
    files: string[],
    private readonly resourceType: string,
  ) {
    this.fileNames = new Set(files.filter((file) => file.startsWith(`${resourceType}-`)));
  }

  byId(id: string): T | undefined {
    return this.readFile(`${this.resourceType}-${id}.json`);
  }

  byUrl(canonical: string): T | undefined {
    const url = canonical.split('|')[0]!;
    const guessed = this.readFile(`${this.resourceType}-${url.slice(url.lastIndexOf('/') + 1)}.json`);
    if (guessed?.url === url) return guessed;
    const file = this.urlIndex().get(url);
    return file ? this.readFile(file) : undefined;
  }

  private readFile(file: string): T | undefined {
    if (!this.fileNames.has(file)) return undefined;
    if (!this.parsed.has(file)) this.parsed.set(file, readJson<T>(path.join(this.directory, file)));
    return this.parsed.get(file);
  }

  private urlIndex(): Map<string, string> {
    if (!this.fileByUrl) {
      this.fileByUrl = new Map();
      for (const file of this.fileNames) {
        const url = readJson<{ url?: string }>(path.join(this.directory, file)).url;
        if (url && !this.fileByUrl.has(url)) this.fileByUrl.set(url, file);
      }
    }
    return this.fileByUrl;
  }
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
