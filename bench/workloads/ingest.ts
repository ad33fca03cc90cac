/**
 * Transaction ingest (R4 http.html#transaction): every Synthea bundle POSTed to [base] with
 * `Prefer: return=minimal`, shared bundles first, patient bundles by 1 and then 4 concurrent clients, each on a
 * fresh server without the demo seed. The resource counts per type are checked against the input, and the rate
 * is set against a raw insert of the same resources' JSON into the same engine.
 */
import { compareCounts } from '../lib/fhir-http.js';
import { loadAverageNow, ratio, round } from '../lib/figures.js';
import { peakResidentMegabytes } from '../lib/processes.js';
import { loadSynthea } from '../lib/synthea-load.js';
import { expectedCountsAfterLoad, syntheaMissing } from '../lib/synthea.js';
import type { JobRow, Workload } from './workload.js';

export const INGEST_CLIENTS = [1, 4];

export const ingest: Workload = {
  name: 'ingest',
  description: `transaction ingest of every Synthea bundle, ${INGEST_CLIENTS.join(' and ')} clients, fresh server each`,
  unavailable: async () => syntheaMissing(),
  async run(context) {
    const raw = await context.rawInsertBaseline();
    const expected = expectedCountsAfterLoad();
    const expectedTotal = [...expected.values()].reduce((sum, count) => sum + count, 0);
    const rows: JobRow[] = [];
    const notes: string[] = [];
    for (const clients of INGEST_CLIENTS) {
      const fresh = await context.startFreshServer(`ingest-${clients}`);
      try {
        context.log(`ingest with ${clients} client(s) into a fresh ${context.engine.kind} server:`);
        const load = await loadSynthea(fresh.server.base, clients, context.log);
        const loadAverage = loadAverageNow();
        const mismatches = await compareCounts(fresh.server.base, expected);
        for (const failure of load.failures.slice(0, 5)) notes.push(`ingest x${clients}: ${failure}`);
        if (load.failures.length > 5) notes.push(`ingest x${clients}: ... ${load.failures.length - 5} more failed entries`);
        for (const mismatch of mismatches) notes.push(`ingest x${clients} count mismatch: ${mismatch}`);
        rows.push({
          workload: 'ingest',
          label: `ingest x${clients}`,
          resources: load.resources,
          seconds: round(load.seconds),
          resourcesPerSecond: load.resourcesPerSecond,
          rawInsertPerSecond: raw?.resourcesPerSecond,
          ratioToRawInsert: ratio(load.resourcesPerSecond, raw?.resourcesPerSecond),
          peakRssMb: peakResidentMegabytes(fresh.server.pid),
          countsMatch: mismatches.length === 0 && load.failures.length === 0,
          failures: load.failures.length,
          loadAverage,
        });
      } finally {
        await fresh.dispose();
      }
    }
    notes.push(`ingest input: ${expectedTotal} resources expected on the server (${[...expected].map(([t, n]) => `${t} ${n}`).join(', ')})`);
    return { rows, notes };
  },
};
