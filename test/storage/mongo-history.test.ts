/**
 * History over the append-only collection (R4 http.html#history): the store's aggregation pipeline is
 * evaluated by mingo over the documents the store writes. Newest first; _since and _at; keyset paging.
 */
import { aggregate } from 'mingo';
import t from 'tap';
import type { Document } from 'mongodb';
import { emptyIndexEntries } from '../../src/search/index-entries.js';
import { buildHistoryDocument } from '../../src/storage/mongo/document.js';
import { readHistory, type HistorySource } from '../../src/storage/mongo/history.js';
import type { HistoryQuery, VersionWrite } from '../../src/storage/port.js';

const T0 = '2024-02-01T10:00:00.000Z';
const T1 = '2024-02-01T11:00:00.000Z';
const T2 = '2024-02-01T12:00:00.000Z';

function version(id: string, versionId: number, lastUpdated: string, deleted = false): VersionWrite {
  return {
    resourceType: 'Patient', id, versionId, lastUpdated, method: deleted ? 'DELETE' : 'PUT',
    resource: deleted ? undefined : { resourceType: 'Patient', id, meta: { versionId: String(versionId), lastUpdated } },
    index: deleted ? undefined : emptyIndexEntries(),
    expectedPreviousVersion: versionId - 1,
  };
}

// written in this order: the sequence orders p2/1 after p1/2, both at T1
const writes = [version('p1', 1, T0), version('p1', 2, T1), version('p2', 1, T1), version('p1', 3, T2, true)];
const documents = writes.map((write, n) => buildHistoryDocument(write, n + 1));
const source: HistorySource = { aggregate: async (pipeline: Document[]) => aggregate(documents, pipeline) as Document[] };
const keysOf = (items: { id: string; versionId: number }[]) => items.map((item) => `${item.id}/${item.versionId}`);

const cases: { name: string; spec: string; query: HistoryQuery; expect: string[] }[] = [
  { name: 'instance history, newest first, delete included', spec: 'http.html#history', query: { resourceType: 'Patient', id: 'p1', count: 10 }, expect: ['p1/3', 'p1/2', 'p1/1'] },
  { name: 'type history; same instant ordered by write order', spec: 'http.html#history', query: { resourceType: 'Patient', count: 10 }, expect: ['p1/3', 'p2/1', 'p1/2', 'p1/1'] },
  { name: 'system history', spec: 'http.html#history', query: { count: 10 }, expect: ['p1/3', 'p2/1', 'p1/2', 'p1/1'] },
  { name: '_since is inclusive', spec: 'http.html#history (_since)', query: { count: 10, since: Date.parse(T1) }, expect: ['p1/3', 'p2/1', 'p1/2'] },
  { name: '_at gives the version current at that instant', spec: 'http.html#history (_at)', query: { count: 10, at: Date.parse(T1) }, expect: ['p2/1', 'p1/2'] },
  { name: '_at after a delete gives the delete', spec: 'http.html#history (_at)', query: { count: 10, at: Date.parse(T2), id: 'p1', resourceType: 'Patient' }, expect: ['p1/3'] },
  { name: '_at before anything', spec: 'http.html#history (_at)', query: { count: 10, at: Date.parse(T0) - 1 }, expect: [] },
];

for (const c of cases) {
  t.test(`${c.name} (R4 ${c.spec})`, async (t) => {
    const page = await readHistory({ ...c.query, total: true }, source);
    t.same(keysOf(page.items), c.expect);
    t.equal(page.total, c.expect.length, 'total');
    t.notOk(page.nextCursor, 'no next page');
  });
}

t.test('a delete version carries no resource', async (t) => {
  const page = await readHistory({ id: 'p1', resourceType: 'Patient', count: 1 }, source);
  t.match(page.items[0], { deleted: true, method: 'DELETE', versionId: 3 });
  t.equal(page.items[0]!.resource, undefined);
});

t.test('keyset paging walks forward and back one version at a time', async (t) => {
  const seen: string[] = [];
  let page = await readHistory({ count: 1 }, source);
  seen.push(...keysOf(page.items));
  while (page.nextCursor) {
    page = await readHistory({ count: 1, cursor: page.nextCursor }, source);
    seen.push(...keysOf(page.items));
  }
  t.same(seen, ['p1/3', 'p2/1', 'p1/2', 'p1/1']);
  const back: string[] = keysOf(page.items);
  while (page.previousCursor) {
    page = await readHistory({ count: 1, cursor: page.previousCursor }, source);
    back.unshift(...keysOf(page.items));
  }
  t.same(back, seen);
});

t.test('a cursor that is not ours is refused with invalid-cursor', async (t) => {
  await t.rejects(readHistory({ count: 1, cursor: 'not-a-cursor' }, source), { code: 'invalid-cursor' });
});
