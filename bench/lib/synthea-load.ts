/**
 * Loading the Synthea bundles into a running server through [base] (the transaction and batch interactions),
 * phase by phase (shared bundles first, one at a time; patient bundles by `clients` concurrent clients).
 */
import path from 'node:path';
import { postBundle } from './fhir-http.js';
import { syntheaLoadPhases, type BundleFile } from './synthea.js';

export interface SyntheaLoadResult {
  clients: number;
  bundles: number;
  /** entries the server answered 2xx */
  resources: number;
  seconds: number;
  resourcesPerSecond: number;
  failures: string[];
  /** bundles answered with an error or with failed entries (a failed transaction leaves nothing behind) */
  failedBundles: BundleFile[];
}

async function inParallel<T>(items: readonly T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

export async function loadSynthea(base: string, clients: number, onPhase?: (line: string) => void): Promise<SyntheaLoadResult> {
  const phases = syntheaLoadPhases();
  let resources = 0;
  let bundles = 0;
  const failures: string[] = [];
  const failedBundles: BundleFile[] = [];
  const post = async (bundle: BundleFile) => {
    const result = await postBundle(base, bundle.text, `${bundle.dataset}/${path.basename(bundle.file)}`);
    resources += result.succeeded;
    bundles++;
    failures.push(...result.failures);
    if (result.failures.length > 0) failedBundles.push(bundle);
  };
  const started = performance.now();
  for (const phase of phases) {
    const phaseStarted = performance.now();
    const before = resources;
    const failuresBefore = failures.length;
    if (phase.parallel) await inParallel(phase.bundles, clients, post);
    else for (const bundle of phase.bundles) await post(bundle);
    const seconds = (performance.now() - phaseStarted) / 1000;
    const failed = failures.slice(failuresBefore);
    onPhase?.(`  ${phase.label}: ${phase.bundles.length} bundles, ${resources - before} resources in ${seconds.toFixed(1)} s` +
      (failed.length ? `; ${failed.length} failed entries, first: ${failed[0]}` : ''));
  }
  const seconds = (performance.now() - started) / 1000;
  return { clients, bundles, resources, seconds, resourcesPerSecond: Math.round(resources / seconds), failures, failedBundles };
}

/** Posts the given bundles again, one at a time: what a client does after a 5xx. Returns those still failing. */
export async function retryBundles(base: string, bundles: readonly BundleFile[]): Promise<{ resources: number; failures: string[] }> {
  let resources = 0;
  const failures: string[] = [];
  for (const bundle of bundles) {
    const result = await postBundle(base, bundle.text, `${bundle.dataset}/${path.basename(bundle.file)} (retried)`);
    resources += result.succeeded;
    failures.push(...result.failures);
  }
  return { resources, failures };
}
