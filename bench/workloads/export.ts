/**
 * Export from the shared server after the Synthea load:
 *  - when the server has Bulk Data `$export` (kick-off answered 202): a system export timed from kick-off to the
 *    last NDJSON file downloaded, line counts checked against the server's counts per type;
 *  - always: `GET [base]/Observation?_count=1000` paged through its next links, passes repeated for the run's
 *    duration, each pass checked for exactly Bundle.total distinct resources.
 * Each with the ratio to the raw-insert floor of the same engine.
 */
import { countMatches, getJson, nextLink, type SearchBundle } from '../lib/fhir-http.js';
import { loadAverageNow, ratio, round } from '../lib/figures.js';
import { syntheaMissing } from '../lib/synthea.js';
import type { JobResult, JobRow, WorkloadContext, Workload } from './workload.js';

const POLL_MS = 100;
const EXPORT_TIMEOUT_MS = 10 * 60_000;

interface Manifest { output?: { type: string; url: string }[]; error?: { url: string }[] }

async function bulkExport(context: WorkloadContext, statusUrl: string, started: number): Promise<JobResult> {
  const notes: string[] = [];
  let manifest: Manifest | undefined;
  while (!manifest) {
    if (performance.now() - started > EXPORT_TIMEOUT_MS) throw new Error(`$export still running after ${EXPORT_TIMEOUT_MS / 1000} s`);
    const status = await fetch(statusUrl, { headers: { accept: 'application/json' } });
    if (status.status === 200) manifest = (await status.json()) as Manifest;
    else if (status.status === 202) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    else throw new Error(`$export status ${statusUrl}: HTTP ${status.status}: ${(await status.text()).slice(0, 300)}`);
  }
  const linesByType = new Map<string, number>();
  for (const output of manifest.output ?? []) {
    const file = await fetch(output.url, { headers: { accept: 'application/fhir+ndjson' } });
    if (!file.ok) throw new Error(`$export file ${output.url}: HTTP ${file.status}`);
    const lines = (await file.text()).split('\n').filter((line) => line.trim()).length;
    linesByType.set(output.type, (linesByType.get(output.type) ?? 0) + lines);
  }
  const seconds = (performance.now() - started) / 1000;
  const loadAverage = loadAverageNow();
  const resources = [...linesByType.values()].reduce((sum, n) => sum + n, 0);
  const mismatches: string[] = [];
  for (const [type, lines] of linesByType) {
    const onServer = await countMatches(context.fhirBase, type);
    if (onServer !== lines) mismatches.push(`${type}: ${lines} exported, ${onServer} on the server`);
  }
  if ((manifest.error ?? []).length > 0) notes.push(`$export manifest lists ${manifest.error!.length} error file(s)`);
  notes.push(...mismatches.map((m) => `export count mismatch: ${m}`));
  await fetch(statusUrl, { method: 'DELETE' }).catch(() => undefined);
  return { rows: [await row(context, 'export $export (system)', resources, seconds, mismatches.length === 0, loadAverage)], notes };
}

async function pagedObservations(context: WorkloadContext): Promise<JobResult> {
  const total = await countMatches(context.fhirBase, 'Observation');
  const notes = [`export paging: Observation?_count=1000 (${total} Observations) for ${context.durationSeconds} s`];
  let resources = 0;
  let passes = 0;
  let complete = true;
  const started = performance.now();
  do {
    const ids = new Set<string>();
    let url: string | undefined = `${context.fhirBase}/Observation?_count=1000`;
    while (url) {
      const page: SearchBundle = await getJson<SearchBundle>(url);
      for (const entry of page.entry ?? []) if (entry.search?.mode !== 'include' && entry.resource?.id) ids.add(entry.resource.id);
      resources += page.entry?.length ?? 0;
      url = nextLink(page);
    }
    passes++;
    if (ids.size !== total) {
      complete = false;
      notes.push(`export pass ${passes}: ${ids.size} distinct Observations paged, ${total} expected`);
    }
  } while (performance.now() - started < context.durationSeconds * 1000);
  const seconds = (performance.now() - started) / 1000;
  notes.push(`export: ${passes} passes`);
  return { rows: [await row(context, 'export paging Observation _count=1000', resources, seconds, complete, loadAverageNow())], notes };
}

async function row(context: WorkloadContext, label: string, resources: number, seconds: number, countsMatch: boolean, loadAverage: number): Promise<JobRow> {
  const raw = await context.rawInsertBaseline();
  const resourcesPerSecond = Math.round(resources / seconds);
  return {
    workload: 'export', label, resources, seconds: round(seconds), resourcesPerSecond,
    rawInsertPerSecond: raw?.resourcesPerSecond, ratioToRawInsert: ratio(resourcesPerSecond, raw?.resourcesPerSecond),
    countsMatch, failures: countsMatch ? 0 : 1, loadAverage,
  };
}

export const exportResources: Workload = {
  name: 'export',
  description: 'system $export when the server has it, else Observation paging with _count=1000',
  unavailable: async () => syntheaMissing(),
  async run(context) {
    await context.ensureSyntheaLoaded();
    const started = performance.now();
    const kickOff = await fetch(`${context.fhirBase}/$export`, { headers: { accept: 'application/fhir+json', prefer: 'respond-async' } });
    const statusUrl = kickOff.headers.get('content-location');
    await kickOff.arrayBuffer();
    const bulk = kickOff.status === 202 && statusUrl
      ? await bulkExport(context, statusUrl, started)
      : { rows: [], notes: [`no $export here (kick-off answered ${kickOff.status})`] };
    const paged = await pagedObservations(context);
    return { rows: [...bulk.rows, ...paged.rows], notes: [...bulk.notes, ...paged.notes] };
  },
};
