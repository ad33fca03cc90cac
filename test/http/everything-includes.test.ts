/**
 * $everything returns what its compartment members refer to (R4 patient-operation-everything.html: "all resources
 * that it has that are in the patient compartment for the identified patient(s), and any resource referenced from
 * those"; encounter-operation-everything.html says the same of the Encounter compartment), as search.mode=include on
 * the page of the match that refers to them (what `_include=*:*` adds, R4 search.html#include), without resources the
 * result holds as matches, limited by _type and _since, capped per page as search caps _include. Runs on SQLite and,
 * with FHIR_TEST_POSTGRES_URL, on PostgreSQL.
 */
import t, { type Test } from 'tap';
import type { Config } from '../../src/config.js';
import { everything as everythingOperation } from '../../src/interactions/operations/everything.js';
import { createTestServer, FHIR_JSON, json, TEST_BASE, type TestServer } from './context.js';
import { testSchema } from '../storage/postgres-schema.js';

const OLD = new Date('2020-01-01T00:00:00.000Z');
const NEW = new Date('2024-06-01T00:00:00.000Z');

/**
 * The Patient p1 record: matches of Patient/p1/$everything, and for each what it refers to outside the compartment
 * (the includes it brings). o1 also refers to its own compartment's o2, o2010 and e1, which are matches, never includes.
 */
const REFERS_TO: Record<string, string[]> = {
  'Patient/p1': ['Practitioner/prGp'],
  'Observation/o1': ['Practitioner/pr1', 'Observation/oOther'],
  'Observation/o2': ['Practitioner/prOld'],
  'Observation/o2010': [],
  'Encounter/e1': ['Organization/org1', 'Practitioner/pr1'],
  'MedicationRequest/mr1': ['Medication/med1', 'Practitioner/pr1'],
};
const P1_MATCHES = Object.keys(REFERS_TO).sort();
const P1_INCLUDES = [...new Set(Object.values(REFERS_TO).flat())].sort();

async function loadRecord(server: TestServer, clock: { now: Date }): Promise<void> {
  const { put } = server;
  clock.now = OLD;
  await put({ resourceType: 'Practitioner', id: 'prOld' });
  clock.now = NEW;
  for (const id of ['pr1', 'prGp']) await put({ resourceType: 'Practitioner', id });
  await put({ resourceType: 'Organization', id: 'org1', name: 'General Hospital' });
  await put({ resourceType: 'Medication', id: 'med1', code: { text: 'aspirin' } });
  await put({ resourceType: 'Patient', id: 'p1', generalPractitioner: [{ reference: 'Practitioner/prGp' }] });
  await put({ resourceType: 'Patient', id: 'p2' });
  const observation = (id: string, subject: string, effective: string, extra: Record<string, unknown> = {}) =>
    ({ resourceType: 'Observation', id, status: 'final', code: { text: id }, subject: { reference: subject }, effectiveDateTime: effective, ...extra });
  // another patient's Observation, and p2 it refers to (one level: p2 is never included through it)
  await put(observation('oOther', 'Patient/p2', '2024-01-01'));
  await put(observation('o2', 'Patient/p1', '2024-01-02', { performer: [{ reference: 'Practitioner/prOld' }] }));
  await put(observation('o2010', 'Patient/p1', '2010-01-01'));
  await put({
    resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' },
    period: { start: '2024-01-01', end: '2024-01-02' }, serviceProvider: { reference: 'Organization/org1' },
    participant: [{ individual: { reference: 'Practitioner/pr1' } }],
  });
  await put(observation('o1', 'Patient/p1', '2024-01-01', {
    encounter: { reference: 'Encounter/e1' }, performer: [{ reference: 'Practitioner/pr1' }],
    hasMember: [{ reference: 'Observation/o2' }, { reference: 'Observation/o2010' }, { reference: 'Observation/oOther' }],
  }));
  await put({
    resourceType: 'MedicationRequest', id: 'mr1', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' },
    encounter: { reference: 'Encounter/e1' }, medicationReference: { reference: 'Medication/med1' }, requester: { reference: 'Practitioner/pr1' },
  });
}

interface Page { matches: string[]; includes: string[]; outcome?: any; total?: number; links: Record<string, string> }

const key = (entry: any) => `${entry.resource.resourceType}/${entry.resource.id}`;

function readPage(bundle: any): Page {
  const entries = bundle.entry ?? [];
  return {
    matches: entries.filter((e: any) => e.search.mode === 'match').map(key).sort(),
    includes: entries.filter((e: any) => e.search.mode === 'include').map(key).sort(),
    outcome: entries.find((e: any) => e.search.mode === 'outcome')?.resource,
    total: bundle.total,
    links: Object.fromEntries(bundle.link.map((link: any) => [link.relation, link.url])),
  };
}

/** Every page of an $everything answer, following its next links. */
async function pages(server: TestServer, url: string): Promise<Page[]> {
  const result: Page[] = [];
  for (let next: string | undefined = url; next; ) {
    const response = await server.app.inject({ url: next });
    if (response.statusCode !== 200) throw new Error(`${next}: ${response.statusCode} ${response.body}`);
    const page = readPage(json(response.body));
    result.push(page);
    next = page.links.next?.replace(TEST_BASE, '/fhir');
  }
  return result;
}

/** `stores`: the store of the server with the default cap, and of the one with maxIncludes=2 */
async function suite(t: Test, stores: [Partial<Config>, Partial<Config>]): Promise<void> {
  const clock = { now: NEW };
  const server = await createTestServer(stores[0], () => clock.now);
  const capped = await createTestServer({ ...stores[1], maxIncludes: 2 }, () => clock.now);
  t.teardown(async () => {
    await server.close();
    await capped.close();
  });
  await loadRecord(server, clock);
  await loadRecord(capped, clock);

  t.test('R4 patient-operation-everything.html / encounter-operation-everything.html: matches and the resources they refer to', async (t) => {
    const without = (list: string[], ...drop: string[]) => list.filter((id) => !drop.includes(id));
    const cases: { name: string; url: string; matches: string[]; includes: string[] }[] = [
      { name: 'patient-operation-everything.html: the record and what it refers to (Practitioner, Organization, Medication, another patient\'s Observation)',
        url: 'Patient/p1/$everything', matches: P1_MATCHES, includes: P1_INCLUDES },
      { name: 'patient-operation-everything.html _type: Observation alone includes no Practitioner, only referenced Observations outside the compartment',
        url: 'Patient/p1/$everything?_type=Observation', matches: ['Observation/o1', 'Observation/o2', 'Observation/o2010'], includes: ['Observation/oOther'] },
      { name: 'patient-operation-everything.html _type: listing Practitioner includes the Observations\' performers',
        url: 'Patient/p1/$everything?_type=Observation,Practitioner', matches: ['Observation/o1', 'Observation/o2', 'Observation/o2010'],
        includes: ['Observation/oOther', 'Practitioner/pr1', 'Practitioner/prOld'] },
      { name: 'patient-operation-everything.html _type: Encounter with Organization gives its serviceProvider',
        url: 'Patient/p1/$everything?_type=Encounter,Organization', matches: ['Encounter/e1'], includes: ['Organization/org1'] },
      { name: 'patient-operation-everything.html _since: a referenced resource last updated before _since is left out',
        url: `Patient/p1/$everything?_since=${encodeURIComponent('2023-01-01T00:00:00Z')}`, matches: P1_MATCHES, includes: without(P1_INCLUDES, 'Practitioner/prOld') },
      { name: 'patient-operation-everything.html start/end: a member outside the care dates is neither a match nor an include; they do not apply to includes',
        url: 'Patient/p1/$everything?start=2015', matches: without(P1_MATCHES, 'Observation/o2010'), includes: P1_INCLUDES },
      { name: 'encounter-operation-everything.html: what the Encounter, its subject and its members refer to; Patient-compartment resources outside the Encounter compartment are included',
        url: 'Encounter/e1/$everything', matches: ['Encounter/e1', 'MedicationRequest/mr1', 'Observation/o1', 'Patient/p1'],
        includes: ['Medication/med1', 'Observation/o2', 'Observation/o2010', 'Observation/oOther', 'Organization/org1', 'Practitioner/pr1', 'Practitioner/prGp'] },
      { name: 'encounter-operation-everything.html _type: Observation only',
        url: 'Encounter/e1/$everything?_type=Observation', matches: ['Observation/o1'], includes: ['Observation/o2', 'Observation/o2010', 'Observation/oOther'] },
    ];
    for (const { name, url, matches, includes } of cases) {
      const [page, ...more] = await pages(server, `/fhir/${url}`);
      t.equal(more.length, 0, `${name}: one page`);
      t.same(page!.matches, matches, `${name}: matches`);
      t.same(page!.includes, includes, `${name}: includes`);
      t.equal(page!.total, matches.length, `${name}: Bundle.total counts the matches only`);
      t.notOk(page!.outcome, `${name}: no OperationOutcome`);
      t.equal(decodeURIComponent(page!.links.self!), decodeURIComponent(`${TEST_BASE}/${url}`), `${name}: self link`);
      t.notOk(page!.links.next, `${name}: no next link`);
    }
  });

  t.test('patient-operation-everything.html paged: each page includes what its own matches refer to, never a match of any page', async (t) => {
    const all = await pages(server, '/fhir/Patient/p1/$everything?_count=2');
    t.equal(all.length, 3, 'six matches in pages of two');
    t.equal(all[0]!.total, P1_MATCHES.length, 'Bundle.total on the first page: the matches');
    t.same(all.flatMap((page) => page.matches).sort(), P1_MATCHES, 'every match once');
    for (const [n, page] of all.entries()) {
      const expected = [...new Set(page.matches.flatMap((match) => REFERS_TO[match]!))].sort();
      t.same(page.includes, expected, `page ${n + 1}: includes what ${page.matches.join(', ')} refer to`);
      t.equal(new Set(page.includes).size, page.includes.length, `page ${n + 1}: no include twice`);
      t.notOk(page.includes.some((id) => P1_MATCHES.includes(id)), `page ${n + 1}: no compartment member as an include`);
      t.match(page.links.self, /_count=2/, `page ${n + 1}: self link keeps _count`);
      t.equal(Boolean(page.links.next), n < 2, `page ${n + 1}: ${n < 2 ? 'a' : 'no'} next link`);
    }
  });

  t.test('R4 search.html#include (the per-page cap, as search): maxIncludes reached gives an OperationOutcome issue, never a silent cut', async (t) => {
    const searchOutcome = readPage(json((await capped.app.inject({ url: '/fhir/Observation?_include=*' })).body)).outcome;
    const cases: { url: string; includes: number; issue: boolean }[] = [
      { url: 'Patient/p1/$everything', includes: 2, issue: true },
      { url: 'Patient/p1/$everything?_type=Observation,Practitioner', includes: 2, issue: true },
      { url: 'Patient/p1/$everything?_type=Encounter,Organization', includes: 1, issue: false },
      { url: 'Encounter/e1/$everything', includes: 2, issue: true },
    ];
    for (const { url, includes, issue } of cases) {
      const [page] = await pages(capped, `/fhir/${url}`);
      t.equal(page!.includes.length, includes, `${url}: ${includes} include(s)`);
      t.ok(page!.includes.every((id) => !page!.matches.includes(id)), `${url}: includes are not matches`);
      if (!issue) {
        t.notOk(page!.outcome, `${url}: no OperationOutcome under the cap`);
        continue;
      }
      t.equal(page!.outcome.issue.length, 1, `${url}: one issue`);
      t.match(page!.outcome.issue[0], { severity: 'warning', code: 'too-costly', details: { coding: [{ code: 'too-costly' }] } }, `${url}: too-costly`);
      t.match(page!.outcome.issue[0].diagnostics, /\$everything.*stopped at the server limit of 2 included resources on this page.*smaller _count/, `${url}: says so`);
      t.equal(page!.outcome.issue[0].diagnostics.replace(/^.*? stopped/, ''), searchOutcome.issue[0].diagnostics.replace(/^.*? stopped/, ''), `${url}: search's words`);
    }
  });

  t.test('POST with a Parameters body: the same includes as GET', async (t) => {
    const response = await server.app.inject({
      method: 'POST', url: '/fhir/Patient/p1/$everything', headers: { 'content-type': FHIR_JSON },
      payload: { resourceType: 'Parameters', parameter: [{ name: '_type', valueCode: 'Observation,Practitioner' }] },
    });
    t.equal(response.statusCode, 200);
    const page = readPage(json(response.body));
    t.same(page.includes, ['Observation/oOther', 'Practitioner/pr1', 'Practitioner/prOld']);
    t.equal(page.total, 3);
  });

  t.test('access conditions (SMART, ANDed into every query and checked on read) bound the includes too', async (t) => {
    const visible = ['p1', 'o1', 'o2', 'e1', 'pr1', 'org1'];
    const result = await everythingOperation(server.ctx, {
      baseUrl: TEST_BASE, method: 'GET', resourceType: 'Patient', id: 'p1', query: {}, headers: {}, prefer: {},
      accessConditions: [{ kind: 'id', ids: visible }],
    });
    t.equal(result.status, 200);
    const page = readPage(JSON.parse(JSON.stringify(result.body)));
    t.same(page.matches, ['Encounter/e1', 'Observation/o1', 'Observation/o2', 'Patient/p1']);
    t.same(page.includes, ['Organization/org1', 'Practitioner/pr1'], 'only the referenced resources the conditions allow');
    t.equal(page.total, 4);
  });
}

t.test('SQLite', (t) => suite(t, [{}, {}]));

const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
t.test('PostgreSQL', { skip: postgresUrl ? false : 'FHIR_TEST_POSTGRES_URL is not set' }, async (t) => {
  const schemas = [testSchema(postgresUrl!, 'everything_inc'), testSchema(postgresUrl!, 'everything_inc_cap')];
  t.teardown(async () => {
    for (const schema of schemas) await schema.drop();
  });
  await suite(t, [{ store: schemas[0]!.url() }, { store: schemas[1]!.url() }]);
});
