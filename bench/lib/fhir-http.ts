/** Small FHIR client helpers for the benchmark: posting Bundles, counting resources, following next links. */

const FHIR_JSON = 'application/fhir+json';

interface ResponseEntry { response?: { status?: string; outcome?: OperationOutcome } }
interface OperationOutcome { issue?: { diagnostics?: string; code?: string }[] }
export interface SearchBundle { total?: number; entry?: { resource?: { resourceType?: string; id?: string }; search?: { mode?: string } }[]; link?: { relation: string; url: string }[] }

export interface BundlePostResult {
  /** entries answered 2xx */
  succeeded: number;
  /** one line per failed entry, or one for the whole Bundle */
  failures: string[];
}

function outcomeText(outcome: OperationOutcome | undefined, fallback: string): string {
  return outcome?.issue?.map((issue) => issue.diagnostics ?? issue.code).filter(Boolean).join('; ') || fallback;
}

/** POST [base] with a batch or transaction Bundle (as text), asking for minimal entries. */
export async function postBundle(base: string, bundleText: string, label: string): Promise<BundlePostResult> {
  const response = await fetch(base, {
    method: 'POST',
    headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, prefer: 'return=minimal' },
    body: bundleText,
  });
  const body = (await response.json().catch(() => undefined)) as { entry?: ResponseEntry[] } & OperationOutcome | undefined;
  if (response.status !== 200) {
    return { succeeded: 0, failures: [`${label}: HTTP ${response.status}: ${outcomeText(body, 'no OperationOutcome')}`] };
  }
  const failures: string[] = [];
  let succeeded = 0;
  (body?.entry ?? []).forEach((entry, index) => {
    const status = Number.parseInt(entry.response?.status ?? '0', 10);
    if (status >= 200 && status < 300) succeeded++;
    else failures.push(`${label} entry[${index}]: ${entry.response?.status ?? 'no status'}: ${outcomeText(entry.response?.outcome, '')}`);
  });
  return { succeeded, failures };
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: FHIR_JSON } });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body) as T;
}

/** Bundle.total of `[base]/<query>` with _summary=count. */
export async function countMatches(base: string, query: string): Promise<number> {
  const separator = query.includes('?') ? '&' : '?';
  const bundle = await getJson<SearchBundle>(`${base}/${query}${separator}_summary=count`);
  if (typeof bundle.total !== 'number') throw new Error(`${query}: no total in the _summary=count answer`);
  return bundle.total;
}

/** Compares the server's count of each type with what was expected (counts on the server before, subtracted). */
export async function compareCounts(base: string, expected: Map<string, number>, before = new Map<string, number>()): Promise<string[]> {
  const mismatches: string[] = [];
  for (const [type, count] of [...expected].sort(([a], [b]) => a.localeCompare(b))) {
    const found = (await countMatches(base, type)) - (before.get(type) ?? 0);
    if (found !== count) mismatches.push(`${type}: ${found} on the server, ${count} expected`);
  }
  return mismatches;
}

export async function countsOf(base: string, types: Iterable<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, await countMatches(base, type));
  return counts;
}

export function nextLink(bundle: SearchBundle): string | undefined {
  return bundle.link?.find((link) => link.relation === 'next')?.url;
}
