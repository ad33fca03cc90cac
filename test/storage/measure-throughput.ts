/**
 * Raw storage throughput (not a test): `npx tsx test/storage/measure-throughput.ts [store-url]`.
 * Writes N Patients with registry-computed index entries (extraction timed separately): sequentially, 32 in
 * flight (group commit), as one transaction of 2,000 creates, and 2,000 sequential updates; then reads by id,
 * one search, and a reopen against the filled database. Beside wall time it prints this process's CPU time
 * per operation (user+system; for PostgreSQL the server's CPU is not included), which is far less sensitive to
 * other load on the machine than wall time.
 * A PostgreSQL URL gets a fresh schema (`?schema=`), dropped afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Resource } from '../../src/fhir/types.js';
import { createStore } from '../../src/storage/create-store.js';
import type { VersionWrite } from '../../src/storage/port.js';
import { fixtureRegistry } from './contract-fixtures.js';

const count = Number(process.env.MEASURE_COUNT ?? 20000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-measure-'));
let storeUrl = process.argv[2] ?? `sqlite:${path.join(dataDir, 'fhir.sqlite')}`;
let pgSchema: string | undefined;
if (/^postgres(ql)?:/.test(storeUrl)) {
  pgSchema = `measure_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(storeUrl);
  url.searchParams.set('schema', pgSchema);
  storeUrl = url.toString();
}

/** runs fn, prints ops/s, wall µs and CPU µs per op */
async function timed(label: string, n: number, fn: () => Promise<void>): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const perOp = (micros: number) => (micros / n).toFixed(1);
  console.log(`${label}: ${Math.round((n / ms) * 1000).toLocaleString('en')}/s (${perOp(ms * 1000)} µs wall, ${perOp(used.user + used.system)} µs CPU here each)`);
}

const registry = fixtureRegistry();
const lastUpdated = new Date().toISOString();
function patient(id: string, n: number, version = 1): Resource {
  return {
    resourceType: 'Patient', id, meta: { versionId: String(version), lastUpdated }, active: true, gender: n % 2 ? 'male' : 'female',
    birthDate: `19${String(50 + (n % 50))}-0${1 + (n % 9)}-1${n % 10}`,
    name: [{ family: `Family${n % 997}`, given: [`Given${n % 101}`, 'Maria'] }],
    identifier: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', value: `MRN-${n}` }],
    telecom: [{ system: 'phone', value: `+1-555-${n}` }], address: [{ city: 'Springfield', postalCode: '12345', line: [`${n} Main St`] }],
    managingOrganization: { reference: 'Organization/org1' },
  };
}
function creates(prefix: string, n: number): VersionWrite[] {
  return Array.from({ length: n }, (_, k) => {
    const resource = patient(`${prefix}${k}`, k);
    return { resourceType: 'Patient', id: resource.id!, versionId: 1, lastUpdated, method: 'POST', resource, index: registry.extract(resource), expectedPreviousVersion: 0 };
  });
}

const sample = Array.from({ length: 2000 }, (_, n) => patient(`x${n}`, n));
let entries = 0;
await timed('index extraction, first 2000 (cold: JIT, lazy model lookups)', sample.length, async () => {
  for (const resource of sample) registry.extract(resource);
});
await timed('index extraction, warm (registry.extract)', sample.length, async () => {
  for (const resource of sample) {
    const index = registry.extract(resource);
    entries += Object.values(index).reduce((s, list) => s + (Array.isArray(list) ? list.length : 0), 0);
  }
});
console.log(`${(entries / sample.length).toFixed(1)} index entries per Patient`);

const sequential = creates('m', count);
const concurrent = creates('c', 5000);
const transaction = creates('t', 2000);
const updates = sequential.slice(0, 2000).map((write, n): VersionWrite => {
  const resource = patient(write.id, n + 7, 2);
  return { ...write, versionId: 2, method: 'PUT', resource, index: registry.extract(resource), expectedPreviousVersion: 1 };
});

let store = await createStore({ store: storeUrl, dataDir });
const engine = store.engine;
await timed(`${engine} create, sequential`, count, async () => {
  for (const write of sequential) await store.write(write);
});
await timed(`${engine} create, 32 in flight`, concurrent.length, async () => {
  for (let start = 0; start < concurrent.length; start += 32) {
    await Promise.all(concurrent.slice(start, start + 32).map((write) => store.write(write)));
  }
});
await timed(`${engine} create, one transaction of ${transaction.length}`, transaction.length, async () => {
  await store.withTransaction(async (tx) => {
    for (const write of transaction) await tx.write(write);
  });
});
await timed(`${engine} update, sequential`, updates.length, async () => {
  for (const write of updates) await store.write(write);
});
await timed(`${engine} read by id, sequential`, count, async () => {
  for (let n = 0; n < count; n++) await store.read('Patient', `m${(n * 7919) % count}`);
});
await timed(`${engine} read by id, 32 in flight`, count, async () => {
  for (let start = 0; start < count; start += 32) {
    await Promise.all(Array.from({ length: 32 }, (_, k) => store.read('Patient', `m${(start + k) % count}`)));
  }
});
const searches = 500;
await timed(`${engine} search family + sort + total`, searches, async () => {
  for (let n = 0; n < searches; n++) {
    await store.search({
      types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: `family${n % 997}` }] }],
      sort: [{ param: 'birthdate', descending: true }], count: 20, total: 'accurate',
    });
  }
});
await store.close();

const started = performance.now();
store = await createStore({ store: storeUrl, dataDir });
await store.read('Patient', 'm1');
const total = count + concurrent.length + transaction.length;
console.log(`${engine} start-up against ${total.toLocaleString('en')} resources + first read: ${(performance.now() - started).toFixed(1)} ms`);
await store.close();
fs.rmSync(dataDir, { recursive: true, force: true });
if (pgSchema) {
  const client = new pg.Client({ connectionString: process.argv[2] });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
  await client.end();
}
