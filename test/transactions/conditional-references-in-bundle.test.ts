// R4 http.html#trules (conditional references), over HTTP (buildApp + inject): a conditional reference in a
// transaction also finds the resources the same transaction creates or changes by POST without ifNoneExist, PUT or
// PATCH, and still fails the whole transaction on none or several matches, leaving the store as it was.
// Every case asserts status, content type and, for failures, the issue code, the error code, the entry named and the
// element holding the reference (issue.expression).
// Runs on SQLite, and on PostgreSQL too when FHIR_TEST_POSTGRES_URL is set (a schema of its own, dropped after).
import t from 'tap';
import { createTestServerOn, type TestServer } from '../http/context.js';
import { testEngines } from '../storage/postgres-schema.js';

let server: TestServer;

const FHIR_JSON = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
const NPI = 'http://hl7.org/fhir/sid/us-npi';

async function request(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) {
  const response = await server.app.inject({ method, url: `/fhir${path}`, headers: FHIR_JSON, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}
const transaction = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });
const errorCode = (outcome: any) => outcome.issue[0].details.coding.find((c: any) => c.system === 'urn:hospital-fhir:error-code')?.code;
const practitioner = (npi: string, family = 'Case') => ({ resourceType: 'Practitioner', identifier: [{ system: NPI, value: npi }], name: [{ family }] });
const organization = (value: string, partOf?: string) => ({
  resourceType: 'Organization', identifier: [{ system: 'urn:test-org', value }], name: value, ...(partOf ? { partOf: { reference: partOf } } : {}),
});
const encounterSeenBy = (npi: string) => ({
  resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, participant: [{ individual: { reference: `Practitioner?identifier=${NPI}|${npi}` } }],
});

interface Case {
  name: string;
  /** resources stored before the transaction, by PUT */
  before?: { path: string; resource: unknown }[];
  entries: unknown[];
  /** success: [entry index holding the reference, element path, entry index or fixed Type/id it must name] */
  resolves?: [number, (resource: any) => string, number | string][];
  /** failure: status, issue code, error code, the entry named, the element holding the reference (issue.expression) */
  fails?: { status: number; issue: string; code: string; entry: number; expression: string };
}

const CASES: Case[] = [
  {
    name: 'a Practitioner POSTed without ifNoneExist, named by an Encounter entry before it',
    entries: [
      { request: { method: 'POST', url: 'Encounter' }, resource: encounterSeenBy('c1-1') },
      { request: { method: 'POST', url: 'Practitioner' }, resource: practitioner('c1-1') },
    ],
    resolves: [[0, (e) => e.participant[0].individual.reference, 1]],
  },
  {
    name: 'an Organization PUT with its id, named by a Patient',
    entries: [
      { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', managingOrganization: { reference: 'Organization?identifier=urn:test-org|c2-org' } } },
      { request: { method: 'PUT', url: 'Organization/c2-org' }, resource: { ...organization('c2-org'), id: 'c2-org' } },
    ],
    resolves: [[0, (p) => p.managingOrganization.reference, 'Organization/c2-org']],
  },
  {
    name: 'an Organization named by another Organization of the same Bundle (partOf)',
    entries: [
      { request: { method: 'POST', url: 'Organization' }, resource: organization('c3-child', 'Organization?identifier=urn:test-org|c3-parent') },
      { request: { method: 'POST', url: 'Organization' }, resource: organization('c3-parent') },
    ],
    resolves: [[0, (o) => o.partOf.reference, 1]],
  },
  {
    name: 'a PUT that gives a stored Practitioner the identifier: found under its new identifier',
    before: [{ path: 'Practitioner/c4-p', resource: { ...practitioner('c4-old'), id: 'c4-p' } }],
    entries: [
      { request: { method: 'PUT', url: 'Practitioner/c4-p' }, resource: { ...practitioner('c4-new'), id: 'c4-p' } },
      { request: { method: 'POST', url: 'Encounter' }, resource: encounterSeenBy('c4-new') },
    ],
    resolves: [[1, (e) => e.participant[0].individual.reference, 'Practitioner/c4-p']],
  },
  {
    name: 'a PUT that takes the identifier away: the reference to the old identifier matches nothing',
    before: [{ path: 'Practitioner/c5-p', resource: { ...practitioner('c5-old'), id: 'c5-p' } }],
    entries: [
      { request: { method: 'PUT', url: 'Practitioner/c5-p' }, resource: { ...practitioner('c5-new'), id: 'c5-p' } },
      { request: { method: 'POST', url: 'Encounter' }, resource: encounterSeenBy('c5-old') },
    ],
    fails: { status: 400, issue: 'not-found', code: 'transaction-failed', entry: 1, expression: 'Bundle.entry[1].resource.participant[0].individual' },
  },
  {
    name: 'a stored Practitioner and one POSTed with the same identifier: several matches',
    before: [{ path: 'Practitioner/c6-p', resource: { ...practitioner('c6-1'), id: 'c6-p' } }],
    entries: [
      { request: { method: 'POST', url: 'Practitioner' }, resource: practitioner('c6-1', 'Second') },
      { request: { method: 'POST', url: 'Encounter' }, resource: encounterSeenBy('c6-1') },
    ],
    fails: { status: 412, issue: 'multiple-matches', code: 'multiple-matches', entry: 1, expression: 'Bundle.entry[1].resource.participant[0].individual' },
  },
  {
    name: 'two Practitioners POSTed with the same identifier: several matches',
    entries: [
      { request: { method: 'POST', url: 'Encounter' }, resource: encounterSeenBy('c7-1') },
      { request: { method: 'POST', url: 'Practitioner' }, resource: practitioner('c7-1', 'One') },
      { request: { method: 'POST', url: 'Practitioner' }, resource: practitioner('c7-1', 'Two') },
    ],
    fails: { status: 412, issue: 'multiple-matches', code: 'multiple-matches', entry: 0, expression: 'Bundle.entry[0].resource.participant[0].individual' },
  },
  {
    name: 'two Organizations that name each other: each sees the store without the other, and finds nothing',
    entries: [
      { request: { method: 'POST', url: 'Organization' }, resource: organization('c8-a', 'Organization?identifier=urn:test-org|c8-b') },
      { request: { method: 'POST', url: 'Organization' }, resource: organization('c8-b', 'Organization?identifier=urn:test-org|c8-a') },
    ],
    fails: { status: 400, issue: 'not-found', code: 'transaction-failed', entry: 0, expression: 'Bundle.entry[0].resource.partOf' },
  },
];

async function storedVersions(): Promise<number> {
  return (await server.ctx.store.history({ count: 1_000_000 })).items.length;
}

const engines = testEngines('bundle_conditional_references');

for (const engine of engines) t.test(engine.name, async (t) => {
  server = await createTestServerOn(t, engine);
  for (const testCase of CASES) await t.test(`transaction, conditional reference: ${testCase.name}`, async (t) => {
    for (const { path, resource } of testCase.before ?? []) t.equal((await request('PUT', `/${path}`, resource)).status, 201, `stored ${path}`);
    const versionsBefore = await storedVersions();
    const result = await request('POST', '', transaction(testCase.entries));
    t.match(result.headers['content-type'], /^application\/fhir\+json/);
    if (testCase.fails) {
      const { status, issue, code, entry, expression } = testCase.fails;
      t.equal(result.status, status, JSON.stringify(result.body.issue ?? ''));
      t.equal(result.body.resourceType, 'OperationOutcome');
      t.equal(result.body.issue[0].code, issue);
      t.equal(errorCode(result.body), code);
      t.match(result.body.issue[0].diagnostics, new RegExp(`^Bundle\\.entry\\[${entry}\\]`));
      t.same(result.body.issue[0].expression, [expression]);
      t.equal(await storedVersions(), versionsBefore, 'nothing stored');
      return;
    }
    t.equal(result.status, 200, JSON.stringify(result.body.issue ?? ''));
    t.equal(result.body.type, 'transaction-response');
    // response.location is absolute: [base]/Type/id/_history/n
    const ids = result.body.entry.map((e: any) => e.response.location.split('/_history')[0].split('/').slice(-2).join('/'));
    for (const [holder, element, named] of testCase.resolves!) {
      const stored = (await request('GET', `/${ids[holder]}`)).body;
      t.equal(element(stored), typeof named === 'number' ? ids[named] : named, `entry ${holder} names ${named}`);
    }
  });
});
