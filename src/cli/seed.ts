/**
 * Loads the demo hospital (seed/demo-hospital.json, one transaction Bundle of PUTs with fixed ids) on first start,
 * through the transaction interaction so it is validated and indexed like any client write (DESIGN.md: never
 * straight into the store). Skipped when the hospital Organization already exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '../fhir/types.js';
import { transaction } from '../interactions/transaction.js';
import type { ServerContext } from '../interactions/types.js';

export const DEMO_HOSPITAL_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../seed/demo-hospital.json');
export const HOSPITAL_ORGANIZATION_ID = 'hospital';

export function readDemoHospital(): Bundle {
  return JSON.parse(fs.readFileSync(DEMO_HOSPITAL_FILE, 'utf8')) as Bundle;
}

export async function seedDemoHospital(
  ctx: ServerContext,
  log: { info(msg: string): void },
): Promise<{ loaded: number } | { skipped: true }> {
  const existing = await ctx.store.read('Organization', HOSPITAL_ORGANIZATION_ID);
  if (existing && !existing.deleted) {
    log.info(`Demo hospital already present (Organization/${HOSPITAL_ORGANIZATION_ID}): not seeding again`);
    return { skipped: true };
  }
  const bundle = readDemoHospital();
  const { host, port, basePath, publicBaseUrl } = ctx.config;
  const result = await transaction(ctx, {
    baseUrl: publicBaseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}${basePath}`,
    method: 'POST',
    query: {},
    headers: {},
    prefer: { return: 'minimal' },
    body: bundle,
  });
  if (result.status !== 200) throw new Error(`Seeding the demo hospital failed with status ${result.status}`);
  const loaded = bundle.entry?.length ?? 0;
  log.info(`Demo hospital loaded: ${loaded} resources`);
  return { loaded };
}
