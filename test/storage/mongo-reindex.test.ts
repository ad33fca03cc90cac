/**
 * $reindex on MongoDB without a mongod (DESIGN.md "MongoDB in CI"): reindexResource runs against an
 * in-memory collection double (findOne by _id, replaceOne by _id and version), and the rebuilt documents
 * are then searched through the store's own search code with mingo evaluating its filters.
 */
import t from 'tap';
import { find } from 'mingo';
import type { Document } from 'mongodb';
import type { Resource } from '../../src/fhir/types.js';
import type { SearchQuery } from '../../src/search/ir.js';
import type { ResourceDocument } from '../../src/storage/mongo/document.js';
import { reindexResource, type ReindexCollection } from '../../src/storage/mongo/reindex.js';
import { executeSearch } from '../../src/storage/mongo/search.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { documentsFor, mingoSource } from './mongo-mingo-source.js';

const patient = (id: string, family: string): Resource => ({ resourceType: 'Patient', id, name: [{ family }], meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' } });
const registry = fixtureRegistry();
const documents = documentsFor([patient('rx', 'Before'), patient('ry', 'Middle')].map((resource) => ({ resource, index: registry.extract(resource) })));

const collection = {
  async findOne(filter: Document) {
    return find(documents, filter).all()[0] ?? null;
  },
  async replaceOne(filter: Document, replacement: ResourceDocument) {
    const at = documents.findIndex((doc) => find([doc], filter).all().length === 1);
    if (at >= 0) documents[at] = replacement;
    return { matchedCount: at >= 0 ? 1 : 0 };
  },
} as unknown as ReindexCollection;

const byFamily = (value: string, sortFamily = false): SearchQuery => ({
  types: ['Patient'], sort: sortFamily ? [{ param: 'family', descending: false }] : [], count: 10, total: 'accurate',
  where: value ? [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value }] }] : [],
});
const ids = async (query: SearchQuery) => (await executeSearch(query, mingoSource(documents))).items.map((item) => item.id);

t.test('reindex replaces the entries of the current version and creates no version ($reindex)', async (t) => {
  const before = documents[0]!;
  const index = registry.extract(patient('rx', 'After'));
  t.equal(await reindexResource(collection, undefined, { resourceType: 'Patient', id: 'rx', versionId: 1, index }), true);
  t.same(await ids(byFamily('after')), ['rx'], 'the new entries match');
  t.same(await ids(byFamily('before')), [], 'the old ones are gone');
  t.same(await ids(byFamily('', true)), ['rx', 'ry'], 'sort keys follow (After < Middle)');
  const after = documents[0]!;
  t.match(after, { version: 1, seq: before.seq, lastUpdatedIso: before.lastUpdatedIso, method: before.method }, 'version, order and time kept');
  t.same(after.resource, before.resource, 'content unchanged');
  t.equal(await reindexResource(collection, undefined, { resourceType: 'Patient', id: 'rx', versionId: 2, index }), false, 'not the current version');
  t.equal(await reindexResource(collection, undefined, { resourceType: 'Patient', id: 'nobody', versionId: 1, index }), false, 'unknown');
});
