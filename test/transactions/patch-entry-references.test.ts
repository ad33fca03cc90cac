// References a PATCH entry's patch writes, over HTTP (buildApp + inject), for JSON Patch (a Binary) and FHIRPath Patch
// (a Parameters) entries (R4 http.html#patch, http.html#transaction, bundle.html):
// - a conditional reference (`Patient?identifier=...`, http.html#trules) in the patched resource resolves to its one
//   match and is stored as Patient/<id>, as the same PATCH sent alone does and as a POST/PUT entry's does. None or
//   several matches: a transaction fails as a whole (400 transaction-failed / 412 multiple-matches) and leaves the store
//   as it was; a batch entry fails alone with the status and codes of the same PATCH sent alone (http.html#transaction:
//   each entry "is processed as if it was the interaction"), 422 unprocessable-resource / 412 multiple-matches.
//   The issue's expression names the element of the patched resource (`Bundle.entry[1].resource.subject`).
// - a `urn:uuid:` reference to a resource POSTed in the same transaction is resolved (bundle.html#references) and
//   stored as Patient/<id>; one naming no entry fails the transaction (invalid-bundle); in a batch, entries are
//   independent (http.html#transaction) and the entry fails as a POST/PUT entry's urn reference does (invalid-bundle).
// Runs on SQLite, and on PostgreSQL too when FHIR_TEST_POSTGRES_URL is set (a schema of its own, dropped after).
import t from 'tap';
import { createTestServerOn, type TestServer } from '../http/context.js';
import { testEngines } from '../storage/postgres-schema.js';

let server: TestServer;

const FHIR_JSON = 'application/fhir+json';
const JSON_PATCH = 'application/json-patch+json';
const SYSTEM = 'urn:test:patch-entry-references';
const URN = 'urn:uuid:4b1f7e9a-3c2d-4e5f-8a6b-7c8d9e0f1a2b';

async function request(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown, contentType = FHIR_JSON) {
  const response = await server.app.inject({
    method, url: `/fhir${path}`, headers: { 'content-type': contentType, accept: FHIR_JSON }, payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.body === '' ? undefined : JSON.parse(response.body) };
}
const bundle = (type: 'batch' | 'transaction', entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const errorCode = (outcome: any) => outcome.issue[0].details.coding.find((c: any) => c.system === 'urn:hospital-fhir:error-code')?.code;
const outcomeOf = (status: number, outcome: any) => ({ status, issue: outcome?.issue?.[0]?.code, code: outcome && errorCode(outcome), expression: outcome?.issue?.[0]?.expression });
const storedVersions = async () => (await server.ctx.store.history({ count: 1_000_000 })).items.length;
const patient = (value: string) => ({ resourceType: 'Patient', identifier: [{ system: SYSTEM, value }] });
const conditional = (value: string) => `Patient?identifier=${SYSTEM}|${value}`;

/** A way of writing `reference` into an Observation by a patch: the same patch sent alone and as a Bundle entry. */
interface PatchKind {
  name: string;
  /** the Observation before the patch (`before`: a Patient/id it may already name) */
  initial: (before: string) => Record<string, unknown>;
  /** the patch sent alone: body and content type */
  alone: (reference: string) => [unknown, string];
  /** the entry's resource (http.html#transaction: a Binary holding the JSON Patch, or the FHIRPath Patch Parameters) */
  entry: (reference: string) => unknown;
  /** the element of the Observation the patch writes the reference in */
  element: string;
  /** reads that reference back from the stored Observation */
  stored: (observation: any) => string | undefined;
}

const asBinary = (operations: unknown[]) => ({ resourceType: 'Binary', contentType: JSON_PATCH, data: Buffer.from(JSON.stringify(operations)).toString('base64') });
const fhirPathPatch = (...parts: unknown[][]) => ({ resourceType: 'Parameters', parameter: parts.map((part) => ({ name: 'operation', part })) });
const observation = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'patch-entry-references' }, ...extra });

const KINDS: PatchKind[] = [
  {
    name: 'JSON Patch adding subject',
    initial: () => observation(),
    alone: (reference) => [[{ op: 'add', path: '/subject', value: { reference } }], JSON_PATCH],
    entry: (reference) => asBinary([{ op: 'add', path: '/subject', value: { reference } }]),
    element: 'subject',
    stored: (o) => o.subject?.reference,
  },
  {
    name: 'JSON Patch appending a performer',
    initial: (before) => observation({ performer: [{ reference: before }] }),
    alone: (reference) => [[{ op: 'add', path: '/performer/-', value: { reference } }], JSON_PATCH],
    entry: (reference) => asBinary([{ op: 'add', path: '/performer/-', value: { reference } }]),
    element: 'performer[1]',
    stored: (o) => o.performer?.[1]?.reference,
  },
  {
    name: 'FHIRPath Patch replacing subject',
    initial: (before) => observation({ subject: { reference: before } }),
    alone: (reference) => [fhirPathPatch([{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Observation.subject' }, { name: 'value', valueReference: { reference } }]), FHIR_JSON],
    entry: (reference) => fhirPathPatch([{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Observation.subject' }, { name: 'value', valueReference: { reference } }]),
    element: 'subject',
    stored: (o) => o.subject?.reference,
  },
  {
    name: 'FHIRPath Patch adding subject',
    initial: () => observation(),
    alone: (reference) => [fhirPathPatch([{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Observation' }, { name: 'name', valueString: 'subject' }, { name: 'value', valueReference: { reference } }]), FHIR_JSON],
    entry: (reference) => fhirPathPatch([{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Observation' }, { name: 'name', valueString: 'subject' }, { name: 'value', valueReference: { reference } }]),
    element: 'subject',
    stored: (o) => o.subject?.reference,
  },
];

/** A conditional reference that does not resolve: what the PATCH sent alone answers, and a transaction holding it. */
const UNRESOLVED: { name: string; reference: string; alone: { status: number; issue: string; code: string }; transaction: { status: number; issue: string; code: string } }[] = [
  {
    name: 'no match', reference: conditional('nobody'),
    // http.html#patch (RFC 5789 section 2.2): a valid patch whose result cannot be stored is 422
    alone: { status: 422, issue: 'not-found', code: 'unprocessable-resource' },
    transaction: { status: 400, issue: 'not-found', code: 'transaction-failed' },
  },
  {
    name: 'several matches', reference: conditional('twin'),
    alone: { status: 412, issue: 'multiple-matches', code: 'multiple-matches' },
    transaction: { status: 412, issue: 'multiple-matches', code: 'multiple-matches' },
  },
];

const engines = testEngines('patch_entry_references');

for (const engine of engines) t.test(engine.name, async (t) => {
  server = await createTestServerOn(t, engine);
  const created = async (resource: unknown) => {
    const result = await request('POST', `/${(resource as any).resourceType}`, resource);
    if (result.status !== 201) throw new Error(`seeding: ${result.status} ${JSON.stringify(result.body)}`);
    return `${result.body.resourceType}/${result.body.id}`;
  };
  const one = await created(patient('one'));
  const before = await created(patient('before'));
  await created(patient('twin'));
  await created(patient('twin'));
  const readObservation = async (reference: string) => (await request('GET', `/${reference}`)).body;
  /** a filler entry written before the PATCH entry, so the PATCH entry is Bundle.entry[1] */
  const filler = (marker: string) => ({ request: { method: 'POST', url: 'Basic' }, resource: { resourceType: 'Basic', code: { text: marker } } });
  const patchEntry = (target: string, kind: PatchKind, reference: string) => ({ request: { method: 'PATCH', url: target }, resource: kind.entry(reference) });

  for (const kind of KINDS) {
    await t.test(`${kind.name}: a conditional reference with one match is stored as Patient/<id> (http.html#trules)`, async (t) => {
      const alone = await created(kind.initial(before));
      const [body, contentType] = kind.alone(conditional('one'));
      const direct = await request('PATCH', `/${alone}`, body, contentType);
      t.equal(direct.status, 200, 'sent alone');
      t.equal(kind.stored(await readObservation(alone)), one, 'sent alone: stored as Patient/<id>');

      for (const type of ['transaction', 'batch'] as const) {
        const target = await created(kind.initial(before));
        const result = await request('POST', '', bundle(type, [filler(`${type}-one`), patchEntry(target, kind, conditional('one'))]));
        t.equal(result.status, 200, type);
        t.same(result.body.entry.map((e: any) => e.response.status), ['201 Created', '200 OK'], `${type}: both entries written`);
        t.equal(kind.stored(await readObservation(target)), one, `${type}: stored as Patient/<id>`);
      }
    });

    for (const failure of UNRESOLVED) {
      await t.test(`${kind.name}: a conditional reference with ${failure.name} (http.html#trules)`, async (t) => {
        const target = await created(kind.initial(before));
        const [body, contentType] = kind.alone(failure.reference);
        const direct = await request('PATCH', `/${target}`, body, contentType);
        t.same(outcomeOf(direct.status, direct.body), { ...failure.alone, expression: [`Observation.${kind.element}`] }, 'sent alone');

        const expression = [`Bundle.entry[1].resource.${kind.element}`];
        const versionsBefore = await storedVersions();
        const transaction = await request('POST', '', bundle('transaction', [filler('tx'), patchEntry(target, kind, failure.reference)]));
        t.same(outcomeOf(transaction.status, transaction.body), { ...failure.transaction, expression }, 'transaction: fails as a whole');
        t.match(transaction.body.issue?.[0]?.diagnostics, /^Bundle\.entry\[1\]/, 'transaction: the diagnostics name the entry');
        t.equal(await storedVersions(), versionsBefore, 'transaction: nothing stored');

        const batch = await request('POST', '', bundle('batch', [filler('batch'), patchEntry(target, kind, failure.reference)]));
        t.equal(batch.status, 200);
        t.equal(batch.body.entry[0].response.status, '201 Created', 'batch: the other entry is written');
        const entry = batch.body.entry[1].response;
        t.same(outcomeOf(Number.parseInt(entry.status, 10), entry.outcome), { ...failure.alone, expression }, 'batch: the entry fails as the PATCH sent alone');
        t.equal(await storedVersions(), versionsBefore + 1, 'batch: only the other entry stored');
        const stored = await readObservation(target);
        t.equal(stored.meta.versionId, '1', 'the Observation was never patched');
        t.equal(kind.stored(stored), kind.stored(kind.initial(before)), 'its reference is as it was');
      });
    }

    await t.test(`${kind.name}: a urn:uuid reference to a Patient POSTed in the same Bundle (bundle.html#references)`, async (t) => {
      const target = await created(kind.initial(before));
      const newPatient = { fullUrl: URN, request: { method: 'POST', url: 'Patient' }, resource: patient('urn') };
      const transaction = await request('POST', '', bundle('transaction', [newPatient, patchEntry(target, kind, URN)]));
      t.equal(transaction.status, 200, JSON.stringify(transaction.body.issue ?? ''));
      t.same(transaction.body.entry.map((e: any) => e.response.status), ['201 Created', '200 OK']);
      const patientId = `Patient/${transaction.body.entry[0].response.location.split('/Patient/')[1].split('/')[0]}`;
      t.equal(kind.stored(await readObservation(target)), patientId, 'transaction: stored as the Patient/<id> the POST created');

      // a urn naming no entry of the transaction: stored it would point nowhere
      const untouched = await created(kind.initial(before));
      const versionsBefore = await storedVersions();
      const dangling = await request('POST', '', bundle('transaction', [filler('dangling'), patchEntry(untouched, kind, 'urn:uuid:00000000-0000-4000-8000-000000000000')]));
      t.same(outcomeOf(dangling.status, dangling.body), { status: 400, issue: 'not-found', code: 'invalid-bundle', expression: ['Bundle.entry[1].resource'] }, 'transaction: a urn naming no entry');
      t.equal(await storedVersions(), versionsBefore, 'transaction: nothing stored');

      // http.html#transaction: batch entries SHALL have no interdependencies; a POST/PUT entry's urn reference fails so
      const postEntry = { request: { method: 'POST', url: 'Observation' }, resource: observation({ subject: { reference: URN } }) };
      const batch = await request('POST', '', bundle('batch', [newPatient, patchEntry(untouched, kind, URN), postEntry]));
      t.equal(batch.status, 200);
      const [patientResult, patchResult, postResult] = batch.body.entry.map((e: any) => e.response);
      t.equal(patientResult.status, '201 Created', 'batch: the Patient is written');
      t.same(outcomeOf(Number.parseInt(patchResult.status, 10), patchResult.outcome), { status: 400, issue: 'invalid', code: 'invalid-bundle', expression: ['Bundle.entry[1].resource'] }, 'batch: the PATCH entry fails');
      t.same(outcomeOf(Number.parseInt(postResult.status, 10), postResult.outcome).code, 'invalid-bundle', 'batch: as a POST entry with the same reference does');
      const stored = await readObservation(untouched);
      t.equal(stored.meta.versionId, '1', 'neither the transaction nor the batch patched the Observation');
      t.equal(kind.stored(stored), kind.stored(kind.initial(before)), 'its reference is as it was');
    });
  }

  await t.test('transaction: a conditional reference the patch adds finds a Patient POSTed in the same transaction (http.html#trules)', async (t) => {
    for (const kind of KINDS) {
      const value = `same-tx-${KINDS.indexOf(kind)}`;
      const target = await created(kind.initial(before));
      const result = await request('POST', '', bundle('transaction', [patchEntry(target, kind, conditional(value)), { request: { method: 'POST', url: 'Patient' }, resource: patient(value) }]));
      t.equal(result.status, 200, `${kind.name}: ${JSON.stringify(result.body.issue ?? '')}`);
      const patientId = `Patient/${result.body.entry[1].response.location.split('/Patient/')[1].split('/')[0]}`;
      t.equal(kind.stored(await readObservation(target)), patientId, `${kind.name}: stored as Patient/<id> of the POSTed Patient`);
    }
  });
});
