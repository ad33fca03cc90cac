/**
 * The storage contract every engine passes (DESIGN.md "Storage: one port, three engines").
 * R4 sections: http.html (read, vread, history, versions, transactions), search.html (cases, paging, _total).
 */
import type tapModule from 'tap';
import { FhirError } from '../../src/fhir/errors.js';
import type { Resource } from '../../src/fhir/types.js';
import type { SearchQuery } from '../../src/search/ir.js';
import type { FhirStore, StoredVersion, VersionWrite } from '../../src/storage/port.js';
import { contractCases } from './contract-cases.js';
import { fixtureRegistry, fixtureResources } from './contract-fixtures.js';

export type Tap = Parameters<Parameters<typeof tapModule.test>[0]>[0];
type MakeStore = () => Promise<FhirStore>;

const ref = (version: StoredVersion) => `${version.resourceType}/${version.id}`;
const instant = (minute: number, second = 0) => new Date(Date.UTC(2025, 0, 1, 0, minute, second)).toISOString();

/** a version write with index entries computed by the registry */
export function versionOf(resource: Resource, versionId: number, lastUpdated: string, method: VersionWrite['method'] = 'PUT'): VersionWrite {
  const stored: Resource = { ...resource, meta: { versionId: String(versionId), lastUpdated } };
  return {
    resourceType: resource.resourceType, id: resource.id!, versionId, lastUpdated, method,
    resource: stored, index: fixtureRegistry().extract(stored), expectedPreviousVersion: versionId - 1,
  };
}

const deletion = (resourceType: string, id: string, versionId: number, lastUpdated: string): VersionWrite =>
  ({ resourceType, id, versionId, lastUpdated, method: 'DELETE', expectedPreviousVersion: versionId - 1 });

export async function loadFixtures(store: FhirStore): Promise<void> {
  for (const { resource, index } of fixtureResources()) {
    const lastUpdated = resource.meta!.lastUpdated!;
    await store.write({ resourceType: resource.resourceType, id: resource.id!, versionId: 1, lastUpdated, method: 'PUT', resource, index, expectedPreviousVersion: 0 });
  }
}

async function withStore(makeStore: MakeStore, body: (store: FhirStore) => Promise<void>): Promise<void> {
  const store = await makeStore();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

const patient = (id: string, family: string): Resource => ({ resourceType: 'Patient', id, name: [{ family }] });
const byFamily = (prefix: string): SearchQuery => ({
  types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: prefix }] }],
  sort: [], count: 100, total: 'none',
});

export async function runContract(t: Tap, makeStore: MakeStore): Promise<void> {
  await t.test('search cases over the shared fixtures (search.html)', async (t) => {
    await withStore(makeStore, async (store) => {
      await loadFixtures(store);
      for (const { name, spec, query, expectIds } of contractCases) {
        const page = await store.search(query);
        const ids = page.items.map(ref);
        if (query.sort.length) t.same(ids, expectIds, `${name} (${spec})`);
        else t.same([...ids].sort(), [...expectIds].sort(), `${name} (${spec})`);
      }
    });
  });

  await t.test('read, vread of old versions, update (http.html#read, #vread, #update)', async (t) => {
    await withStore(makeStore, async (store) => {
      t.equal(await store.read('Patient', 'nobody'), undefined, 'never-written resource reads as undefined');
      await store.write(versionOf(patient('v', 'First'), 1, instant(1), 'POST'));
      await store.write(versionOf(patient('v', 'Second'), 2, instant(2)));
      await store.write(versionOf(patient('v', 'Third'), 3, instant(3)));
      const current = await store.read('Patient', 'v');
      t.match(current, { versionId: 3, deleted: false, method: 'PUT', lastUpdated: instant(3) });
      t.same((current!.resource!.name as { family: string }[])[0]!.family, 'Third');
      t.same(current!.resource!.meta, { versionId: '3', lastUpdated: instant(3) }, 'meta stored as given');
      const first = await store.vread('Patient', 'v', 1);
      t.match(first, { versionId: 1, method: 'POST', lastUpdated: instant(1) });
      t.same((first!.resource!.name as { family: string }[])[0]!.family, 'First', 'old version content kept');
      t.equal(await store.vread('Patient', 'v', 9), undefined, 'unknown version');
      t.same((await store.search(byFamily('first'))).items, [], 'index entries of old versions are gone');
      t.same((await store.search(byFamily('third'))).items.map(ref), ['Patient/v']);
    });
  });

  await t.test('delete markers (http.html#delete)', async (t) => {
    await withStore(makeStore, async (store) => {
      await loadFixtures(store);
      await store.write(deletion('Patient', 'p2', 2, instant(5)));
      const read = await store.read('Patient', 'p2');
      t.match(read, { versionId: 2, deleted: true, method: 'DELETE' }, 'read gives the delete marker');
      t.equal(read!.resource, undefined, 'a delete marker has no content');
      t.ok((await store.vread('Patient', 'p2', 1))!.resource, 'the version before the delete is still readable');
      t.same((await store.search(byFamily('smi'))).items.map(ref), ['Patient/p1'], 'search excludes deleted resources');
      const chained: SearchQuery = { types: ['Observation'], where: [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [] }], sort: [], count: 100, total: 'none' };
      t.same((await store.search(chained)).items.map(ref).sort(), ['Observation/o1', 'Observation/o3', 'Observation/o4'], 'chains skip deleted targets');
      const history = await store.history({ resourceType: 'Patient', id: 'p2', count: 10 });
      t.same(history.items.map((item) => [item.versionId, item.deleted]), [[2, true], [1, false]], 'history shows the delete');
      await store.write(versionOf(patient('p2', 'Reborn'), 3, instant(6)));
      t.match(await store.read('Patient', 'p2'), { versionId: 3, deleted: false }, 'a deleted resource can be recreated');
      const family = (version?: StoredVersion) => (version?.resource?.name as { family: string }[] | undefined)?.[0]?.family;
      const versions = (await store.history({ resourceType: 'Patient', id: 'p2', count: 10 })).items;
      t.same(versions.map((item) => [item.versionId, item.resource !== undefined]), [[3, true], [2, false], [1, true]],
        'history carries the content of every live version, the current one included');
      t.equal(family(versions[0]), 'Reborn');
      t.equal(family(await store.vread('Patient', 'p2', 3)), 'Reborn', 'vread of the current version');
      t.same(family(await store.vread('Patient', 'p2', 1)), family(versions[2]), 'vread and history agree on an old version');
    });
  });

  await t.test('optimistic concurrency (http.html#concurrency)', async (t) => {
    await withStore(makeStore, async (store) => {
      await store.write(versionOf(patient('c', 'One'), 1, instant(1)));
      const conflict = async (write: VersionWrite, message: string) => {
        await t.rejects(store.write(write), { code: 'version-conflict' }, message);
      };
      await conflict({ ...versionOf(patient('c', 'Two'), 2, instant(2)), expectedPreviousVersion: 0 }, 'create over an existing resource');
      await conflict({ ...versionOf(patient('c', 'Two'), 3, instant(2)), expectedPreviousVersion: 2 }, 'stale expected version');
      await conflict({ ...versionOf(patient('new', 'X'), 2, instant(2)), expectedPreviousVersion: 1 }, 'update of a missing resource');
      t.match(await store.read('Patient', 'c'), { versionId: 1 }, 'nothing changed');
      await store.write(deletion('Patient', 'c', 2, instant(3)));
      await store.write({ ...versionOf(patient('c', 'Again'), 3, instant(4)), expectedPreviousVersion: 0 });
      t.match(await store.read('Patient', 'c'), { versionId: 3, deleted: false }, 'expected 0 accepts a deleted resource');
      const results = await Promise.allSettled([1, 2, 3].map((n) => store.write(versionOf(patient('race', `R${n}`), 1, instant(5)))));
      t.equal(results.filter((result) => result.status === 'fulfilled').length, 1, 'of concurrent creates exactly one wins');
      const loser = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      t.ok(loser.reason instanceof FhirError && loser.reason.code === 'version-conflict', 'the others get version-conflict');
      const mixed = await Promise.allSettled([
        ...[1, 2].map((n) => store.write(versionOf(patient(`ok${n}`, 'Grouped'), 1, instant(6)))),
        store.write({ ...versionOf(patient('c', 'Grouped'), 5, instant(6)), expectedPreviousVersion: 4 }),
        ...[3, 4].map((n) => store.write(versionOf(patient(`ok${n}`, 'Grouped'), 1, instant(6)))),
      ]);
      t.same(mixed.map((result) => result.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'], 'concurrent writes: only the stale one fails');
      t.same((await store.search(byFamily('grouped'))).items.map(ref).sort(), ['Patient/ok1', 'Patient/ok2', 'Patient/ok3', 'Patient/ok4'],
        'the others are indexed, the failed one left no index entries');
      t.match(await store.read('Patient', 'c'), { versionId: 3 }, 'and no version');
    });
  });

  await t.test('transactions (http.html#transaction)', async (t) => {
    await withStore(makeStore, async (store) => {
      await t.rejects(store.withTransaction(async (tx) => {
        await tx.write(versionOf(patient('t1', 'Tx'), 1, instant(1)));
        await tx.withTransaction(async (inner) => inner.write(versionOf(patient('t2', 'Tx'), 1, instant(1))));
        t.match(await tx.read('Patient', 't1'), { versionId: 1 }, 'the transaction sees its own writes');
        t.same((await tx.search(byFamily('tx'))).items.map(ref).sort(), ['Patient/t1', 'Patient/t2'], 'and searches them');
        t.equal(await store.read('Patient', 't1'), undefined, 'others do not see uncommitted writes');
        throw new Error('boom');
      }), /boom/);
      t.equal(await store.read('Patient', 't1'), undefined, 'rolled back: no resource');
      t.equal(await store.read('Patient', 't2'), undefined, 'rolled back: nested writes too');
      t.same((await store.history({ count: 10 })).items, [], 'rolled back: no history');
      t.same((await store.search(byFamily('tx'))).items, [], 'rolled back: no index entries');
      const result = await store.withTransaction(async (tx) => {
        await tx.write(versionOf(patient('t3', 'Kept'), 1, instant(2)));
        return 'done';
      });
      t.equal(result, 'done', 'the callback result is returned');
      t.match(await store.read('Patient', 't3'), { versionId: 1 }, 'committed');
    });

  await t.test('a transaction of many writes indexes each, and an update in it replaces the created entries', async (t) => {
    await withStore(makeStore, async (store) => {
      // 150 resources of several index rows each: more rows per table than one multi-row INSERT takes
      await store.withTransaction(async (tx) => {
        for (let n = 0; n < 150; n++) await tx.write(versionOf(patient(`m${n}`, 'Many'), 1, instant(1)));
        await tx.write(versionOf(patient('m7', 'Renamed'), 2, instant(2)));
        t.equal((await tx.search({ ...byFamily('many'), count: 200 })).items.length, 149, 'inside: the old name is gone from the updated one');
      });
      t.equal((await store.search({ ...byFamily('many'), count: 200 })).items.length, 149, 'committed: 149 under the old name');
      t.same((await store.search(byFamily('renamed'))).items.map(ref), ['Patient/m7'], 'and the updated one under its new name');
    });
  });
  });

  await t.test('conditional create is race-free inside withTransaction (http.html#ccreate)', async (t) => {
    await withStore(makeStore, async (store) => {
      const byIdentifier: SearchQuery = {
        types: ['Patient'], where: [{ kind: 'param', param: 'identifier', index: 'token', values: [{ kind: 'token', op: 'eq', system: 'urn:race', code: 'R-1' }] }],
        sort: [], count: 2, total: 'none',
      };
      const conditionalCreate = (n: number) => store.withTransaction(async (tx) => {
        const existing = await tx.search(byIdentifier);
        if (existing.items.length) return 'existing';
        const resource: Resource = { resourceType: 'Patient', id: `cc${n}`, identifier: [{ system: 'urn:race', value: 'R-1' }] };
        await tx.write(versionOf(resource, 1, instant(n)));
        return 'created';
      });
      const outcomes = await Promise.all([1, 2, 3, 4, 5, 6].map(conditionalCreate));
      t.equal(outcomes.filter((outcome) => outcome === 'created').length, 1, 'exactly one create');
      t.equal((await store.search(byIdentifier)).items.length, 1, 'exactly one resource with the identifier');
    });
  });

  await t.test('paging with cursors while data changes (search.html#paging)', async (t) => {
    await withStore(makeStore, async (store) => {
      for (let n = 0; n < 25; n++) await store.write(versionOf(patient(`pg${String(n).padStart(2, '0')}`, `Page${String(n % 7)}`), 1, instant(n)));
      for (const sort of [[], [{ param: 'family', descending: false }], [{ param: '_lastUpdated', descending: true }]]) {
        const label = sort.length ? `sorted by ${JSON.stringify(sort)}` : 'unsorted';
        const query: SearchQuery = { ...byFamily('page'), sort, count: 10, total: 'accurate' };
        const first = await store.search(query);
        t.equal(first.total, 25, `${label}: accurate total`);
        t.equal(first.items.length, 10);
        t.notOk(first.previousCursor, `${label}: first page has no previous`);
        const second = await store.search({ ...query, cursor: first.nextCursor });
        const third = await store.search({ ...query, cursor: second.nextCursor });
        t.equal(third.items.length, 5);
        t.notOk(third.nextCursor, `${label}: last page has no next`);
        const all = [...first.items, ...second.items, ...third.items].map(ref);
        t.equal(new Set(all).size, 25, `${label}: pages cover every match once`);
        const back = await store.search({ ...query, cursor: third.previousCursor });
        t.same(back.items.map(ref), second.items.map(ref), `${label}: previous gives the same page back`);
        const backToFirst = await store.search({ ...query, cursor: back.previousCursor });
        t.same(backToFirst.items.map(ref), first.items.map(ref), `${label}: and the first page before it`);
        t.notOk(backToFirst.previousCursor);
      }
      const query: SearchQuery = { ...byFamily('page'), count: 10, total: 'none', sort: [{ param: 'family', descending: false }] };
      const first = await store.search(query);
      await store.write(versionOf(patient('inserted-early', 'Page0'), 1, instant(40)));
      await store.write(versionOf(patient('inserted-late', 'Page9'), 1, instant(41)));
      const rest: string[] = [];
      for (let cursor = first.nextCursor; cursor;) {
        const page = await store.search({ ...query, cursor });
        rest.push(...page.items.map(ref));
        cursor = page.nextCursor;
      }
      const firstIds = first.items.map(ref);
      t.notOk(rest.some((id) => firstIds.includes(id)), 'no resource repeats after inserts between pages');
      t.equal(rest.length, 16, 'the rows after the anchor: 15 originals plus the one sorted after it');
      t.ok(rest.includes('Patient/inserted-late'), 'a resource inserted after the anchor is reached');
      await t.rejects(store.search({ ...query, cursor: 'not-a-cursor' }), { code: 'invalid-cursor' });
      await t.rejects(store.search({ ...query, sort: [], cursor: first.nextCursor }), { code: 'invalid-cursor' }, 'a cursor of another sort order');
      const countOnly = await store.search({ ...query, count: 0, total: 'none' });
      t.same(countOnly, { items: [], total: 27 }, '_count=0 gives only the total');
      t.equal((await store.search({ ...query, total: 'estimate' })).total, 27, 'estimate total');
    });
  });

  await t.test('a repeated search counts again after every kind of change (search.html#total)', async (t) => {
    await withStore(makeStore, async (store) => {
      for (let n = 0; n < 5; n++) await store.write(versionOf(patient(`tc${n}`, 'Total'), 1, instant(n)));
      const query: SearchQuery = { ...byFamily('total'), count: 2, total: 'accurate' };
      const total = async () => (await store.search(query)).total;
      const countOnly = async () => (await store.search({ ...query, count: 0 })).total;
      t.equal(await total(), 5);
      t.equal(await total(), 5, 'the same search again');
      t.equal(await countOnly(), 5);
      await store.write(versionOf(patient('tc5', 'Total'), 1, instant(5)));
      t.equal(await total(), 6, 'after a create');
      t.equal(await countOnly(), 6, 'after a create (_count=0)');
      await store.write(versionOf(patient('tc0', 'Other'), 2, instant(6)));
      t.equal(await total(), 5, 'after an update that no longer matches');
      await store.write(deletion('Patient', 'tc1', 2, instant(7)));
      t.equal(await total(), 4, 'after a delete');
      await t.rejects(store.withTransaction(async (tx) => {
        await tx.write(versionOf(patient('tc9', 'Total'), 1, instant(8)));
        t.equal((await tx.search(query)).total, 5, 'inside the transaction: its own write counts');
        throw new Error('roll back');
      }));
      t.equal(await total(), 4, 'a rolled-back write is not counted');
      await store.withTransaction(async (tx) => tx.write(versionOf(patient('tc9', 'Total'), 1, instant(8))));
      t.equal(await total(), 5, 'after a committed transaction');
      const index = fixtureRegistry().extract({ ...patient('tc2', 'Elsewhere'), meta: { versionId: '1', lastUpdated: instant(2) } });
      t.equal(await store.reindex({ resourceType: 'Patient', id: 'tc2', versionId: 1, index }), true);
      t.equal(await total(), 4, 'after a reindex');
    });
  });

  await t.test('a search most rows of its type match gives the same pages on every repeat (search.html#paging)', async (t) => {
    await withStore(makeStore, async (store) => {
      const born = (n: number) => (n === 3 || n === 17 ? '2000-06-01' : `${1950 + n}-02-03`);
      for (let n = 0; n < 30; n++) {
        await store.write(versionOf({ resourceType: 'Patient', id: `wk${String(n).padStart(2, '0')}`, birthDate: born(n) }, 1, instant(n)));
      }
      await store.write(versionOf({ resourceType: 'Person', id: 'wk-person', birthDate: '1960-01-01' }, 1, instant(31)));
      await store.write(deletion('Patient', 'wk05', 2, instant(32)));
      const low = Date.UTC(1990, 0, 1);
      const query: SearchQuery = {
        types: ['Patient'], sort: [], count: 10, total: 'accurate',
        where: [{ kind: 'param', param: 'birthdate', index: 'date', values: [{ kind: 'date', prefix: 'lt', low, high: low + 86_400_000 - 1 }] }],
      };
      const expected = Array.from({ length: 30 }, (_, n) => n).filter((n) => n !== 3 && n !== 17 && n !== 5).map((n) => `Patient/wk${String(n).padStart(2, '0')}`);
      const firstPages: string[][] = [];
      for (let repeat = 0; repeat < 3; repeat++) {
        const ids: string[] = [];
        let page = await store.search(query);
        t.equal(page.total, 27, `repeat ${repeat}: total`);
        firstPages.push(page.items.map(ref));
        ids.push(...page.items.map(ref));
        while (page.nextCursor) {
          page = await store.search({ ...query, cursor: page.nextCursor });
          ids.push(...page.items.map(ref));
        }
        t.same(new Set(ids), new Set(expected), `repeat ${repeat}: every match once, nothing else`);
        t.equal(ids.length, expected.length);
      }
      t.same(firstPages[1], firstPages[0], 'the second first page is the first one');
      t.same(firstPages[2], firstPages[0]);
    });
  });

  await t.test('history: instance, type, system, _since, _at, paging (http.html#history)', async (t) => {
    await withStore(makeStore, async (store) => {
      await store.write(versionOf(patient('h1', 'A'), 1, instant(1), 'POST'));
      await store.write(versionOf({ resourceType: 'Organization', id: 'h2', name: 'Org' }, 1, instant(2), 'POST'));
      await store.write(versionOf(patient('h1', 'B'), 2, instant(3)));
      await store.write(versionOf(patient('h3', 'C'), 1, instant(4), 'POST'));
      await store.write(deletion('Patient', 'h1', 3, instant(5)));
      const versions = (page: { items: StoredVersion[] }) => page.items.map((item) => `${ref(item)}/${item.versionId}`);
      t.same(versions(await store.history({ count: 10 })), ['Patient/h1/3', 'Patient/h3/1', 'Patient/h1/2', 'Organization/h2/1', 'Patient/h1/1'], 'system, newest first');
      t.same(versions(await store.history({ resourceType: 'Patient', count: 10 })), ['Patient/h1/3', 'Patient/h3/1', 'Patient/h1/2', 'Patient/h1/1'], 'type');
      t.same(versions(await store.history({ resourceType: 'Patient', id: 'h1', count: 10 })), ['Patient/h1/3', 'Patient/h1/2', 'Patient/h1/1'], 'instance');
      t.same(versions(await store.history({ since: Date.parse(instant(3)), count: 10 })), ['Patient/h1/3', 'Patient/h3/1', 'Patient/h1/2'], '_since is inclusive');
      t.same(versions(await store.history({ at: Date.parse(instant(3, 30)), count: 10 })), ['Patient/h1/2', 'Organization/h2/1'], '_at: the version current at that instant');
      const first = await store.history({ count: 2, total: true });
      t.equal(first.total, 5, 'history total');
      const second = await store.history({ count: 2, cursor: first.nextCursor });
      const third = await store.history({ count: 2, cursor: second.nextCursor });
      t.same([...versions(first), ...versions(second), ...versions(third)], versions(await store.history({ count: 10 })), 'pages in order');
      t.notOk(third.nextCursor);
      t.same(versions(await store.history({ count: 2, cursor: third.previousCursor })), versions(second), 'previous page');
    });
  });

  await t.test('reindex replaces the entries of the current version and creates no version ($reindex)', async (t) => {
    await withStore(makeStore, async (store) => {
      await store.write(versionOf(patient('rx', 'Before'), 1, instant(1)));
      await store.write(versionOf(patient('ry', 'Middle'), 1, instant(2)));
      // entries as a changed definition of "family" would compute them
      const index = fixtureRegistry().extract({ ...patient('rx', 'After'), meta: { versionId: '1', lastUpdated: instant(1) } });
      t.equal(await store.reindex({ resourceType: 'Patient', id: 'rx', versionId: 1, index }), true, 'applied to the current version');
      t.same((await store.search(byFamily('after'))).items.map(ref), ['Patient/rx'], 'the new entries match');
      t.same((await store.search(byFamily('before'))).items, [], 'the old entries are gone');
      const sorted = await store.search({ ...byFamily(''), where: [], types: ['Patient'], sort: [{ param: 'family', descending: false }] });
      t.same(sorted.items.map(ref), ['Patient/rx', 'Patient/ry'], 'sort keys follow the new entries (After < Middle)');
      const current = await store.read('Patient', 'rx');
      t.match(current, { versionId: 1, lastUpdated: instant(1) }, 'no new version');
      t.same((current!.resource!.name as { family: string }[])[0]!.family, 'Before', 'content unchanged');
      t.equal((await store.history({ resourceType: 'Patient', id: 'rx', count: 10 })).items.length, 1, 'no history entry');
      t.equal(await store.reindex({ resourceType: 'Patient', id: 'rx', versionId: 2, index }), false, 'not the current version: nothing done');
      t.equal(await store.reindex({ resourceType: 'Patient', id: 'nobody', versionId: 1, index }), false, 'unknown resource');
      await store.write(deletion('Patient', 'ry', 2, instant(3)));
      t.equal(await store.reindex({ resourceType: 'Patient', id: 'ry', versionId: 2, index }), false, 'a delete marker has no entries');
      const rolledBack = fixtureRegistry().extract({ ...patient('rx', 'Rolled'), meta: { versionId: '1', lastUpdated: instant(1) } });
      await t.rejects(store.withTransaction(async (tx) => {
        t.equal(await tx.reindex({ resourceType: 'Patient', id: 'rx', versionId: 1, index: rolledBack }), true);
        throw new Error('roll back');
      }));
      t.same((await store.search(byFamily('after'))).items.map(ref), ['Patient/rx'], 'a rolled-back reindex leaves the entries');
    });
  });

  await t.test('readMany and findReferencing (search.html#include, #revinclude)', async (t) => {
    await withStore(makeStore, async (store) => {
      await loadFixtures(store);
      await store.write(deletion('Patient', 'p3', 2, instant(1)));
      const many = await store.readMany([
        { resourceType: 'Patient', id: 'p2' }, { resourceType: 'Patient', id: 'p1' }, { resourceType: 'Patient', id: 'missing' },
        { resourceType: 'Patient', id: 'p3' }, { resourceType: 'Patient', id: 'p1' },
      ]);
      t.same(many.map(ref), ['Patient/p2', 'Patient/p1'], 'current versions in the order asked, no deleted, no duplicates');
      const referencing = await store.findReferencing(['Observation'], ['subject'], [{ resourceType: 'Patient', id: 'p1' }, { resourceType: 'Patient', id: 'p2' }], 100);
      t.same(referencing.map(ref).sort(), ['Observation/o1', 'Observation/o2', 'Observation/o3']);
      const anyParam = await store.findReferencing(null, null, [{ resourceType: 'Patient', id: 'p1' }], 100);
      t.same(anyParam.map(ref).sort(), ['Observation/o1', 'Observation/o3', 'RiskAssessment/ra1'], 'any source type and parameter, each once');
      t.equal((await store.findReferencing(null, null, [{ resourceType: 'Patient', id: 'p1' }], 2)).length, 2, 'limit');
    });
  });
}
