/**
 * $export kick-off at system (`[base]/$export`), Patient (`[base]/Patient/$export`) and Group
 * (`[base]/Group/[id]/$export`) level (Bulk Data Access IG 2.0, export.html), GET with query parameters or
 * POST with a Parameters body. Everything the job will need is checked here, so a bad request is a 400 at
 * once and never a failed job: the async requirement, `_outputFormat`, `_since`, `_type` (known types; at
 * Patient and Group level, Patient compartment types), `_typeFilter` (parsed like any search) and `patient`.
 * The job is persisted and queued; the answer is 202 with the status URL in Content-Location.
 */
import { FhirError, notFound } from '../../fhir/errors.js';
import { isValidId } from '../../fhir/ids.js';
import type { ExportJob, ExportSpec } from '../../jobs/bulk-job.js';
import { newJobId } from '../../jobs/bulk-job.js';
import { startBulkJobRunner } from '../../jobs/bulk-job-runner.js';
import { patientCompartmentTypes, splitTypeFilters, typeFilterCondition } from '../../jobs/export-plan.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../types.js';
import { assertValidId } from '../write-version.js';
import {
  accepted, checkKnownParameters, checkOutputFormat, invalidParameter, kickOffParameters, listValues, readSince, requestUrl, requireRespondAsync,
} from './bulk-parameters.js';

const SYSTEM_PARAMETERS = new Set(['_outputFormat', '_since', '_type', '_typeFilter']);
const PATIENT_PARAMETERS = new Set([...SYSTEM_PARAMETERS, 'patient']);

type Level = ExportSpec['level'];

function levelOf(req: InteractionRequest): Level {
  if (!req.resourceType) return 'system';
  if (req.resourceType === 'Patient' && req.id === undefined) return 'patient';
  if (req.resourceType === 'Group' && req.id !== undefined) return 'group';
  throw new FhirError('not-found', `$export is served at [base]/$export, [base]/Patient/$export and [base]/Group/[id]/$export`);
}

/** `_type`: known types; at Patient and Group level only Patient compartment types (others dropped when lenient). */
function readTypes(ctx: ServerContext, req: InteractionRequest, params: Record<string, string[]>, level: Level, warnings: string[]): string[] | undefined {
  const requested = listValues(params, '_type');
  if (requested === undefined) return undefined;
  const unknown = requested.filter((type) => !ctx.definitions.resourceTypes.has(type));
  if (unknown.length) throw invalidParameter('_type', `_type names unknown resource type(s): ${unknown.join(', ')}`);
  if (level === 'system') return requested;
  const compartment = new Set(patientCompartmentTypes(ctx));
  const outside = requested.filter((type) => !compartment.has(type));
  if (outside.length) {
    const message = `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in the Patient compartment, so a ${level}-level export cannot hold ${outside.length === 1 ? 'it' : 'them'}`;
    if (req.prefer.handling !== 'lenient') throw invalidParameter('_type', message);
    warnings.push(`${message}; left out (Prefer: handling=lenient)`);
  }
  const kept = requested.filter((type) => compartment.has(type));
  if (kept.length === 0) throw invalidParameter('_type', `_type leaves no resource type to export`);
  return kept;
}

/** `_typeFilter`: each one a valid search on a type the export includes. */
async function readTypeFilters(ctx: ServerContext, req: InteractionRequest, params: Record<string, string[]>, types: string[] | undefined, level: Level): Promise<string[]> {
  const filters = splitTypeFilters(params._typeFilter ?? []);
  const included = new Set(types ?? (level === 'system' ? ctx.definitions.resourceTypes : patientCompartmentTypes(ctx)));
  for (const value of filters) {
    const { type } = await typeFilterCondition(ctx, value, req.baseUrl);
    if (!included.has(type)) throw invalidParameter('_typeFilter', `_typeFilter "${value}" is for ${type}, which this export does not include`);
  }
  return filters;
}

/** `patient` (Patient and Group level): references to patients, as ids. */
function readPatients(params: Record<string, string[]>): string[] | undefined {
  const values = params.patient;
  if (!values) return undefined;
  return [...new Set(values.map((reference) => {
    const id = /^(?:.*\/)?Patient\/([^/]+)$/.exec(reference.trim())?.[1];
    if (!id || !isValidId(id)) throw invalidParameter('patient', `patient must reference a Patient (Patient/[id]), got "${reference}"`);
    return id;
  }))];
}

function operationPath(level: Level, groupId: string | undefined): string {
  if (level === 'system') return '$export';
  return level === 'patient' ? 'Patient/$export' : `Group/${groupId}/$export`;
}

export async function bulkExport(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const level = levelOf(req);
  requireRespondAsync(req, '$export');
  const params = kickOffParameters(req);
  const warnings = checkKnownParameters(req, params, level === 'system' ? SYSTEM_PARAMETERS : PATIENT_PARAMETERS, '$export');
  checkOutputFormat(params);
  const since = readSince(params);
  const types = readTypes(ctx, req, params, level, warnings);
  const typeFilters = await readTypeFilters(ctx, req, params, types, level);
  const patients = readPatients(params);
  if (level === 'group') {
    assertValidId(req.id!);
    const group = await ctx.store.read('Group', req.id!);
    if (!group || group.deleted) throw notFound('Group', req.id!);
  }

  const now = ctx.now().toISOString();
  const spec: ExportSpec = { level, typeFilters, warnings };
  if (level === 'group') spec.groupId = req.id!;
  if (types) spec.types = types;
  if (since) spec.since = since;
  if (patients) spec.patients = patients;
  if (req.accessConditions?.length) spec.accessConditions = req.accessConditions;
  const job: ExportJob = {
    id: newJobId(), kind: 'export', state: 'queued', createdAt: now, transactionTime: now,
    request: requestUrl(req, operationPath(level, req.id)), baseUrl: req.baseUrl, output: [], error: [], spec,
  };
  await startBulkJobRunner(ctx).submit(job);
  return accepted(req.baseUrl, job.id, '$export');
}
