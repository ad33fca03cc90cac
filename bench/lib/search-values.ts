/**
 * Search parameter values picked from the Synthea bundles so that every search of the mix finds something:
 * the patient with the most Observations (family name, server id, its most frequent LOINC code and the median
 * date of those), the median birth date, the busiest Encounter year, and LOINC codes for _has and _include.
 */
import { getJson, type SearchBundle } from './fhir-http.js';
import { allBundles, type Resource } from './synthea.js';

export interface SearchValues {
  family: string;
  patientId: string;
  patientCode: string;
  patientCodeSince: string;
  birthDate: string;
  encounterYear: string;
  /** a code observed for about half the patients (for _has) */
  hasCode: string;
  /** the most frequent Observation code (for _include) */
  includeCode: string;
}

const LOINC = 'http://loinc.org';
const SYNTHEA_IDENTIFIER = 'https://github.com/synthetichealth/synthea';

interface PatientFacts { fullUrl: string; resource: Resource; observations: Resource[] }

function loincCode(observation: Resource): string | undefined {
  const codings = (observation.code as { coding?: { system?: string; code?: string }[] } | undefined)?.coding ?? [];
  return codings.find((coding) => coding.system === LOINC)?.code;
}

function mostFrequent<T>(values: T[]): T {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

function median<T>(sorted: T[]): T {
  return sorted[Math.floor(sorted.length / 2)]!;
}

function collectFacts(): { patients: PatientFacts[]; observations: Resource[]; encounters: Resource[] } {
  const patients = new Map<string, PatientFacts>();
  const observations: Resource[] = [];
  const encounters: Resource[] = [];
  for (const bundle of allBundles()) {
    for (const entry of bundle.entries) {
      const resource = entry.resource;
      if (!resource) continue;
      if (resource.resourceType === 'Patient' && entry.fullUrl) patients.set(entry.fullUrl, { fullUrl: entry.fullUrl, resource, observations: [] });
      if (resource.resourceType === 'Observation') observations.push(resource);
      if (resource.resourceType === 'Encounter') encounters.push(resource);
    }
  }
  for (const observation of observations) {
    const subject = (observation.subject as { reference?: string } | undefined)?.reference;
    if (subject) patients.get(subject)?.observations.push(observation);
  }
  return { patients: [...patients.values()], observations, encounters };
}

/** The server id of a Synthea patient, found by its Synthea identifier (the server assigned a new id on POST). */
async function serverPatientId(base: string, patient: Resource): Promise<string> {
  const identifier = patient.identifier?.find((candidate) => candidate.system === SYNTHEA_IDENTIFIER)?.value;
  const query = identifier
    ? `identifier=${encodeURIComponent(`${SYNTHEA_IDENTIFIER}|${identifier}`)}`
    : `birthdate=${patient.birthDate as string}&family=${encodeURIComponent(familyOf(patient))}`;
  const bundle = await getJson<SearchBundle>(`${base}/Patient?${query}`);
  const id = bundle.entry?.[0]?.resource?.id;
  if (!id) throw new Error(`the loaded Synthea patient ${familyOf(patient)} is not found by Patient?${query}`);
  return id;
}

function familyOf(patient: Resource): string {
  return (patient.name as { family?: string }[] | undefined)?.[0]?.family ?? '';
}

export async function pickSearchValues(base: string): Promise<SearchValues> {
  const { patients, observations, encounters } = collectFacts();
  const busiest = [...patients].sort((a, b) => b.observations.length - a.observations.length)[0];
  if (!busiest) throw new Error('no Synthea Patient with Observations in the bundles');
  const patientCode = mostFrequent(busiest.observations.map(loincCode).filter((code): code is string => Boolean(code)));
  const codeDates = busiest.observations.filter((o) => loincCode(o) === patientCode)
    .map((o) => String(o.effectiveDateTime ?? '').slice(0, 10)).filter(Boolean).sort();
  const birthDates = patients.map((p) => String(p.resource.birthDate ?? '')).filter(Boolean).sort();
  const years = encounters.map((e) => String((e.period as { start?: string } | undefined)?.start ?? '').slice(0, 4)).filter(Boolean);

  const patientsByCode = new Map<string, Set<string>>();
  for (const patient of patients) {
    for (const observation of patient.observations) {
      const code = loincCode(observation);
      if (!code) continue;
      if (!patientsByCode.has(code)) patientsByCode.set(code, new Set());
      patientsByCode.get(code)!.add(patient.fullUrl);
    }
  }
  const half = patients.length / 2;
  const hasCode = [...patientsByCode].sort((a, b) => Math.abs(a[1].size - half) - Math.abs(b[1].size - half) || a[0].localeCompare(b[0]))[0]![0];

  return {
    family: familyOf(busiest.resource),
    patientId: await serverPatientId(base, busiest.resource),
    patientCode,
    patientCodeSince: median(codeDates),
    birthDate: median(birthDates),
    encounterYear: mostFrequent(years),
    hasCode,
    includeCode: mostFrequent(observations.map(loincCode).filter((code): code is string => Boolean(code))),
  };
}
