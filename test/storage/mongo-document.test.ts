/**
 * Pure parts of the MongoDB engine: the document layout (DESIGN.md "Search index model": composite
 * components match within one element), the database name, cursors, and the start-up refusal of a
 * standalone mongod (transactions need a replica set: MongoDB manual, "Transactions" production considerations).
 */
import t from 'tap';
import { emptyIndexEntries } from '../../src/search/index-entries.js';
import { buildResourceDocument, sortFieldName } from '../../src/storage/mongo/document.js';
import { databaseName } from '../../src/storage/mongo/mongo-store.js';
import { decodeCursor, encodeCursor, sortColumns } from '../../src/storage/mongo/paging.js';
import { transactionSupportProblem } from '../../src/storage/mongo/startup.js';
import type { VersionWrite } from '../../src/storage/port.js';

const write = (overrides: Partial<VersionWrite> = {}): VersionWrite => ({
  resourceType: 'Observation', id: 'o1', versionId: 2, lastUpdated: '2024-01-01T00:00:00.000Z', method: 'PUT',
  resource: { resourceType: 'Observation', id: 'o1' }, index: emptyIndexEntries(), expectedPreviousVersion: 1, ...overrides,
});

t.test('composite components are grouped into one cmp element per group', async (t) => {
  const index = emptyIndexEntries();
  index.token.push(
    { param: 'code', system: 'http://loinc.org', code: '8480-6', text: null },
    { param: 'code-value-quantity$0', system: 'http://loinc.org', code: '8480-6', text: null, group: 3 },
    { param: 'code-value-quantity$0', system: 'http://loinc.org', code: '8462-4', text: null, group: 4 },
  );
  index.quantity.push(
    { param: 'code-value-quantity$1', value: 150, low: 149.5, high: 150.5, system: null, code: null, unit: null, group: 3 },
    { param: 'code-value-quantity$1', value: 95, low: 94.5, high: 95.5, system: null, code: null, unit: null, group: 4 },
  );
  index.sort['date'] = { asc: 1, desc: 2 };
  const doc = buildResourceDocument(write({ index }), 7);
  t.same(doc.tok, [{ p: 'code', s: 'http://loinc.org', c: '8480-6', x: null }], 'plain entries stay in the type array');
  t.same(doc.cmp, [
    { p: 'code-value-quantity', g: 3, tok: [{ p: 'code-value-quantity$0', s: 'http://loinc.org', c: '8480-6', x: null }], qty: [{ p: 'code-value-quantity$1', v: 150, lo: 149.5, hi: 150.5, s: null, c: null, u: null }] },
    { p: 'code-value-quantity', g: 4, tok: [{ p: 'code-value-quantity$0', s: 'http://loinc.org', c: '8462-4', x: null }], qty: [{ p: 'code-value-quantity$1', v: 95, lo: 94.5, hi: 95.5, s: null, c: null, u: null }] },
  ]);
  t.same(doc.srt, { date: { h: 1, a: 1, d: 2 } }, 'sort keys with a presence flag');
  t.match(doc, { _id: 'Observation/o1', type: 'Observation', id: 'o1', version: 2, deleted: false, seq: 7, lastUpdated: Date.parse('2024-01-01T00:00:00.000Z') });
});

t.test('a delete keeps a marker without resource or index entries (http.html#delete)', async (t) => {
  const doc = buildResourceDocument(write({ resource: undefined, index: undefined, method: 'DELETE' }), 1);
  t.equal(doc.deleted, true);
  t.equal(doc.resource, null);
  t.equal(doc.tok, undefined);
  t.equal(doc.srt, undefined);
});

t.test('sort field names are safe MongoDB field names', async (t) => {
  t.equal(sortFieldName('a.b$c%'), 'a%2Eb%24c%25');
});

t.test('database name from the URL, "fhir" by default', async (t) => {
  const cases: [string, string][] = [
    ['mongodb://localhost:27017', 'fhir'],
    ['mongodb://localhost:27017/', 'fhir'],
    ['mongodb://mongo:27017/hospital?replicaSet=rs0', 'hospital'],
    ['mongodb://a:1,b:2/records', 'records'],
    ['mongodb+srv://user:pw@cluster.example.net/prod?retryWrites=true', 'prod'],
  ];
  for (const [url, name] of cases) t.equal(databaseName(url), name, url);
});

t.test('start-up refuses a standalone mongod with the fix spelled out', async (t) => {
  const problem = transactionSupportProblem({ isWritablePrimary: true, maxWireVersion: 21 });
  t.match(problem, /not a replica set member/);
  t.match(problem, /transactions/);
  t.match(problem, /--replSet rs0/);
  t.match(problem, /rs\.initiate\(\)/);
  t.match(problem, /docker compose up/);
  t.equal(transactionSupportProblem({ setName: 'rs0', isWritablePrimary: true }), undefined, 'replica set member');
  t.equal(transactionSupportProblem({ msg: 'isdbgrid' }), undefined, 'mongos of a sharded cluster');
});

t.test('cursors are bound to their sort order (search.html#paging)', async (t) => {
  const byDate = sortColumns([{ param: 'date', descending: true }]);
  const cursor = encodeCursor(byDate, 'next', { srt: { date: { h: 1, d: 5 } }, seq: 3, _id: 'Observation/o1' });
  t.same(decodeCursor(byDate, cursor), { direction: 'next', values: [1, 5, 3, 'Observation/o1'] });
  t.throws(() => decodeCursor(sortColumns([]), cursor), { code: 'invalid-cursor' }, 'another _sort');
  t.throws(() => decodeCursor(byDate, 'bm90IGpzb24'), { code: 'invalid-cursor' }, 'not ours');
});
