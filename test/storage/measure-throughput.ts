/**
 * Raw storage throughput (not a test): `npx tsx test/storage/measure-throughput.ts [store-url]`.
 * Writes N Patients with registry-computed index entries (extraction timed separately), reads them by id,
 * then reopens the store to time start-up against the filled database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Resource } from '../../src/fhir/types.js';
import { createStore } from '../../src/storage/create-store.js';
import type { VersionWrite } from '../../src/storage/port.js';
import { fixtureRegistry } from './contract-fixtures.js';

const count = Number(process.env.MEASURE_COUNT ?? 20000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-measure-'));
const storeUrl = process.argv[2] ?? `sqlite:${path.join(dataDir, 'fhir.sqlite')}`;
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en')}/s (${((ms * 1000) / n).toFixed(1)} µs each)`;

const registry = fixtureRegistry();
const lastUpdated = new Date().toISOString();
const writes: VersionWrite[] = [];
let started = performance.now();
for (let n = 0; n < count; n++) {
  const resource: Resource = {
    resourceType: 'Patient', id: `m${n}`, meta: { versionId: '1', lastUpdated }, active: true, gender: n % 2 ? 'male' : 'female',
    birthDate: `19${String(50 + (n % 50))}-0${1 + (n % 9)}-1${n % 10}`,
    name: [{ family: `Family${n % 997}`, given: [`Given${n % 101}`, 'Maria'] }],
    identifier: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', value: `MRN-${n}` }],
    telecom: [{ system: 'phone', value: `+1-555-${n}` }], address: [{ city: 'Springfield', postalCode: '12345', line: [`${n} Main St`] }],
    managingOrganization: { reference: 'Organization/org1' },
  };
  writes.push({ resourceType: 'Patient', id: resource.id!, versionId: 1, lastUpdated, method: 'POST', resource, index: registry.extract(resource), expectedPreviousVersion: 0 });
}
const extractMs = performance.now() - started;
const entries = writes.reduce((sum, write) => sum + Object.values(write.index!).reduce((s, list) => s + (Array.isArray(list) ? list.length : 0), 0), 0);
console.log(`index extraction: ${rate(count, extractMs)}, ${(entries / count).toFixed(1)} entries per Patient`);

let store = await createStore({ store: storeUrl, dataDir });
started = performance.now();
for (const write of writes) await store.write(write);
console.log(`${store.engine} write, sequential: ${rate(count, performance.now() - started)}`);

const concurrentWrites = writes.slice(0, 5000).map((write) => ({ ...write, id: `c${write.id}`, resource: { ...write.resource!, id: `c${write.id}` } }));
started = performance.now();
for (let start = 0; start < concurrentWrites.length; start += 32) {
  await Promise.all(concurrentWrites.slice(start, start + 32).map((write) => store.write(write)));
}
console.log(`${store.engine} write, 32 in flight: ${rate(concurrentWrites.length, performance.now() - started)}`);

started = performance.now();
for (let n = 0; n < count; n++) await store.read('Patient', `m${(n * 7919) % count}`);
console.log(`${store.engine} read by id, sequential: ${rate(count, performance.now() - started)}`);

started = performance.now();
for (let start = 0; start < count; start += 32) {
  await Promise.all(Array.from({ length: 32 }, (_, k) => store.read('Patient', `m${(start + k) % count}`)));
}
console.log(`${store.engine} read by id, 32 in flight: ${rate(count, performance.now() - started)}`);

started = performance.now();
const searches = 500;
for (let n = 0; n < searches; n++) {
  await store.search({
    types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: `family${n % 997}` }] }],
    sort: [{ param: 'birthdate', descending: true }], count: 20, total: 'accurate',
  });
}
console.log(`${store.engine} search family + sort + total: ${rate(searches, performance.now() - started)}`);
await store.close();

started = performance.now();
store = await createStore({ store: storeUrl, dataDir });
await store.read('Patient', 'm1');
console.log(`${store.engine} start-up against ${(count + concurrentWrites.length).toLocaleString('en')} resources + first read: ${(performance.now() - started).toFixed(1)} ms`);
await store.close();
fs.rmSync(dataDir, { recursive: true, force: true });
