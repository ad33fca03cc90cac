// Issue 4, checks 1 and 2 over HTTP with real data, and with the Synthea bundles rewritten the way other Synthea
// versions and migration tools write them (R4 http.html#transaction, #trules; bundle.html#references):
// - both datasets into one server in the issue's order (fhir-data-pipes-synthea-hiv, whose shared bundles create
//   conditionally, before smart-generated-sample-data-R4, which POSTs the same organizations unconditionally);
// - shared resources POSTed without ifNoneExist, patient bundles pointing at them with `Type?identifier=...`;
// - fullUrls as absolute RESTful URLs (`http://example.org/fhir/Patient/123`) and references in that form or
//   relative to the fullUrl's base; PUT entries with client ids; references to entries that come later;
//   contained resources with `#id` references (and contained resources that point at other entries);
//   conditional creates inside each patient transaction with conditional references to them (13,000 entries);
//   every smart patient bundle as one transaction of about 5,900 entries; a batch (entries independent: one that
//   refers to another by urn:uuid fails on its own, the others are stored).
// After each load: every entry succeeded, counts per type match the input, every Reference.reference of the stored
// resources that is Type/id resolves to a stored resource, `#id` names a contained resource, none is urn: or
// conditional. Runs on SQLite, and on PostgreSQL too when FHIR_TEST_POSTGRES_URL is set (a schema of its own,
// dropped after). Skips when ../shared/data/synthea is absent.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listImportFiles } from '../../src/jobs/import-runner.js';
import { createTestServer, type TestServer } from '../http/context.js';
import { testSchema, type TestSchema } from '../storage/postgres-schema.js';

const SYNTHEA = process.env.SYNTHEA_DIR ?? fileURLToPath(new URL('../../../shared/data/synthea', import.meta.url));
const PIPES = path.join(SYNTHEA, 'fhir-data-pipes-synthea-hiv');
const SMART = path.join(SYNTHEA, 'smart-generated-sample-data-R4');
const missing = [PIPES, SMART].filter((folder) => !fs.existsSync(folder));
if (missing.length > 0) t.plan(0, `Synthea data not found at ${missing.join(', ')} (set SYNTHEA_DIR; see ../shared/data/SOURCES.md); skipping`);

interface Entry { fullUrl?: string; resource: any; request: { method: string; url: string; ifNoneExist?: string } }
interface Bundle { resourceType: 'Bundle'; type: string; entry: Entry[] }
const read = (file: string): Bundle => JSON.parse(fs.readFileSync(file, 'utf8'));
const isShared = (file: string) => /^(hospital|practitioner)Information/.test(path.basename(file));
const files = (folder: string) => (fs.existsSync(folder) ? listImportFiles([folder]) : []);
const pipesShared = () => files(PIPES).filter(isShared).map(read);
const pipesPatients = () => files(PIPES).filter((f) => !isShared(f)).map(read);
const smartPatients = () => files(SMART).filter((f) => !isShared(f)).map(read);
const UUID = /^urn:uuid:(.+)$/;

function mapReferences(node: any, rewrite: (reference: string) => string): any {
  if (Array.isArray(node)) return node.map((item) => mapReferences(item, rewrite));
  if (node === null || typeof node !== 'object') return node;
  const copy: any = {};
  for (const [key, value] of Object.entries(node)) copy[key] = key === 'reference' && typeof value === 'string' ? rewrite(value) : mapReferences(value, rewrite);
  return copy;
}
const typesByFullUrl = (bundle: Bundle) => new Map(bundle.entry.map((e) => [e.fullUrl!, e.resource.resourceType as string]));

/** resources per type a load must leave: one per POST, one per distinct ifNoneExist, one per distinct PUT url */
function expectedCounts(bundles: Bundle[]): Map<string, number> {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const bundle of bundles) {
    for (const entry of bundle.entry) {
      const type = entry.resource.resourceType;
      const key = entry.request.method === 'PUT' ? `PUT ${entry.request.url}` : entry.request.ifNoneExist ? `${type}?${entry.request.ifNoneExist}` : undefined;
      if (key !== undefined) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
  }
  return counts;
}

async function postBundle(server: TestServer, bundle: unknown) {
  const response = await server.app.inject({
    method: 'POST', url: '/fhir', payload: JSON.stringify(bundle),
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: 'return=minimal' },
  });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}

/** posts each bundle; returns the failed entries (status not 2xx) as text, and the whole-bundle failures */
async function load(t: Test, server: TestServer, bundles: Bundle[]): Promise<string[]> {
  const failures: string[] = [];
  for (const [n, bundle] of bundles.entries()) {
    const result = await postBundle(server, bundle);
    if (result.status !== 200) {
      failures.push(`bundle ${n}: ${result.status} ${result.body.issue?.[0]?.diagnostics}`);
      continue;
    }
    t.equal(result.body.type, `${bundle.type}-response`, `bundle ${n}: a ${bundle.type}-response`);
    for (const entry of result.body.entry) if (!/^2\d\d /.test(entry.response.status)) failures.push(`bundle ${n}: ${entry.response.status} ${entry.response.outcome?.issue?.[0]?.diagnostics}`);
  }
  return failures;
}

/** current resources by type and id */
async function storedResources(server: TestServer): Promise<Map<string, Map<string, any>>> {
  const versions = await server.ctx.store.history({ count: 1_000_000 });
  const stored = new Map<string, Map<string, any>>();
  for (const version of versions.items) {
    const byId = stored.get(version.resourceType) ?? new Map<string, any>();
    stored.set(version.resourceType, byId);
    const current = byId.get(version.id);
    if (current === undefined || Number(current.meta.versionId) < version.versionId) byId.set(version.id, version.deleted ? { meta: { versionId: String(version.versionId) }, deleted: true } : version.resource);
  }
  for (const byId of stored.values()) for (const [id, resource] of byId) if (resource.deleted) byId.delete(id);
  return stored;
}

function referencesIn(node: unknown, into: string[]): string[] {
  if (Array.isArray(node)) for (const item of node) referencesIn(item, into);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'reference' && typeof value === 'string') into.push(value);
      else if (key !== 'contained') referencesIn(value, into);
    }
  }
  return into;
}

/** every Reference.reference, contained resources' included: Type/id stored, #id contained, nothing else */
function unresolvedReferences(stored: Map<string, Map<string, any>>): { checked: number; unresolved: string[] } {
  const unresolved: string[] = [];
  let checked = 0;
  for (const [type, byId] of stored) {
    for (const [id, resource] of byId) {
      const contained = new Set<string>((resource.contained ?? []).map((c: any) => c.id));
      const references = referencesIn(resource, []);
      for (const inner of resource.contained ?? []) referencesIn(inner, references);
      for (const reference of references) {
        checked++;
        if (reference === '#' || (reference.startsWith('#') && contained.has(reference.slice(1)))) continue;
        const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/.exec(reference);
        if (!match || !stored.get(match[1])?.has(match[2])) unresolved.push(`${type}/${id} -> ${reference}`);
      }
    }
  }
  return { checked, unresolved };
}

async function checkStore(t: Test, server: TestServer, bundles: Bundle[]): Promise<Map<string, Map<string, any>>> {
  const stored = await storedResources(server);
  const expected = expectedCounts(bundles);
  t.same([...stored.keys()].sort(), [...expected.keys()].sort(), 'the resource types of the input, no other');
  for (const [type, count] of expected) t.equal(stored.get(type)?.size ?? 0, count, `${type}: ${count} stored`);
  const { checked, unresolved } = unresolvedReferences(stored);
  t.ok(checked > 0, `${checked} references checked`);
  t.same(unresolved.slice(0, 5), [], `every reference resolves (${unresolved.length} do not)`);
  return stored;
}

const engines: { name: string; schema?: () => TestSchema }[] = [{ name: 'SQLite' }];
if (process.env.FHIR_TEST_POSTGRES_URL) engines.push({ name: 'PostgreSQL', schema: () => testSchema(process.env.FHIR_TEST_POSTGRES_URL!, 'synthea_variants') });

async function serverFor(t: Test, engine: (typeof engines)[number]): Promise<TestServer> {
  const schema = engine.schema?.();
  const server = await createTestServer(schema ? { store: schema.url() } : {});
  t.teardown(async () => {
    await server.close();
    await schema?.drop();
  });
  return server;
}

for (const engine of engines) {
  if (missing.length > 0) break;

  t.test(`${engine.name}: both datasets into one server in the issue's order; then one bad entry changes nothing`, async (t) => {
    const server = await serverFor(t, engine);
    const bundles = [...pipesShared(), ...pipesPatients(), ...files(SMART).map(read)];
    t.same(await load(t, server, bundles), [], `${bundles.length} bundles, every entry succeeded`);
    const stored = await checkStore(t, server, bundles);

    // check 2 (http.html#transaction): a real patient bundle, plus a PUT changing an existing Patient, plus one bad entry
    const victim = [...stored.get('Patient')!.values()][0];
    const bad = smartPatients()[0];
    bad.entry.push({ request: { method: 'PUT', url: `Patient/${victim.id}` }, resource: { ...victim, meta: undefined, active: false } });
    bad.entry.push({ fullUrl: 'urn:uuid:1b0d6f4e-0000-4000-8000-00000000bad1', request: { method: 'POST', url: 'Observation' }, resource: { resourceType: 'Observation', status: 'not-a-status', code: { text: 'x' } } });
    const badIndex = bad.entry.length - 1;
    // the entries (versions) of the history Bundle; its own id and timestamp are per response
    const instanceHistory = async () => JSON.parse((await server.app.inject({ method: 'GET', url: `/fhir/Patient/${victim.id}/_history` })).body).entry;
    const historyBefore = await instanceHistory();
    const versionsBefore = (await server.ctx.store.history({ count: 1_000_000 })).items.length;
    const result = await postBundle(server, bad);
    t.equal(result.status, 400);
    t.match(result.headers['content-type'], /^application\/fhir\+json/);
    t.equal(result.body.resourceType, 'OperationOutcome');
    t.equal(result.body.issue[0].severity, 'error');
    t.equal(result.body.issue[0].code, 'value');
    t.equal(result.body.issue[0].details.coding[0].code, 'invalid-resource');
    t.ok(result.body.issue[0].expression.includes(`Bundle.entry[${badIndex}]`), `names Bundle.entry[${badIndex}]`);
    t.equal((await server.ctx.store.history({ count: 1_000_000 })).items.length, versionsBefore, 'no new version anywhere');
    t.same(await instanceHistory(), historyBefore, 'the Patient\'s _history unchanged');
    t.equal(historyBefore.length, 1);
    const after = await storedResources(server);
    for (const [type, byId] of stored) t.equal(after.get(type)?.size, byId.size, `${type}: count unchanged`);
  });

  const variants: [string, () => Bundle[]][] = [
    ['shared resources POSTed without ifNoneExist, conditional references to them', () => [
      ...pipesShared().map((b) => { for (const e of b.entry) delete e.request.ifNoneExist; return b; }), ...pipesPatients(),
    ]],
    ['absolute fullUrls, references absolute or relative to the fullUrl base', () => smartPatients().map((b) => {
      const types = typesByFullUrl(b);
      const absolute = (urn: string) => (types.has(urn) ? `http://example.org/fhir/${types.get(urn)}/${UUID.exec(urn)![1]}` : urn);
      let n = 0;
      b.entry = b.entry.map((e) => ({ ...e, fullUrl: absolute(e.fullUrl!), resource: mapReferences(e.resource, (r) => {
        const url = absolute(r);
        return url === r || n++ % 2 === 0 ? url : url.slice('http://example.org/fhir/'.length);
      }) }));
      return b;
    })],
    ['PUT entries with client ids, urn:uuid references', () => smartPatients().map((b) => {
      for (const e of b.entry) {
        const id = UUID.exec(e.fullUrl!)![1];
        e.request = { method: 'PUT', url: `${e.resource.resourceType}/${id}` };
        e.resource.id = id;
      }
      return b;
    })],
    ['references to entries that come later', () => [...pipesShared(), ...pipesPatients(), ...smartPatients()].map((b) => {
      if (b.type === 'transaction') b.entry.reverse();
      return b;
    })],
    ['contained resources, #id references, contained resources pointing at other entries', () => smartPatients().map((b) => {
      const patient = b.entry.find((e) => e.resource.resourceType === 'Patient')!.fullUrl!;
      for (const { resource } of b.entry) {
        if (resource.resourceType === 'Encounter') {
          resource.contained = [{ resourceType: 'Condition', id: 'reason', subject: { reference: patient }, code: { text: 'reason' } }];
          resource.reasonReference = [{ reference: '#reason' }];
        }
        if (resource.resourceType === 'MedicationRequest' && resource.medicationCodeableConcept) {
          resource.contained = [{ resourceType: 'Medication', id: 'med', code: resource.medicationCodeableConcept }];
          delete resource.medicationCodeableConcept;
          resource.medicationReference = { reference: '#med' };
        }
      }
      return b;
    })],
    ['conditional creates inside a patient transaction, conditional references to them', () => {
      const shared = pipesShared().flatMap((b) => b.entry);
      const [patient] = pipesPatients();
      patient.entry = [...shared, ...patient.entry];
      return [patient];
    }],
    ['every smart patient bundle as one transaction', () => {
      const seen = new Set<string>();
      const entry = smartPatients().flatMap((b) => b.entry).filter((e) => !seen.has(e.fullUrl!) && Boolean(seen.add(e.fullUrl!)));
      return [{ resourceType: 'Bundle', type: 'transaction', entry }];
    }],
  ];
  for (const [name, make] of variants) {
    t.test(`${engine.name}: ${name}`, async (t) => {
      const server = await serverFor(t, engine);
      const bundles = make();
      const entries = bundles.reduce((sum, b) => sum + b.entry.length, 0);
      const started = performance.now();
      t.same(await load(t, server, bundles), [], `${bundles.length} bundles of ${entries} entries, every entry succeeded`);
      t.comment(`${entries} entries in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      await checkStore(t, server, bundles);
      if (name.startsWith('PUT')) {
        const ids = (await storedResources(server)).get('Patient')!;
        for (const b of bundles) t.ok(ids.has(UUID.exec(b.entry.find((e) => e.resource.resourceType === 'Patient')!.fullUrl!)![1]), 'the client id kept');
      }
    });
  }

  t.test(`${engine.name}: a Synthea patient bundle sent as a batch: entries that refer to others fail on their own, nothing unresolved is stored`, async (t) => {
    const server = await serverFor(t, engine);
    const [bundle] = smartPatients();
    bundle.type = 'batch';
    const result = await postBundle(server, bundle);
    t.equal(result.status, 200);
    t.equal(result.body.type, 'batch-response');
    const dependent = bundle.entry.map((e) => referencesIn(e.resource, []).some((r) => r.startsWith('urn:uuid:')));
    result.body.entry.forEach((entry: any, index: number) => {
      if (!dependent[index]) return t.equal(entry.response.status, '201 Created', `entry ${index} independent: created`);
      t.equal(entry.response.status, '400 Bad Request', `entry ${index} refers to another entry: 400`);
      t.equal(entry.response.outcome.issue[0].details.coding[0].code, 'invalid-bundle');
      t.same(entry.response.outcome.issue[0].expression, [`Bundle.entry[${index}].resource`]);
    });
    t.ok(dependent.some(Boolean) && dependent.some((d) => !d), 'the bundle has both kinds');
    const stored = await storedResources(server);
    t.same(unresolvedReferences(stored).unresolved, [], 'nothing unresolved stored');
  });
}
