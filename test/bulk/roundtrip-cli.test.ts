// Issue 4, check 3 with the import command: a system $export (Bulk Data Access IG export.html: kick-off with
// Prefer: respond-async, poll, manifest, NDJSON files) saved to a folder and loaded with `npm run import -- <folder>`
// into an empty store gives the same resources (types, ids, content apart from meta.versionId/lastUpdated).
// roundtrip.test.ts does the same through the server's $import. On a small fixture always, and on the Synthea
// bundles in ../shared/data/synthea when they are there (skipped with a message otherwise).
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '../../src/fhir/types.js';
import { importJsonFile, listImportFiles } from '../../src/jobs/import-runner.js';
import { ASYNC_HEADERS, BASE, ndjsonLines, pathOf, putResources, startBulkServer, tempDir, waitForCompletion, withoutServerMeta, type BulkServer } from './bulk-server.js';

const root = path.resolve(import.meta.dirname, '../..');
const SYNTHEA = path.resolve(root, '../shared/data/synthea');


/** $export of everything; the NDJSON files saved into `saveTo` when given; resources by type and id */
async function exportAll(t: Test, server: BulkServer, saveTo?: string): Promise<Map<string, Map<string, string>>> {
  const kickOff = await server.app.inject({ method: 'GET', url: '/fhir/$export', headers: ASYNC_HEADERS });
  t.equal(kickOff.statusCode, 202, 'kick-off accepted');
  t.ok(kickOff.headers['content-location'], 'Content-Location: the status URL');
  const done = await waitForCompletion(server.app, kickOff.headers['content-location'] as string, 300_000);
  t.equal(done.statusCode, 200, 'export completed');
  t.match(done.headers['content-type'], /^application\/json/);
  const manifest = JSON.parse(done.body);
  t.same(manifest.error, [], 'no error file');
  const byType = new Map<string, Map<string, string>>();
  for (const item of manifest.output) {
    const file = await server.app.inject({ method: 'GET', url: pathOf(item.url) });
    t.match(file.headers['content-type'], /^application\/fhir\+ndjson/);
    if (saveTo) fs.appendFileSync(path.join(saveTo, `${item.type}.ndjson`), file.rawPayload);
    const byId = byType.get(item.type) ?? new Map<string, string>();
    for (const resource of ndjsonLines(file.body) as Resource[]) byId.set(resource.id as string, JSON.stringify(withoutServerMeta(resource)));
    byType.set(item.type, byId);
  }
  return byType;
}

async function roundTrip(t: Test, load: (server: BulkServer) => Promise<void>): Promise<number> {
  const sourceDir = tempDir('fhir-cli-rt-source-');
  const targetDir = tempDir('fhir-cli-rt-target-');
  const folder = tempDir('fhir-cli-rt-files-');
  t.teardown(() => { for (const dir of [sourceDir, targetDir, folder]) fs.rmSync(dir, { recursive: true, force: true }); });
  const source = await startBulkServer(sourceDir);
  t.teardown(() => source.close());
  await load(source);
  const exported = await exportAll(t, source, folder);

  const run = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli/import.ts'), folder], {
    cwd: root, encoding: 'utf8', env: { ...process.env, FHIR_DATA_DIR: targetDir, FHIR_STORE: 'sqlite', FHIR_SEED: 'false' },
  });
  t.equal(run.status, 0, `npm run import exits 0${run.status ? `: ${run.stderr.slice(-500)}` : ''}`);
  t.match(run.stdout + run.stderr, /no errors/, "the import reports no errors");

  const target = await startBulkServer(targetDir);
  t.teardown(() => target.close());
  const again = await exportAll(t, target);
  t.same([...again.keys()].sort(), [...exported.keys()].sort(), 'the same resource types');
  let total = 0;
  for (const [type, resources] of exported) {
    const copies = again.get(type) ?? new Map<string, string>();
    t.equal(copies.size, resources.size, `${type}: the same number`);
    let different = 0;
    for (const [id, resource] of resources) if (copies.get(id) !== resource) different++;
    t.equal(different, 0, `${type}: every resource the same, id and content`);
    total += resources.size;
  }
  return total;
}

t.test('a small hospital: $export, npm run import into an empty store, the same resources', async (t) => {
  const total = await roundTrip(t, (server) => putResources(server.ctx, [
    { resourceType: 'Organization', id: 'hosp', name: 'General', identifier: [{ system: 'urn:org', value: 'G' }] },
    { resourceType: 'Patient', id: 'pat', name: [{ family: 'Ng' }], managingOrganization: { reference: 'Organization/hosp' }, meta: { tag: [{ system: 'urn:t', code: 'demo' }] } },
    { resourceType: 'MedicationRequest', id: 'mr', status: 'active', intent: 'order', subject: { reference: 'Patient/pat' },
      contained: [{ resourceType: 'Medication', id: 'med', code: { text: 'aspirin' } }], medicationReference: { reference: '#med' } },
  ]));
  t.equal(total, 3);
});

t.test('Synthea: $export, npm run import into an empty store, the same resources', async (t) => {
  if (!fs.existsSync(SYNTHEA)) {
    t.comment(`skipped: no Synthea data at ${SYNTHEA} (see ../shared/data/SOURCES.md)`);
    return;
  }
  const total = await roundTrip(t, async (server) => {
    let failures = 0;
    for (const file of listImportFiles([SYNTHEA])) {
      await importJsonFile(server.ctx, BASE, file, { onBytes: () => {}, onResources: () => {}, onIssue: () => { failures++; } });
    }
    t.equal(failures, 0, 'Synthea bundles loaded');
  });
  t.ok(total > 10_000, `${total} resources`);
});
