// npm run export (src/cli/export.ts): a system-level export (Bulk Data Access IG 2.0 export.html, NDJSON
// output per type) straight from the configured store, with --type and --since, a progress line, and usage
// errors as exit code 2.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createServerContext } from '../../src/jobs/server-context.js';
import { ndjsonLines, putResources, tempDir } from './bulk-server.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = tempDir('fhir-export-cli-');
const dataDir = path.join(work, 'data');
let between = '';
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

t.before(async () => {
  const ctx = await createServerContext({ ...loadConfig({}), dataDir, store: 'sqlite' });
  await putResources(ctx, [
    { resourceType: 'Patient', id: 'a' },
    { resourceType: 'Patient', id: 'b' },
    { resourceType: 'Organization', id: 'o', name: 'Ward' },
  ]);
  await new Promise((resolve) => setTimeout(resolve, 15));
  between = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 15));
  await putResources(ctx, [{ resourceType: 'Observation', id: 'x', status: 'final', code: { text: 'hr' }, subject: { reference: 'Patient/a' } }]);
  await ctx.store.close();
});

function runExport(...args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli/export.ts'), ...args], {
    cwd: work, encoding: 'utf8', env: { ...process.env, FHIR_DATA_DIR: dataDir, FHIR_STORE: 'sqlite' },
  });
}

const exported = (outdir: string) => Object.fromEntries(fs.readdirSync(outdir).sort().map((file) => [
  file, ndjsonLines(fs.readFileSync(path.join(outdir, file), 'utf8')).map((resource) => resource.id).sort(),
]));

t.test('exports one NDJSON file per type, with options', async (t) => {
  const cases: { name: string; args: string[]; expected: Record<string, string[]> }[] = [
    { name: 'everything', args: [], expected: { 'Observation.ndjson': ['x'], 'Organization.ndjson': ['o'], 'Patient.ndjson': ['a', 'b'] } },
    { name: '--type', args: ['--type', 'Patient,Organization'], expected: { 'Organization.ndjson': ['o'], 'Patient.ndjson': ['a', 'b'] } },
    { name: '--since', args: ['--since', between], expected: { 'Observation.ndjson': ['x'] } },
    { name: '--page-size 1', args: ['--page-size', '1', '--type', 'Patient'], expected: { 'Patient.ndjson': ['a', 'b'] } },
  ];
  for (const [n, c] of cases.entries()) {
    const outdir = path.join(work, `out-${n}`);
    const run = runExport(outdir, ...c.args);
    t.equal(run.status, 0, `${c.name}: exit 0 (${run.stderr.slice(-300)})`);
    t.same(exported(outdir), c.expected, `${c.name}: files`);
    t.match(run.stderr, /\d+ of \d+ resources \(100\.0%\), \d+\/s/, `${c.name}: progress line`);
    t.match(run.stderr, /resources in .* \(\d+\/s\), \d+ files/, `${c.name}: summary`);
    t.match(run.stdout, /^Patient\t2\t|Observation\t1\t/m, `${c.name}: counts per type on stdout`);
  }
});

t.test('usage errors exit 2', async (t) => {
  const cases: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'no output folder', args: [], message: /no output folder/ },
    { name: 'unknown option', args: [path.join(work, 'o'), '--bogus'], message: /unknown option --bogus/ },
    { name: 'two folders', args: [path.join(work, 'o'), path.join(work, 'p')], message: /only one output folder/ },
    { name: 'bad --since', args: [path.join(work, 'o'), '--since', 'yesterday'], message: /--since must be an instant/ },
    { name: 'bad --page-size', args: [path.join(work, 'o'), '--page-size', '0'], message: /--page-size/ },
    { name: 'unknown type', args: [path.join(work, 'o'), '--type', 'Nonsense'], message: /unknown resource type\(s\): Nonsense/ },
  ];
  for (const c of cases) {
    const run = runExport(...c.args);
    t.equal(run.status, 2, `${c.name}: exit 2`);
    t.match(run.stderr, c.message, `${c.name}: message`);
  }
});
