/**
 * Searches over a store the size of a hospital's patient list (opt-in: it loads SCALE_PATIENTS Patients). The shared
 * server holds ~1,100 Patients, where plans that walk a whole type or misjudge a range still look fast; the searches
 * that failed only at this size (README "Searches over a larger store") are measured here. A fresh server without the
 * demo seed gets SCALE_PATIENTS Patients, birth dates spread evenly over a century in an order unrelated to their
 * keys, in transactions of BATCH PUTs; then each search runs at one connection for the run's duration, after a few
 * warm-up requests (the first ones count the matches that later pages rely on). A row is one search: requests as
 * resources and requests per second, the number of matches in its label (the p50 and p99 are in the notes).
 */
import { countMatches, postBundle } from '../lib/fhir-http.js';
import { loadAverageNow, round } from '../lib/figures.js';
import { postgresMaintenanceSettled } from '../lib/engines.js';
import { runLoad } from '../lib/load.js';
import type { JobRow, Workload } from './workload.js';

export const SCALE_PATIENTS = 50_000;
const BATCH = 1000;
const CLIENTS = 2;
const WARM_UP_REQUESTS = 5;
const FIRST_BIRTH = Date.UTC(1920, 0, 1);
const CENTURY_MS = 100 * 365.25 * 86_400_000;
const MIDDLE_DAY = '1970-06-15';

const SEARCHES = [
  `Patient?birthdate=${MIDDLE_DAY}`,
  `Patient?birthdate=lt${MIDDLE_DAY}`,
  `Patient?birthdate=le${MIDDLE_DAY}`,
  `Patient?birthdate=ne${MIDDLE_DAY}`,
  `Patient?birthdate=gt${MIDDLE_DAY}`,
  `Patient?birthdate=ap${MIDDLE_DAY}`,
  'Patient?gender=female',
  'Patient?family=Garcia3',
  'Patient?_lastUpdated=gt2000-01-01',
];

const FAMILIES = ['Smith', 'Jones', 'Garcia', 'Miller', 'Davis', 'Lopez', 'Wilson', 'Anderson', 'Taylor', 'Moore'];

function patient(n: number): Record<string, unknown> {
  // a multiplier coprime with the count visits every position once, so keys and birth dates are unrelated
  const position = (n * 7919) % SCALE_PATIENTS;
  const birthDate = new Date(FIRST_BIRTH + Math.floor((position * CENTURY_MS) / SCALE_PATIENTS)).toISOString().slice(0, 10);
  return {
    resourceType: 'Patient', id: `scale-${n}`, gender: n % 2 === 0 ? 'female' : 'male', birthDate,
    identifier: [{ system: 'urn:bench:scale', value: String(n) }],
    name: [{ family: `${FAMILIES[n % FAMILIES.length]}${n % 97}`, given: [`G${n % 50}`] }],
  };
}

function transaction(first: number): string {
  const entry = Array.from({ length: Math.min(BATCH, SCALE_PATIENTS - first) }, (_, k) => {
    const resource = patient(first + k);
    return { resource, request: { method: 'PUT', url: `Patient/${resource.id as string}` } };
  });
  return JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry });
}

export const searchScale: Workload = {
  name: 'search-scale',
  description: `searches over ${SCALE_PATIENTS.toLocaleString('en')} Patients born across a century (a fresh server)`,
  async run(context) {
    const fresh = await context.startFreshServer('search-scale');
    try {
      const base = fresh.server.base;
      const started = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (next < SCALE_PATIENTS) {
          const first = next;
          next += BATCH;
          const posted = await postBundle(base, transaction(first), `search-scale Patients ${first}-`);
          if (posted.failures.length) throw new Error(posted.failures[0]);
        }
      }));
      const loadSeconds = (performance.now() - started) / 1000;
      if (context.engine.kind === 'postgres' && context.engine.baseUrl) await postgresMaintenanceSettled(context.engine.baseUrl);
      const notes = [`search-scale: ${SCALE_PATIENTS} Patients loaded in ${round(loadSeconds, 1)} s (${Math.round(SCALE_PATIENTS / loadSeconds)}/s)`];
      const basePath = new URL(base).pathname;
      const rows: JobRow[] = [];
      for (const search of SEARCHES) {
        const matches = await countMatches(base, search);
        for (let n = 0; n < WARM_UP_REQUESTS; n++) await (await fetch(`${base}/${search}`)).arrayBuffer();
        const load = await runLoad('search-scale', {
          url: base, connections: 1, duration: context.durationSeconds,
          requests: [{ method: 'GET', path: `${basePath}/${search}`, headers: { accept: 'application/fhir+json' } }],
        });
        notes.push(`search-scale ${search}: p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms`);
        rows.push({
          workload: 'search-scale',
          // the label pairs the engines' rows side by side: the p99 goes to the notes
          label: `${search} (${matches} matches)`,
          resources: load.requests,
          seconds: context.durationSeconds,
          resourcesPerSecond: load.requestsPerSecond,
          failures: load.errors + load.non2xx,
          loadAverage: loadAverageNow(),
        });
      }
      return { rows, notes };
    } finally {
      await fresh.dispose();
    }
  },
};
