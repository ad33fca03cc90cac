/**
 * Black-box round trip of the R4 examples against any FHIR server: `tsx conformance/run.ts <baseUrl>`.
 * For every non-conformance example: PUT it (R4 http.html#update), read it back and compare everything but
 * meta, then search its type by every parameter that has a value in it (plus _id, to keep pages small) and
 * expect to find it. Prints pass/fail counts and each failure; exits 1 when anything failed.
 */
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import { listExamples, searchParameterDefinitions, type Example } from './examples.js';
import { searchValueFor } from './search-values.js';

export interface ConformanceFailure {
  file: string;
  check: 'put' | 'read' | 'content' | 'search';
  detail: string;
}

export interface ConformanceReport {
  examples: number;
  passed: Record<ConformanceFailure['check'], number>;
  failures: ConformanceFailure[];
}

const FHIR_JSON = 'application/fhir+json';

function withoutMeta(resource: Record<string, unknown>): Record<string, unknown> {
  const { meta: _meta, ...rest } = resource;
  return rest;
}

async function searchParametersByType(baseUrl: string): Promise<Map<string, { name: string; definition?: string; type: string }[]>> {
  const response = await fetch(`${baseUrl}/metadata`, { headers: { accept: FHIR_JSON } });
  if (!response.ok) throw new Error(`GET ${baseUrl}/metadata answered ${response.status}`);
  const statement = await response.json() as { rest?: { resource?: { type: string; searchParam?: { name: string; definition?: string; type: string }[] }[] }[] };
  const byType = new Map<string, { name: string; definition?: string; type: string }[]>();
  for (const resource of statement.rest?.[0]?.resource ?? []) byType.set(resource.type, resource.searchParam ?? []);
  return byType;
}

function firstDifference(expected: unknown, actual: unknown, path = ''): string {
  if (typeof expected !== 'object' || expected === null || typeof actual !== 'object' || actual === null) {
    return `${path || '(root)'}: expected ${JSON.stringify(expected)?.slice(0, 120)}, got ${JSON.stringify(actual)?.slice(0, 120)}`;
  }
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  for (const key of keys) {
    const a = (expected as Record<string, unknown>)[key];
    const b = (actual as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(a, b)) return firstDifference(a, b, path ? `${path}.${key}` : key);
  }
  return `${path}: differs`;
}

async function checkExample(baseUrl: string, example: Example, parameters: Map<string, { name: string; definition?: string; type: string }[]>,
  definitions: ReturnType<typeof searchParameterDefinitions>, report: ConformanceReport): Promise<void> {
  const { resource, file } = example;
  const fail = (check: ConformanceFailure['check'], detail: string) => report.failures.push({ file, check, detail });
  const url = `${baseUrl}/${resource.resourceType}/${encodeURIComponent(resource.id)}`;
  const put = await fetch(url, { method: 'PUT', headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON }, body: JSON.stringify(resource) });
  if (put.status !== 200 && put.status !== 201) {
    const outcome = await put.text();
    { fail('put', `PUT answered ${put.status}: ${outcome.slice(0, 400)}`); return; }
  }
  await put.arrayBuffer().catch(() => undefined);
  report.passed.put++;
  const read = await fetch(url, { headers: { accept: FHIR_JSON } });
  if (read.status !== 200) { fail('read', `GET answered ${read.status}`); return; }
  report.passed.read++;
  const stored = await read.json() as Record<string, unknown>;
  if (isDeepStrictEqual(withoutMeta(stored), withoutMeta(resource))) report.passed.content++;
  else fail('content', firstDifference(withoutMeta(resource), withoutMeta(stored)));

  for (const parameter of parameters.get(resource.resourceType) ?? []) {
    if (parameter.name === '_lastUpdated' || !parameter.definition) continue;
    const definition = definitions.get(parameter.definition);
    if (!definition) continue;
    const value = searchValueFor(resource, definition);
    if (value === undefined) continue;
    const query = new URLSearchParams([[parameter.name, value], ['_id', resource.id], ['_elements', 'id']]);
    const searchUrl = `${baseUrl}/${resource.resourceType}?${query}`;
    const response = await fetch(searchUrl, { headers: { accept: FHIR_JSON } });
    const body = await response.json().catch(() => undefined) as { entry?: { resource?: { id?: string } }[]; issue?: { diagnostics?: string }[] } | undefined;
    if (response.status !== 200) {
      fail('search', `${parameter.name}=${value} answered ${response.status}: ${body?.issue?.[0]?.diagnostics ?? ''}`);
    } else if (!body?.entry?.some((entry) => entry.resource?.id === resource.id)) {
      fail('search', `${parameter.name}=${value} (${parameter.type}) did not find it`);
    } else {
      report.passed.search++;
    }
  }
}

export async function runConformance(baseUrl: string, options: { only?: (example: Example) => boolean; concurrency?: number } = {}): Promise<ConformanceReport> {
  const examples = listExamples().filter(options.only ?? (() => true));
  const definitions = searchParameterDefinitions();
  const parameters = await searchParametersByType(baseUrl);
  const report: ConformanceReport = { examples: examples.length, passed: { put: 0, read: 0, content: 0, search: 0 }, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < examples.length) {
      const example = examples[next++];
      try {
        await checkExample(baseUrl, example, parameters, definitions, report);
      } catch (error) {
        report.failures.push({ file: example.file, check: 'put', detail: `request failed: ${(error as Error).message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return report;
}

export function formatReport(report: ConformanceReport): string {
  const failed = (check: ConformanceFailure['check']) => report.failures.filter((failure) => failure.check === check).length;
  const lines = [`${report.examples} examples`];
  for (const check of ['put', 'read', 'content', 'search'] as const) lines.push(`${check}: ${report.passed[check]} passed, ${failed(check)} failed`);
  for (const failure of report.failures) lines.push(`FAIL ${failure.check} ${failure.file}: ${failure.detail}`);
  const passed = Object.values(report.passed).reduce((sum, count) => sum + count, 0);
  lines.push(`${passed} passed, ${report.failures.length} failed`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const baseUrl = process.argv[2]?.replace(/\/+$/, '');
  if (!baseUrl) {
    process.stderr.write('usage: tsx conformance/run.ts <baseUrl>   e.g. http://127.0.0.1:8080/fhir\n');
    process.exit(2);
  }
  const report = await runConformance(baseUrl);
  process.stdout.write(formatReport(report) + '\n');
  process.exit(report.failures.length === 0 ? 0 : 1);
}
