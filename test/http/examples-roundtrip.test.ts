/**
 * Every non-conformance R4 example PUT, read back unchanged apart from meta, and found by every search
 * parameter with a value in it (issue 2 "How it will be checked"; R4 http.html#update, search.html).
 */
import t from 'tap';
import { formatReport, runConformance } from '../../conformance/run.js';
import { createTestServer } from './context.js';

const server = await createTestServer({ bodyLimit: 64 * 1024 * 1024, maxCount: 1000 });
t.teardown(() => server.close());
await server.app.listen({ host: '127.0.0.1', port: 0 });
const address = server.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const report = await runConformance(`http://127.0.0.1:${port}/fhir`);
t.comment(formatReport(report).split('\n').slice(0, 200).join('\n'));

for (const check of ['put', 'read', 'content', 'search'] as const) {
  const failures = report.failures.filter((failure) => failure.check === check);
  t.same(failures.map((failure) => `${failure.file}: ${failure.detail}`), [], `${check}: ${report.passed[check]} passed`);
}
t.ok(report.examples >= 700, `${report.examples} examples`);
