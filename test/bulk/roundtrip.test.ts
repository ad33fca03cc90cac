// Issue 4's check for Bulk Data (Bulk Data Access IG 2.0 export.html and the $import async pattern): an export
// of everything, re-imported into an empty server, gives the same resources. Run on a small hospital fixture
// always, and on the Synthea bundles in ../shared/data/synthea when they are there; the Synthea run reports
// export and import throughput (resources/s).
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Resource } from '../../src/fhir/types.js';
import { importJsonFile, listImportFiles } from '../../src/jobs/import-runner.js';
import { ASYNC_HEADERS, BASE, ndjsonLines, pathOf, putResources, startBulkServer, tempDir, waitForCompletion, withoutServerMeta, type BulkServer } from './bulk-server.js';

const SYNTHEA = path.resolve(import.meta.dirname, '../../../shared/data/synthea');

interface Snapshot { byType: Record<string, Map<string, Resource>>; seconds: number; total: number }


/** $export of everything through HTTP; each file is saved into `saveTo` when given */
async function exportAll(t: Test, server: BulkServer, saveTo?: string): Promise<Snapshot> {
  const started = performance.now();
  const kickOff = await server.app.inject({ method: 'GET', url: '/fhir/$export', headers: ASYNC_HEADERS });
  t.equal(kickOff.statusCode, 202);
  const done = await waitForCompletion(server.app, kickOff.headers['content-location'] as string, 300_000);
  const seconds = (performance.now() - started) / 1000;
  t.equal(done.statusCode, 200, 'export completed');
  const manifest = JSON.parse(done.body);
  t.same(manifest.error, []);
  const byType: Snapshot['byType'] = {};
  let total = 0;
  for (const item of manifest.output) {
    const file = await server.app.inject({ method: 'GET', url: pathOf(item.url) });
    if (saveTo) fs.writeFileSync(path.join(saveTo, `${item.type}.ndjson`), file.rawPayload);
    const resources = ndjsonLines(file.body) as Resource[];
    t.equal(resources.length, item.count, `${item.type}: manifest count`);
    byType[item.type] = new Map(resources.map((resource) => [resource.id as string, withoutServerMeta(resource)]));
    total += resources.length;
  }
  return { byType, seconds, total };
}

/** $import of every NDJSON file in `folder` (all under the server's import directory) */
async function importAll(t: Test, server: BulkServer, folder: string): Promise<{ seconds: number; total: number }> {
  const input = fs.readdirSync(folder).filter((name) => name.endsWith('.ndjson')).sort()
    .map((name) => ({ type: name.replace(/\.ndjson$/, ''), url: pathToFileURL(path.join(folder, name)).href }));
  const started = performance.now();
  const kickOff = await server.app.inject({
    method: 'POST', url: '/fhir/$import', headers: { ...ASYNC_HEADERS, 'content-type': 'application/json' },
    payload: JSON.stringify({ inputFormat: 'application/fhir+ndjson', input }),
  });
  t.equal(kickOff.statusCode, 202, kickOff.body);
  const done = await waitForCompletion(server.app, kickOff.headers['content-location'] as string, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const manifest = JSON.parse(done.body);
  t.same(manifest.error, [], 'every line imported');
  return { seconds, total: manifest.output.reduce((sum: number, o: { count: number }) => sum + o.count, 0) };
}

async function roundTrip(t: Test, load: (server: BulkServer) => Promise<void>): Promise<{ exported: Snapshot; imported: { seconds: number; total: number } }> {
  const sourceDir = tempDir('fhir-bulk-source-');
  const targetDir = tempDir('fhir-bulk-target-');
  t.teardown(() => {
    fs.rmSync(sourceDir, { recursive: true, force: true });
    fs.rmSync(targetDir, { recursive: true, force: true });
  });
  const source = await startBulkServer(sourceDir);
  t.teardown(() => source.close());
  await load(source);
  const folder = path.join(targetDir, 'import', 'from-source');
  fs.mkdirSync(folder, { recursive: true });
  const exported = await exportAll(t, source, folder);

  const target = await startBulkServer(targetDir);
  t.teardown(() => target.close());
  const imported = await importAll(t, target, folder);
  t.equal(imported.total, exported.total, 'every exported resource was imported');
  const again = await exportAll(t, target);
  t.same(Object.keys(again.byType).sort(), Object.keys(exported.byType).sort(), 'the same resource types');
  for (const [type, resources] of Object.entries(exported.byType)) {
    const copies = again.byType[type] ?? new Map();
    t.equal(copies.size, resources.size, `${type}: the same number`);
    let different = 0;
    for (const [id, resource] of resources) if (JSON.stringify(copies.get(id)) !== JSON.stringify(resource)) different++;
    t.equal(different, 0, `${type}: every resource the same, id and content`);
  }
  return { exported, imported };
}

t.test('a small hospital: export, re-import into an empty server, the same resources', async (t) => {
  await roundTrip(t, async (server) => {
    await putResources(server.ctx, [
      { resourceType: 'Organization', id: 'hosp', name: 'General', identifier: [{ system: 'urn:org', value: 'G' }] },
      { resourceType: 'Practitioner', id: 'doc', name: [{ family: 'House' }] },
      { resourceType: 'Patient', id: 'pat', name: [{ family: 'Ng', given: ['Ada'] }], managingOrganization: { reference: 'Organization/hosp' }, meta: { tag: [{ system: 'urn:t', code: 'demo' }] } },
      { resourceType: 'Encounter', id: 'enc', status: 'finished', class: { code: 'IMP' }, subject: { reference: 'Patient/pat' }, participant: [{ individual: { reference: 'Practitioner/doc' } }] },
      { resourceType: 'Observation', id: 'obs', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/pat' }, valueQuantity: { value: 72, unit: '/min' } },
    ]);
  });
});

t.test('Synthea: export everything, re-import, the same resources; throughput', async (t) => {
  if (!fs.existsSync(SYNTHEA)) {
    t.comment(`skipped: no Synthea data at ${SYNTHEA}`);
    return;
  }
  const { exported, imported } = await roundTrip(t, async (server) => {
    const files = listImportFiles([SYNTHEA]);
    let failures = 0;
    for (const file of files) {
      await importJsonFile(server.ctx, BASE, file, { onBytes: () => {}, onResources: () => {}, onIssue: () => { failures++; } });
    }
    t.equal(failures, 0, `${files.length} Synthea bundles loaded`);
  });
  t.ok(exported.total > 10_000, `${exported.total} resources`);
  t.comment(`export (kick-off to manifest, HTTP): ${exported.total} resources in ${exported.seconds.toFixed(2)} s = ${Math.round(exported.total / exported.seconds)} resources/s`);
  t.comment(`$import of the NDJSON: ${imported.total} resources in ${imported.seconds.toFixed(2)} s = ${Math.round(imported.total / imported.seconds)} resources/s`);
});
