/**
 * The write hook for custom SearchParameters: a FhirStore that passes everything through, checks a
 * SearchParameter before it is written (a definition the registry cannot compile is a 400 and nothing is
 * stored), and applies SearchParameter writes to the registry only once they are committed. Inside
 * withTransaction the changes wait for the outermost commit; a rollback drops them, so a failed
 * transaction leaves no trace in the registry either. Every interaction (create, update, patch, delete,
 * batch, transaction, import) writes through the store, so all of them are covered.
 *
 * attachCustomSearchParameters(store, registry, { dataDir }) is the one call a composition root makes
 * (src/main.ts; src/jobs/server-context.ts for command-line jobs): it installs the stored
 * SearchParameters, settles the index state and returns the wrapping store to put in the ServerContext.
 */
import path from 'node:path';
import type { R4 } from '../fhir/types.js';
import type { FhirStore, HistoryQuery, Page, ReadManyOptions, ReindexWrite, SearchPage, StoredVersion, VersionWrite } from '../storage/port.js';
import type { SearchQuery } from './ir.js';
import type { SearchParameterRegistry } from './registry.js';
import { CustomSearchParameters, type SearchParameterChange } from './custom-parameters.js';

const customParameters = new WeakMap<FhirStore, CustomSearchParameters>();

/** The custom-parameter state behind a store returned by attachCustomSearchParameters (used by $reindex). */
export function customParametersOf(store: FhirStore): CustomSearchParameters | undefined {
  return customParameters.get(store);
}

export async function attachCustomSearchParameters(
  store: FhirStore, registry: SearchParameterRegistry, options: { dataDir?: string } = {},
): Promise<FhirStore> {
  const file = options.dataDir ? path.join(options.dataDir, 'search-index', 'state.json') : undefined;
  const custom = new CustomSearchParameters(store, registry, file);
  await custom.load();
  const wrapped = new SearchParameterStore(store, custom, undefined);
  customParameters.set(wrapped, custom);
  return wrapped;
}

function changeOf(version: VersionWrite): SearchParameterChange {
  return { id: version.id, resource: version.resource as unknown as R4.SearchParameter | undefined };
}

class SearchParameterStore implements FhirStore {
  constructor(
    private readonly inner: FhirStore,
    private readonly custom: CustomSearchParameters,
    /** changes of the enclosing transaction, applied after its commit; undefined outside a transaction */
    private readonly pending: SearchParameterChange[] | undefined,
  ) {}

  get engine() {
    return this.inner.engine;
  }

  get jobs() {
    return this.inner.jobs;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    return this.inner.read(resourceType, id);
  }

  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    return this.inner.vread(resourceType, id, versionId);
  }

  async write(version: VersionWrite): Promise<void> {
    const isSearchParameter = version.resourceType === 'SearchParameter';
    if (isSearchParameter && version.resource) this.custom.validate(version.resource as unknown as R4.SearchParameter);
    await this.inner.write(version);
    if (!isSearchParameter) return;
    if (this.pending) this.pending.push(changeOf(version));
    else await this.custom.apply([changeOf(version)]);
  }

  history(query: HistoryQuery & { total?: boolean }): Promise<Page<StoredVersion>> {
    return this.inner.history(query);
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return this.inner.search(query);
  }

  async withTransaction<T>(fn: (tx: FhirStore) => Promise<T>): Promise<T> {
    const pending: SearchParameterChange[] = [];
    const result = await this.inner.withTransaction((tx) => fn(new SearchParameterStore(tx, this.custom, pending)));
    if (pending.length > 0) {
      if (this.pending) this.pending.push(...pending);
      else await this.custom.apply(pending);
    }
    return result;
  }

  findReferencing(sourceTypes: string[] | null, params: string[] | null, targets: { resourceType: string; id: string }[], limit: number): Promise<StoredVersion[]> {
    return this.inner.findReferencing(sourceTypes, params, targets, limit);
  }

  readMany(refs: { resourceType: string; id: string }[], options?: ReadManyOptions): Promise<StoredVersion[]> {
    return this.inner.readMany(refs, options);
  }

  reindex(write: ReindexWrite): Promise<boolean> {
    return this.inner.reindex(write);
  }

  deferIndexLookups(expectedVersions: number): Promise<boolean> {
    return this.inner.deferIndexLookups(expectedVersions);
  }

  buildIndexLookups(): Promise<void> {
    return this.inner.buildIndexLookups();
  }
}
