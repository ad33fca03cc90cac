/**
 * One engine's run: the shared server (demo hospital seeded) that the load workloads hit, the bare Fastify
 * baseline, fresh servers for the jobs, and what is measured once and shared (the Synthea load, the raw-insert floor).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkloadContext } from '../workloads/workload.js';
import { postgresMaintenanceSettled, type Engine, type FreshStore } from './engines.js';
import { residentMegabytes, startBareServer, startFhirServer, type RunningServer } from './processes.js';
import { rawInsert, type RawInsertResult } from './raw-insert.js';
import { loadSynthea, retryBundles, type SyntheaLoadResult } from './synthea-load.js';
import { syntheaResources } from './synthea.js';

/** Patient bundles are loaded into the shared server by this many clients. */
const SHARED_LOAD_CLIENTS = 4;

export interface Session {
  context: WorkloadContext;
  shared: RunningServer;
  rssAfterSeedMb?: number;
  /** lines for the report: the Synthea load into the shared server, the raw-insert floor */
  notes: string[];
  /** starts the bare Fastify baseline serving what the server answers for one stored Patient */
  startBaseline(): Promise<void>;
  close(): Promise<void>;
}

export async function openSession(engine: Engine, options: { scratchDir: string; durationSeconds: number; patient: Record<string, unknown> }): Promise<Session> {
  const disposables: (() => Promise<void>)[] = [];
  const notes: string[] = [];
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const close = async () => {
    for (const dispose of disposables.reverse()) await dispose().catch((error: unknown) => log(`clean-up: ${(error as Error).message}`));
  };
  try {
    const sharedStore = await engine.freshStore('shared');
    disposables.push(() => sharedStore.dispose());
    const shared = await startFhirServer({ store: sharedStore.store, dataDir: sharedStore.dataDir });
    disposables.push(() => shared.stop());
    const rssAfterSeedMb = residentMegabytes(shared.pid);
    log(`[${engine.kind}] server up in ${shared.startupMs} ms (pid ${shared.pid}, ${rssAfterSeedMb} MB): ${engine.describe()}`);

    let syntheaLoad: Promise<SyntheaLoadResult> | undefined;
    let rawFloor: Promise<RawInsertResult | undefined> | undefined;
    const context: WorkloadContext = {
      fhirBase: shared.base,
      bareBase: '',
      patient: options.patient,
      durationSeconds: options.durationSeconds,
      patientIds: [],
      engine,
      scratchDir: options.scratchDir,
      log,
      freshStore: (purpose) => engine.freshStore(purpose),
      async startFreshServer(purpose, existing) {
        const store: FreshStore | undefined = existing ? undefined : await engine.freshStore(purpose);
        const target = existing ?? store!;
        try {
          const server = await startFhirServer({ store: target.store, dataDir: target.dataDir, seed: false });
          return { server, store: target.store, dataDir: target.dataDir, dispose: async () => { await server.stop(); await store?.dispose(); } };
        } catch (error) {
          await store?.dispose();
          throw error;
        }
      },
      ensureSyntheaLoaded() {
        syntheaLoad ??= (async () => {
          log(`[${engine.kind}] loading the Synthea bundles into the shared server (${SHARED_LOAD_CLIENTS} clients):`);
          const result = await loadSynthea(shared.base, SHARED_LOAD_CLIENTS, log);
          notes.push(`Synthea loaded into the shared server: ${result.resources} resources from ${result.bundles} bundles in ` +
            `${result.seconds.toFixed(1)} s (${result.resourcesPerSecond}/s), ${result.failures.length} failed entries`);
          for (const failure of result.failures.slice(0, 5)) notes.push(`shared load: ${failure}`);
          if (result.failedBundles.length > 0) {
            // the searches need the data: post failed bundles again one at a time, as a client would after a 5xx
            const retry = await retryBundles(shared.base, result.failedBundles);
            notes.push(`shared load: ${result.failedBundles.length} failed bundles posted again one at a time: ` +
              `${retry.resources} resources, ${retry.failures.length} entries still failing${retry.failures[0] ? ` (${retry.failures[0]})` : ''}`);
          }
          if (engine.kind === 'postgres' && engine.baseUrl) {
            const waited = await postgresMaintenanceSettled(engine.baseUrl);
            notes.push(`after the shared load, waited ${waited.toFixed(1)} s for the server's statistics refresh (VACUUM ANALYZE once writes pause)`);
          }
          return result;
        })();
        return syntheaLoad;
      },
      rawInsertBaseline() {
        rawFloor ??= (async () => {
          const result = await rawInsert(engine, syntheaResources(), options.scratchDir);
          if (result) notes.push(`raw insert floor: ${result.resources} Synthea resources in ${result.seconds.toFixed(2)} s = ${result.resourcesPerSecond}/s (${result.how})`);
          else notes.push(`no raw-insert floor for ${engine.kind}`);
          return result;
        })();
        return rawFloor;
      },
    };
    return {
      context,
      shared,
      rssAfterSeedMb,
      notes,
      async startBaseline() {
        const sample = await fetch(`${shared.base}/Patient/${context.patientIds[0] ?? 'pat-alice-johnson'}`);
        const payloadFile = path.join(options.scratchDir, `patient-${engine.kind}.json`);
        fs.writeFileSync(payloadFile, await sample.text());
        const bare = await startBareServer(payloadFile);
        disposables.push(() => bare.stop());
        context.bareBase = bare.base;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
