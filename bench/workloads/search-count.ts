/**
 * `_summary=count` over more than 100,000 matches (issue 3: under 100 ms). A fresh server without the demo seed gets
 * the Synthea bundles, then the last dataset's self-contained patient bundles again (urn:uuid references only, new
 * ids each time) until it holds MIN_OBSERVATIONS Observations. Each count is then requested alone, one at a time;
 * a row reports the slowest of the timed requests as its seconds (the median is in its label).
 */
import path from 'node:path';
import { postgresMaintenanceSettled } from '../lib/engines.js';
import { countMatches, postBundle } from '../lib/fhir-http.js';
import { loadAverageNow, round } from '../lib/figures.js';
import { loadSynthea } from '../lib/synthea-load.js';
import { syntheaLoadPhases, syntheaMissing } from '../lib/synthea.js';
import type { JobRow, Workload } from './workload.js';

export const MIN_OBSERVATIONS = 100_000;
const TIMED_REQUESTS = 30;
const CLIENTS = 4;

const COUNTS = [
  'Observation?_summary=count',
  'Observation?category=laboratory&_summary=count',
  `Observation?code=${encodeURIComponent('http://loinc.org|72514-3')}&_summary=count`,
];

async function postCopies(base: string, log: (line: string) => void): Promise<void> {
  const phase = syntheaLoadPhases().filter((candidate) => candidate.parallel).at(-1)!;
  for (let copy = 1; (await countMatches(base, 'Observation')) < MIN_OBSERVATIONS; copy++) {
    let next = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < phase.bundles.length) {
        const bundle = phase.bundles[next++]!;
        const posted = await postBundle(base, bundle.text, `${path.basename(bundle.file)} (copy ${copy})`);
        if (posted.failures.length) throw new Error(posted.failures[0]);
      }
    }));
    if (copy % 10 === 0) log(`  ${copy} more copies of ${phase.label} posted`);
  }
}

async function timeRequest(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers: { accept: 'application/fhir+json' } });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return performance.now() - started;
}

export const searchCount: Workload = {
  name: 'search-count',
  description: `_summary=count over at least ${MIN_OBSERVATIONS.toLocaleString('en')} Observations (a fresh server loaded with Synthea copies)`,
  unavailable: async () => syntheaMissing(),
  async run(context) {
    const fresh = await context.startFreshServer('search-count');
    try {
      const base = fresh.server.base;
      context.log(`search-count: loading Synthea until ${MIN_OBSERVATIONS} Observations:`);
      const started = performance.now();
      await loadSynthea(base, CLIENTS, context.log);
      await postCopies(base, context.log);
      const observations = await countMatches(base, 'Observation');
      const notes = [`search-count: ${observations} Observations loaded in ${round((performance.now() - started) / 1000, 1)} s`];
      // as after the shared load: the counts are timed once the store's own VACUUM ANALYZE of the load is done (timed
      // during it, PostgreSQL's medians were 25-48 ms at a load average of 3.4-4.5 on two cores)
      if (context.engine.kind === 'postgres' && context.engine.baseUrl) {
        const waited = await postgresMaintenanceSettled(context.engine.baseUrl);
        notes.push(`search-count: waited ${waited.toFixed(1)} s for the server's statistics refresh`);
      }
      const rows: JobRow[] = [];
      for (const query of COUNTS) {
        const matches = await countMatches(base, query.replace(/&?_summary=count/, ''));
        for (let n = 0; n < 3; n++) await timeRequest(`${base}/${query}`);
        const times: number[] = [];
        for (let n = 0; n < TIMED_REQUESTS; n++) times.push(await timeRequest(`${base}/${query}`));
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)]!;
        const slowest = times[times.length - 1]!;
        rows.push({
          workload: 'search-count',
          label: `${decodeURIComponent(query)} median ${round(median, 1)} ms`,
          resources: matches,
          seconds: round(slowest / 1000, 4),
          resourcesPerSecond: Math.round(matches / (slowest / 1000)),
          failures: 0,
          loadAverage: loadAverageNow(),
        });
      }
      return { rows, notes };
    } finally {
      await fresh.dispose();
    }
  },
};
