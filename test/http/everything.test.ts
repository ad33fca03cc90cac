/**
 * $everything over the real routes (R4 patient-operation-everything.html, encounter-operation-everything.html,
 * operations.html, http.html): the _count clamp note, deleted focal resources, the Encounter's Patient,
 * start/end, the type level and POST with a Parameters body.
 */
import t from 'tap';
import { createTestServer, FHIR_JSON, json, TEST_BASE } from './context.js';

const MAX_COUNT = 3;
const server = await createTestServer({ defaultCount: 2, maxCount: MAX_COUNT, publicBaseUrl: TEST_BASE });
t.teardown(() => server.close());
const { app, put } = server;

const encounter = (id: string, subject: string | undefined, start: string, end: string) => ({
  resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, period: { start, end }, ...(subject ? { subject: { reference: subject } } : {}),
});
const observation = (id: string, subject: string, effective?: string, encounterId?: string) => ({
  resourceType: 'Observation', id, status: 'final', code: { text: id }, subject: { reference: subject },
  ...(effective ? { effectiveDateTime: effective } : {}), ...(encounterId ? { encounter: { reference: `Encounter/${encounterId}` } } : {}),
});
await put({ resourceType: 'Patient', id: 'p1' });
await put({ resourceType: 'Patient', id: 'p2' });
await put(encounter('e2014', 'Patient/p1', '2014-03-01', '2014-03-05'));
await put(encounter('eSpan', `${TEST_BASE}/Patient/p1`, '2014-12-30', '2015-01-02'));
await put(encounter('e2016', 'Patient/p1', '2016-01-10', '2016-01-12'));
await put(encounter('eNoSubject', undefined, '2016-01-10', '2016-01-12'));
await put(observation('o2014', 'Patient/p1', '2014-06-01T10:00:00Z', 'e2014'));
await put(observation('o2016', 'Patient/p1', '2016-02-01T10:00:00Z', 'e2016'));
await put(observation('oUndated', 'Patient/p1'));
await put(observation('oOther', 'Patient/p2', '2016-02-01T10:00:00Z'));
// Condition has no clinical date in R4 (SearchParameter clinical-date): returned whatever its onset
await put({ resourceType: 'Condition', id: 'c2010', subject: { reference: 'Patient/p1' }, onsetDateTime: '2010-01-01' });
await put({ resourceType: 'Patient', id: 'gone' });
await put(encounter('eGone', 'Patient/p2', '2016-01-10', '2016-01-12'));
for (const url of ['/fhir/Patient/gone', '/fhir/Encounter/eGone']) await app.inject({ method: 'DELETE', url });

const P1_RECORD = ['Condition/c2010', 'Encounter/e2014', 'Encounter/e2016', 'Encounter/eSpan', 'Observation/o2014', 'Observation/o2016', 'Observation/oUndated', 'Patient/p1'];

interface Fetched { status: number; bundle: any; pages: number; ids: string[]; outcomes: any[] }

/** Every page of an $everything answer (following next links by GET); stops at the first non-200. */
async function everything(url: string, init: { method?: 'GET' | 'POST'; payload?: unknown } = {}): Promise<Fetched> {
  const ids: string[] = [];
  const outcomes: any[] = [];
  let first: any;
  let pages = 0;
  let request: { method: 'GET' | 'POST'; url: string; payload?: unknown } | undefined = { method: init.method ?? 'GET', url, payload: init.payload };
  while (request) {
    const response = await app.inject({ ...request, headers: request.payload ? { 'content-type': FHIR_JSON } : {}, payload: request.payload as any });
    const body = json(response.body);
    if (response.statusCode !== 200) return { status: response.statusCode, bundle: body, pages, ids, outcomes };
    first ??= body;
    pages++;
    for (const entry of body.entry ?? []) {
      if (entry.search.mode === 'outcome') outcomes.push(entry.resource);
      else ids.push(`${entry.resource.resourceType}/${entry.resource.id}`);
    }
    const next = body.link.find((link: any) => link.relation === 'next')?.url as string | undefined;
    request = next ? { method: 'GET', url: next.replace(TEST_BASE, '/fhir') } : undefined;
  }
  return { status: 200, bundle: first, pages, ids: ids.sort(), outcomes };
}

function issueCodes(outcome: any): [string, string | undefined][] {
  return outcome.issue.map((issue: any) => [issue.code, issue.details?.coding?.[0]?.code]);
}

t.test('R4 search.html#count, README FHIR_MAX_COUNT: a clamped _count is said in an OperationOutcome entry, as search says it', async (t) => {
  const searchOutcome = json((await app.inject({ url: '/fhir/Observation?_count=200' })).body).entry.find((e: any) => e.search.mode === 'outcome').resource;
  const cases: { url: string; note: boolean; pageSizes: number[] }[] = [
    { url: '/fhir/Patient/p1/$everything?_count=200', note: true, pageSizes: [3, 3, 2] },
    { url: `/fhir/Patient/p1/$everything?_count=${MAX_COUNT}`, note: false, pageSizes: [3, 3, 2] },
    { url: '/fhir/Patient/p1/$everything', note: false, pageSizes: [2, 2, 2, 2] },
    { url: '/fhir/Encounter/e2016/$everything?_count=200', note: true, pageSizes: [3] },
  ];
  for (const { url, note, pageSizes } of cases) {
    const first = await app.inject({ url });
    t.equal(first.statusCode, 200, url);
    const bundle = json(first.body);
    t.match(bundle, { resourceType: 'Bundle', type: 'searchset' }, `${url}: a searchset`);
    const outcomes = (bundle.entry ?? []).filter((e: any) => e.search.mode === 'outcome');
    t.equal(outcomes.length, note ? 1 : 0, `${url}: ${note ? 'one' : 'no'} OperationOutcome entry`);
    if (note) {
      t.same(issueCodes(outcomes[0].resource), [['informational', 'invalid-count']], `${url}: informational, invalid-count`);
      t.equal(outcomes[0].resource.issue[0].severity, 'information');
      t.equal(outcomes[0].resource.issue[0].diagnostics, searchOutcome.issue[0].diagnostics, `${url}: the words ordinary search uses`);
      t.match(bundle.link.find((l: any) => l.relation === 'self').url, `_count=${MAX_COUNT}`, `${url}: links carry the page size applied`);
    }
    const all = await everything(url);
    const sizes: number[] = [];
    for (let page: any = bundle; page; ) {
      sizes.push(page.entry.filter((e: any) => e.search.mode === 'match').length);
      const next = page.link.find((l: any) => l.relation === 'next')?.url;
      page = next ? json((await app.inject({ url: next.replace(TEST_BASE, '/fhir') })).body) : undefined;
    }
    t.same(sizes, pageSizes, `${url}: pages of at most ${MAX_COUNT}, nothing cut`);
    t.equal(all.ids.length, bundle.total, `${url}: every page together holds Bundle.total resources`);
  }
});

t.test('R4 search.html#errors (Prefer: handling=lenient): an unknown parameter is ignored and the Bundle says so', async (t) => {
  const response = await app.inject({ url: '/fhir/Patient/p1/$everything?category=x&_count=200', headers: { prefer: 'handling=lenient' } });
  t.equal(response.statusCode, 200);
  const outcome = json(response.body).entry.find((e: any) => e.search.mode === 'outcome').resource;
  t.same(issueCodes(outcome), [['not-supported', 'invalid-parameter'], ['informational', 'invalid-count']], 'the ignored parameter, then the clamp');
  t.match(outcome.issue[0].diagnostics, '"category"');
});

t.test('R4 http.html#read (410 for a deleted resource): $everything on a deleted focal resource answers as read does', async (t) => {
  const cases: [string, string, number, [string, string][]][] = [
    ['/fhir/Patient/gone/$everything', '/fhir/Patient/gone', 410, [['deleted', 'gone']]],
    ['/fhir/Encounter/eGone/$everything', '/fhir/Encounter/eGone', 410, [['deleted', 'gone']]],
    ['/fhir/Patient/nobody/$everything', '/fhir/Patient/nobody', 404, [['not-found', 'not-found']]],
  ];
  for (const [url, readUrl, status, codes] of cases) {
    const response = await app.inject({ url });
    const read = await app.inject({ url: readUrl });
    t.equal(response.statusCode, status, url);
    t.equal(read.statusCode, status, `${readUrl} (read)`);
    const outcome = json(response.body);
    t.equal(outcome.resourceType, 'OperationOutcome', url);
    t.same(issueCodes(outcome), codes, `${url}: issue codes`);
    t.same(outcome, json(read.body), `${url}: the OperationOutcome read gives`);
    t.equal(response.headers.etag, read.headers.etag, `${url}: the ETag of the deletion, as read gives`);
  }
});

t.test('R4 encounter-operation-everything.html: the Encounter, its compartment and its subject Patient', async (t) => {
  const cases: [string, string[]][] = [
    ['/fhir/Encounter/e2014/$everything', ['Encounter/e2014', 'Observation/o2014', 'Patient/p1']],
    ['/fhir/Encounter/eSpan/$everything', ['Encounter/eSpan', 'Patient/p1']], // subject as an absolute URL under the base
    ['/fhir/Encounter/e2016/$everything?_type=Patient', ['Patient/p1']],
    ['/fhir/Encounter/e2016/$everything?_type=Observation', ['Observation/o2016']],
    ['/fhir/Encounter/e2016/$everything?_type=Encounter,Patient', ['Encounter/e2016', 'Patient/p1']],
    ['/fhir/Encounter/eNoSubject/$everything', ['Encounter/eNoSubject']],
  ];
  for (const [url, ids] of cases) {
    const result = await everything(url);
    t.equal(result.status, 200, url);
    t.same(result.ids, ids, url);
    t.equal(result.bundle.total, ids.length, `${url}: Bundle.total`);
  }
});

t.test('R4 patient-operation-everything.html start/end: care dates (clinical-date), undated resources kept', async (t) => {
  const without = (...drop: string[]) => P1_RECORD.filter((id) => !drop.includes(id));
  const cases: [string, number, string[] | [string, string][]][] = [
    ['start=2015-01-01', 200, without('Encounter/e2014', 'Observation/o2014')],
    ['start=2015', 200, without('Encounter/e2014', 'Observation/o2014')],
    ['end=2014-12-31', 200, without('Encounter/e2016', 'Observation/o2016')],
    ['end=2014-12', 200, without('Encounter/e2016', 'Observation/o2016')],
    ['start=2015-01-01&end=2015-12-31', 200, without('Encounter/e2014', 'Observation/o2014', 'Encounter/e2016', 'Observation/o2016')],
    ['start=2014-06-01&end=2014-06-01', 200, without('Encounter/e2014', 'Encounter/eSpan', 'Encounter/e2016', 'Observation/o2016')],
    ['start=2020-01-01&_type=Observation', 200, ['Observation/oUndated']],
    ['start=2015-01-01&_count=2', 200, without('Encounter/e2014', 'Observation/o2014')],
    ['start=yesterday', 400, [['invalid', 'invalid-parameter']]],
    ['end=2015-13-01', 400, [['invalid', 'invalid-parameter']]],
    ['start=2015&start=2016', 400, [['invalid', 'invalid-parameter']]],
  ];
  for (const [query, status, expected] of cases) {
    const url = `/fhir/Patient/p1/$everything?${query}`;
    const result = await everything(url);
    t.equal(result.status, status, url);
    if (status === 200) t.same(result.ids, expected, url);
    else t.same(issueCodes(result.bundle), expected, `${url}: issue codes`);
  }
  const encounterStart = await everything('/fhir/Encounter/e2016/$everything?start=2015');
  t.equal(encounterStart.status, 400, 'Encounter-everything defines no start parameter');
  t.same(issueCodes(encounterStart.bundle), [['invalid', 'invalid-parameter']]);
});

t.test('R4 patient-operation-everything.html (type level allowed, "the server may choose to return an error"): refused with not-supported', async (t) => {
  const cases: ['GET' | 'POST', string][] = [
    ['GET', '/fhir/Patient/$everything'],
    ['POST', '/fhir/Patient/$everything'],
    ['GET', '/fhir/Patient/$everything?_count=2'],
    ['GET', '/fhir/Encounter/$everything'],
  ];
  for (const [method, url] of cases) {
    const response = await app.inject({ method, url, ...(method === 'POST' ? { headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Parameters' } } : {}) });
    t.equal(response.statusCode, 400, `${method} ${url}`);
    const outcome = json(response.body);
    t.equal(outcome.resourceType, 'OperationOutcome');
    t.same(issueCodes(outcome), [['not-supported', 'invalid-parameter']], `${method} ${url}: not-supported`);
    t.match(outcome.issue[0].diagnostics, /type level .* is not supported/, `${method} ${url}: says what is not supported`);
  }
});

t.test('R4 operations.html (affectsState=false: GET or POST): POST Patient/[id]/$everything with a Parameters body', async (t) => {
  const parameters = (...parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });
  const cases: [string, unknown, number, string[] | [string, string][]][] = [
    ['no parameters', parameters(), 200, P1_RECORD],
    ['no body', undefined, 200, P1_RECORD],
    ['_type', parameters({ name: '_type', valueCode: 'Observation,Condition' }), 200, ['Condition/c2010', 'Observation/o2014', 'Observation/o2016', 'Observation/oUndated']],
    ['_type twice', parameters({ name: '_type', valueCode: 'Condition' }, { name: '_type', valueCode: 'Patient' }), 200, ['Condition/c2010', 'Patient/p1']],
    ['start/end', parameters({ name: 'start', valueDate: '2015-01-01' }, { name: 'end', valueDate: '2015-12-31' }), 200, ['Condition/c2010', 'Encounter/eSpan', 'Observation/oUndated', 'Patient/p1']],
    ['_count (next links by GET keep the body parameters)', parameters({ name: '_count', valueInteger: 1 }, { name: '_type', valueCode: 'Encounter' }), 200, ['Encounter/e2014', 'Encounter/e2016', 'Encounter/eSpan']],
    ['_since', parameters({ name: '_since', valueInstant: '2999-01-01T00:00:00Z' }), 200, []],
    ['unknown parameter', parameters({ name: 'category', valueCode: 'x' }), 400, [['invalid', 'invalid-parameter']]],
    ['not a Parameters body', { resourceType: 'Patient' }, 400, [['invalid', 'invalid-resource']]],
  ];
  for (const [name, payload, status, expected] of cases) {
    const result = await everything('/fhir/Patient/p1/$everything', { method: 'POST', payload });
    t.equal(result.status, status, name);
    if (status !== 200) {
      t.same(issueCodes(result.bundle), expected, `${name}: issue codes`);
      continue;
    }
    t.match(result.bundle, { resourceType: 'Bundle', type: 'searchset', total: expected.length }, `${name}: searchset with its total`);
    t.same(result.ids, expected, name);
  }
  const paged = await everything('/fhir/Patient/p1/$everything', { method: 'POST', payload: parameters({ name: '_count', valueInteger: 1 }, { name: '_type', valueCode: 'Encounter' }) });
  t.equal(paged.pages, 3, 'POST _count=1 over three Encounters: three pages');
});
