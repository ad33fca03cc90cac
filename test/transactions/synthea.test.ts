// R4 http.html#transaction with real data: every Synthea bundle in ../shared/data/synthea loads through
// the transaction/batch interactions (hospitalInformation* and practitionerInformation* first), resource
// counts match the input, and no reference is left as urn:uuid or as a conditional Type?query.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import type { Resource } from '../../src/fhir/types.js';
import { batchOrTransaction } from '../../src/interactions/bundle-dispatch.js';
import { createServerContext } from '../../src/jobs/server-context.js';
import { listImportFiles } from '../../src/jobs/import-runner.js';

// ../shared sits beside the repository (CI clones it so); a user's clone may not have it: the test then skips
const SYNTHEA = process.env.SYNTHEA_DIR ?? fileURLToPath(new URL('../../../shared/data/synthea', import.meta.url));
const sets = fs.existsSync(SYNTHEA) ? fs.readdirSync(SYNTHEA).filter((name) => fs.statSync(path.join(SYNTHEA, name)).isDirectory()) : [];
if (sets.length === 0) t.plan(0, `Synthea data not found at ${SYNTHEA} (set SYNTHEA_DIR); skipping the real-data load`);

for (const set of sets) {
  t.test(`${set}: every bundle loads with its resources counted and references resolved`, async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-synthea-'));
    const ctx = await createServerContext({ ...loadConfig({}), dataDir });
    t.teardown(async () => { await ctx.store.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
    const expected = new Map<string, Set<string>>();
    let resources = 0;
    const started = performance.now();
    for (const file of listImportFiles([path.join(SYNTHEA, set)])) {
      const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as { type: string; entry: { fullUrl?: string; resource: Resource; request: { ifNoneExist?: string } }[] };
      bundle.entry.forEach((entry, index) => {
        // a conditional create counts once however many files repeat it; a plain POST always creates
        const identity = entry.request.ifNoneExist ?? `${file}#${index}`;
        const ids = expected.get(entry.resource.resourceType) ?? new Set<string>();
        ids.add(identity);
        expected.set(entry.resource.resourceType, ids);
      });
      resources += bundle.entry.length;
      const result = await batchOrTransaction(ctx, { baseUrl: 'http://127.0.0.1:8080/fhir', method: 'POST', query: {}, headers: {}, body: bundle, prefer: { return: 'minimal' } });
      const failed = ((result.body?.entry ?? []) as { response: { status: string } }[]).filter((e) => !/^2/.test(e.response.status));
      t.equal(failed.length, 0, `${path.basename(file)}: every entry succeeded${failed.length ? ` (first: ${JSON.stringify(failed[0])})` : ''}`);
    }
    const seconds = (performance.now() - started) / 1000;
    t.comment(`${set}: ${resources} entries in ${seconds.toFixed(1)} s = ${Math.round(resources / seconds)} resources/s`);
    for (const [type, identities] of expected) {
      const page = await ctx.store.search({ types: [type], where: [], sort: [], count: 0, total: 'accurate' });
      t.equal(page.total, identities.size, `${type}: ${identities.size} stored`);
    }
    const versions = await ctx.store.history({ count: 1_000_000 });
    const unresolved = versions.items.filter((v) => /"reference":"(urn:|[A-Z][A-Za-z]+\?)/.test(JSON.stringify(v.resource ?? {})));
    t.equal(unresolved.length, 0, `no urn: or conditional reference stored${unresolved.length ? ` (e.g. ${unresolved[0].resourceType}/${unresolved[0].id})` : ''}`);
  });
}
