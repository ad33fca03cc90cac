// Bulk Data IG: NDJSON (application/fhir+ndjson) read line by line.
import t from 'tap';
import { Readable } from 'node:stream';
import { readNdjson, inBatches } from '../../src/jobs/ndjson-reader.js';

t.test('reads resources and reports bad lines without stopping', async (t) => {
  const text = '{"resourceType":"Patient","id":"a"}\r\n\n{not json}\n[1]\n{"resourceType":"Patient","id":"b"}';
  const lines = [];
  for await (const line of readNdjson(Readable.from([text.slice(0, 10), text.slice(10)]))) lines.push(line);
  t.same(lines.map((l) => l.resource?.id ?? l.line), ['a', 3, 4, 'b']);
  t.match(lines[1].error, /line 3 is not valid JSON/);
  t.match(lines[2].error, /not a FHIR resource/);
});

t.test('batches', async (t) => {
  async function* numbers() { for (let i = 0; i < 7; i++) yield i; }
  const batches = [];
  for await (const batch of inBatches(numbers(), 3)) batches.push(batch);
  t.same(batches, [[0, 1, 2], [3, 4, 5], [6]]);
});
