/**
 * Custom SearchParameter resources (issue 3 item 7; R4 searchparameter.html): stored SearchParameters are
 * installed in the registry at start and whenever one is created, changed or deleted (after its commit,
 * custom-parameters-store.ts), with no restart.
 *
 * Index state. Resources stored before a parameter was defined (or changed) carry no (or stale) index
 * entries for it, so searching it would give wrong answers. Per (resource type, code) the state records
 * the definition the whole index reflects (`indexed`, a signature of type + expression + components);
 * when the effective definition differs and resources of the type exist, the parameter is "building" and
 * search refuses it (409 index-building) until a $reindex that started after the change has covered the
 * type. A type without resources is ready at once. Every change bumps a generation counter, so a reindex
 * marks only the changes it saw from its start. The state is a small JSON file under the data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { R4 } from '../fhir/types.js';
import type { FhirStore } from '../storage/port.js';
import type { SearchParamDef, SearchParameterRegistry } from './registry.js';

interface ParamState { indexed: string | null; changedAt: number }
interface StateFile { version: 1; generation: number; params: Record<string, ParamState> }

/** A committed write of a SearchParameter: the resource, or undefined for a delete. */
export interface SearchParameterChange { id: string; resource?: R4.SearchParameter }

export const definitionSignature = (def: SearchParamDef | undefined): string | null =>
  def ? JSON.stringify([def.type, def.expression ?? null, def.components ?? null]) : null;

const key = (resourceType: string, code: string) => `${resourceType}|${code}`;
const splitKey = (k: string): [string, string] => {
  const bar = k.indexOf('|');
  return [k.slice(0, bar), k.slice(bar + 1)];
};

const installable = (sp: R4.SearchParameter) => sp.status !== 'retired';

export class CustomSearchParameters {
  private state: StateFile;
  private readonly byId = new Map<string, R4.SearchParameter>();
  /** problems met installing stored or written SearchParameters (they are skipped, never fatal) */
  readonly problems: string[] = [];

  constructor(private readonly store: FhirStore, readonly registry: SearchParameterRegistry, private readonly file: string | undefined) {
    this.state = readState(file);
  }

  get generation(): number {
    return this.state.generation;
  }

  /** (type, code) pairs still building */
  building(): { resourceType: string; code: string }[] {
    return Object.keys(this.state.params)
      .map(splitKey)
      .filter(([type, code]) => this.registry.isBuilding(type, code))
      .map(([resourceType, code]) => ({ resourceType, code }));
  }

  /** Refuses (400) a SearchParameter the registry could not install; called before the write. */
  validate(sp: R4.SearchParameter): void {
    if (installable(sp)) this.registry.validateCustom(sp);
  }

  /** Installs every stored SearchParameter and settles the index state (server start). */
  async load(): Promise<void> {
    const keys = new Set(Object.keys(this.state.params));
    let cursor: string | undefined;
    do {
      const page = await this.store.search({ types: ['SearchParameter'], where: [], sort: [{ param: '_id', descending: false }], count: 500, total: 'none', cursor });
      for (const version of page.items) {
        const sp = version.resource as unknown as R4.SearchParameter | undefined;
        if (!sp || !installable(sp)) continue;
        try {
          this.registry.addCustom(sp);
          this.byId.set(version.id, sp);
          for (const k of this.keysOf(sp)) keys.add(k);
        } catch (error) {
          this.problems.push(`SearchParameter/${version.id}: ${(error as Error).message}`);
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
    await this.settle(keys, false);
  }

  /** Applies committed SearchParameter writes to the registry and the index state. */
  async apply(changes: SearchParameterChange[]): Promise<void> {
    const keys = new Set<string>();
    for (const change of changes) {
      try {
        const previous = this.byId.get(change.id);
        if (previous) for (const k of this.keysOf(previous)) keys.add(k);
        this.byId.delete(change.id);
        if (change.resource && installable(change.resource)) {
          if (previous && previous.url !== change.resource.url) this.retireUrl(previous.url);
          this.registry.addCustom(change.resource);
          this.byId.set(change.id, change.resource);
          for (const k of this.keysOf(change.resource)) keys.add(k);
        } else if (previous) this.retireUrl(previous.url);
      } catch (error) {
        this.problems.push(`SearchParameter/${change.id}: ${(error as Error).message}`);
      }
    }
    if (keys.size > 0) await this.settle(keys, true);
  }

  /**
   * A reindex that started at generation `since` has covered `types`: parameters of those types changed
   * at or before `since` now have a complete index. Returns the (type, code) pairs that became ready.
   */
  async markIndexed(types: readonly string[], since: number): Promise<{ resourceType: string; code: string }[]> {
    const covered = new Set(types);
    const ready: { resourceType: string; code: string }[] = [];
    for (const [k, param] of Object.entries(this.state.params)) {
      const [resourceType, code] = splitKey(k);
      if (!covered.has(resourceType) || param.changedAt > since) continue;
      const effective = definitionSignature(this.registry.get(resourceType, code));
      if (param.indexed === effective && !this.registry.isBuilding(resourceType, code)) continue;
      param.indexed = effective;
      if (this.registry.isBuilding(resourceType, code)) ready.push({ resourceType, code });
      this.registry.setBuilding(resourceType, code, false);
    }
    this.save();
    return ready;
  }

  private keysOf(sp: R4.SearchParameter): string[] {
    return (sp.base ?? []).flatMap((base) => this.registry.typesOf(base).map((type) => key(type, sp.code)));
  }

  /** Retire a url, unless another stored SearchParameter still carries it (then that one is installed). */
  private retireUrl(url: string): void {
    const other = [...this.byId.values()].find((sp) => sp.url === url);
    if (other) this.registry.addCustom(other);
    else this.registry.removeCustom(url);
  }

  /**
   * Brings the index state of `keys` in line with the registry. `changed`: after a write (every key whose
   * definition now differs is a new change); at start-up, a key already building keeps its generation so
   * an unfinished reindex that saw its change can still complete it.
   */
  private async settle(keys: Set<string>, changed: boolean): Promise<void> {
    let bumped = false;
    const generation = () => {
      if (!bumped) {
        bumped = true;
        this.state.generation++;
      }
      return this.state.generation;
    };
    const empty = new Map<string, boolean>();
    for (const k of keys) {
      const [resourceType, code] = splitKey(k);
      const effective = definitionSignature(this.registry.get(resourceType, code));
      const known = this.state.params[k];
      const baseline = known ? known.indexed : definitionSignature(this.registry.pristine(resourceType, code));
      if (effective === baseline) {
        this.registry.setBuilding(resourceType, code, false);
        continue;
      }
      // entries written under the old definition stay in the index: nothing reflects one definition any more
      if (!empty.has(resourceType)) empty.set(resourceType, await this.isEmpty(resourceType));
      const ready = effective === null || empty.get(resourceType)!;
      const stillBuilding = !changed && known !== undefined && known.indexed === null;
      this.state.params[k] = {
        indexed: ready && effective !== null ? effective : null,
        changedAt: stillBuilding ? known.changedAt : generation(),
      };
      this.registry.setBuilding(resourceType, code, !ready);
    }
    this.save();
  }

  private async isEmpty(resourceType: string): Promise<boolean> {
    const page = await this.store.search({ types: [resourceType], where: [], sort: [], count: 0, total: 'accurate' });
    return (page.total ?? 1) === 0;
  }

  private save(): void {
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(this.state, null, 1));
    fs.renameSync(temporary, this.file);
  }
}

function readState(file: string | undefined): StateFile {
  const fresh: StateFile = { version: 1, generation: 0, params: {} };
  if (!file || !fs.existsSync(file)) return fresh;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
    return parsed?.version === 1 && typeof parsed.generation === 'number' && parsed.params ? parsed : fresh;
  } catch {
    return fresh;
  }
}
