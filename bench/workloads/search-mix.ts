/**
 * search (R4 search.html) over the Synthea data loaded into the shared server: each query shape alone, then all
 * of them together ("search-mix:all", one request per shape family in turn, the birthdate prefixes rotating), at
 * each connection level. The report sets each row against read-by-id at the same level in the same run.
 */
import { countMatches, getJson, type SearchBundle } from '../lib/fhir-http.js';
import { cyclingPaths, runLoad, type Measurement } from '../lib/load.js';
import { pickSearchValues, type SearchValues } from '../lib/search-values.js';
import { syntheaMissing } from '../lib/synthea.js';
import type { Workload, WorkloadContext } from './workload.js';

export const BIRTHDATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;

interface Shape {
  name: string;
  /** the shape family it belongs to in the mix (the birthdate prefixes share one) */
  family: string;
  query: string;
}

const e = encodeURIComponent;

export function searchShapes(values: SearchValues): Shape[] {
  const loinc = (code: string) => e(`http://loinc.org|${code}`);
  return [
    { name: 'patient-name', family: 'patient-name', query: `Patient?name=${e(values.family)}` },
    ...BIRTHDATE_PREFIXES.map((prefix) => ({ name: `patient-birthdate-${prefix}`, family: 'patient-birthdate', query: `Patient?birthdate=${prefix}${values.birthDate}` })),
    {
      name: 'observation-patient-code-date',
      family: 'observation-patient-code-date',
      query: `Observation?patient=${e(values.patientId)}&code=${loinc(values.patientCode)}&date=ge${values.patientCodeSince}`,
    },
    { name: 'observation-category-lab', family: 'observation-category-lab', query: 'Observation?category=laboratory' },
    { name: 'encounter-date-year', family: 'encounter-date-year', query: `Encounter?date=${values.encounterYear}` },
    { name: 'chain-subject-name', family: 'chain-subject-name', query: `Observation?subject:Patient.name=${e(values.family)}` },
    { name: 'has-observation-code', family: 'has-observation-code', query: `Patient?_has:Observation:patient:code=${loinc(values.hasCode)}` },
    { name: 'include-patient', family: 'include-patient', query: `Observation?code=${loinc(values.includeCode)}&_include=Observation:patient` },
  ];
}

/** One request per shape family in turn; within the birthdate family, the prefixes take turns. */
function mixQueries(shapes: Shape[]): string[] {
  const families = [...new Set(shapes.map((shape) => shape.family))];
  const byFamily = families.map((family) => shapes.filter((shape) => shape.family === family));
  const rounds = Math.max(...byFamily.map((members) => members.length));
  return Array.from({ length: rounds }, (_, round) => byFamily.map((members) => members[round % members.length]!.query)).flat();
}

const shapesByServer = new Map<string, Shape[]>();

async function prepareShapes(context: WorkloadContext): Promise<void> {
  await context.ensureSyntheaLoaded();
  const values = await pickSearchValues(context.fhirBase);
  const shapes = searchShapes(values);
  context.log(`search-mix values: ${JSON.stringify(values)}`);
  context.log('search-mix matches (Bundle.total with _summary=count; a first page fetched for each):');
  for (const shape of shapes) {
    const matches = await countMatches(context.fhirBase, shape.query.replace(/&_include=[^&]*/, ''));
    const page = await getJson<SearchBundle>(`${context.fhirBase}/${shape.query}`);
    const included = page.entry?.filter((entry) => entry.search?.mode === 'include').length ?? 0;
    context.log(`  ${shape.name.padEnd(32)} ${String(matches).padStart(6)} matches, first page ${page.entry?.length ?? 0} entries` +
      `${included ? ` (${included} included)` : ''}   ${shape.query}`);
    if (matches === 0) context.log(`  WARNING: ${shape.name} finds nothing; its figures measure an empty search`);
  }
  shapesByServer.set(context.fhirBase, shapes);
}

export const searchMix: Workload = {
  name: 'search-mix',
  description: 'search shapes of issue 3 over the Synthea data, one by one and mixed',
  unavailable: async () => syntheaMissing(),
  prepare: prepareShapes,
  async measure(context, connections) {
    const shapes = shapesByServer.get(context.fhirBase)!;
    const basePath = new URL(context.fhirBase).pathname;
    const headers = { accept: 'application/fhir+json' };
    const options = (queries: string[]) => ({
      url: context.fhirBase, connections, duration: context.durationSeconds,
      requests: cyclingPaths(queries.map((query) => `${basePath}/${query}`), headers),
    });
    const measurements: Measurement[] = [];
    for (const shape of shapes) measurements.push(await runLoad(`search-mix:${shape.name}`, options([shape.query])));
    measurements.push(await runLoad('search-mix:all', options(mixQueries(shapes))));
    return measurements;
  },
};
