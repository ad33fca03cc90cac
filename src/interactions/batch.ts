/**
 * batch (R4 http.html#transaction): POST [base] with a Bundle of type batch. Each entry succeeds or fails
 * on its own, in the R4 order (DELETE, POST, PUT/PATCH, GET); a failing entry gets its 4xx status and
 * OperationOutcome in the batch-response and the others carry on.
 *
 * Speed without giving up independence: entries are committed in groups, one store transaction per group.
 * An entry's only change is its single store.write, and every client error (validation, preconditions,
 * conditional matches, version conflicts) is raised before that write touches anything, so a failed
 * entry leaves no trace inside the group. Any other failure rolls the group back and replays it one
 * entry per transaction.
 */
import { FhirError } from '../fhir/errors.js';
import { newId } from '../fhir/ids.js';
import { bundleEntries, entryExpression, parseEntry, processingOrder, type ParsedEntry } from './bundle-entries.js';
import {
  applyEntryPatch, atEntry, executeCreate, executeDelete, executeGet, executePatch, executeUpdate, type EntryResult,
} from './bundle-execute.js';
import { rewriteReferences } from './bundle-references.js';
import { ConditionalCreatePrefetch } from './bundle-prefetch.js';
import { resolveConditionalReferences, resolveTarget } from './bundle-resolve.js';
import { errorResult, responseBundle, wantsRepresentation } from './bundle-response.js';
import { asUnprocessable } from './patch.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';

const ENTRIES_PER_COMMIT = 500;

export async function batch(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const rawEntries = bundleEntries(req.body, ['batch'], ctx.config);
  const results: EntryResult[] = new Array(rawEntries.length);
  const parsed: ParsedEntry[] = [];
  rawEntries.forEach((raw, index) => {
    try {
      parsed.push(parseEntry(raw, index, req.baseUrl));
    } catch (error) {
      if (!(error instanceof FhirError)) throw error;
      results[index] = errorResult(error);
    }
  });
  const withResource = wantsRepresentation(req);
  const ordered = processingOrder(parsed);
  for (let start = 0; start < ordered.length; start += ENTRIES_PER_COMMIT) {
    const group = ordered.slice(start, start + ENTRIES_PER_COMMIT);
    try {
      const groupResults = await ctx.store.withTransaction((store) => runGroup({ ...ctx, store }, req, group, withResource));
      for (const [index, result] of groupResults) results[index] = result;
    } catch {
      for (const entry of group) {
        const single = await ctx.store.withTransaction((store) => runGroup({ ...ctx, store }, req, [entry], withResource))
          .catch((error: unknown) => new Map([[entry.index, errorResult(error instanceof FhirError ? error : new FhirError('internal', 'The entry failed unexpectedly'))]]));
        for (const [index, result] of single) results[index] = result;
      }
    }
  }
  return { status: 200, headers: {}, body: responseBundle('batch-response', results, ctx.now()) };
}

/** Results by entry index; client errors become error results, anything else propagates to roll back. */
async function runGroup(ctx: ServerContext, req: InteractionRequest, group: ParsedEntry[], withResource: boolean): Promise<Map<number, EntryResult>> {
  const results = new Map<number, EntryResult>();
  // a delete may remove what a cached conditional reference pointed at, so the cache lives per group
  // and is cleared after each delete
  const conditionalReferences = new Map<string, string>();
  const prefetch = await ConditionalCreatePrefetch.forGroup(ctx, req, group);
  for (const entry of group) {
    try {
      results.set(entry.index, await atEntry(entry, () => runEntry(ctx, req, entry, conditionalReferences, withResource, prefetch)));
    } catch (error) {
      if (!(error instanceof FhirError) || error.status >= 500) throw error;
      results.set(entry.index, errorResult(error));
    } finally {
      prefetch.noteWrite(entry);
    }
    if (entry.method === 'DELETE') conditionalReferences.clear();
  }
  return results;
}

async function runEntry(
  ctx: ServerContext, req: InteractionRequest, entry: ParsedEntry, conditionalReferences: Map<string, string>, withResource: boolean,
  prefetch: ConditionalCreatePrefetch,
): Promise<EntryResult> {
  if (entry.method === 'GET' || entry.method === 'HEAD') return executeGet(ctx, req, entry);
  const target = prefetch.knownAbsent(entry) ? { id: newId() } : await resolveTarget(ctx, req, entry, new Map());
  switch (entry.method) {
    case 'DELETE':
      return executeDelete(ctx, req.baseUrl, entry, target);
    case 'PATCH': {
      // the patched resource's references are settled as a POST/PUT entry's; a failure is what the PATCH sent alone
      // answers (patch.ts: 422 for a reference that matches nothing, as for any patched resource that cannot be stored)
      const patched = await applyEntryPatch(ctx, entry, target!);
      await settleReferences(ctx, req, patched, conditionalReferences).catch((error: unknown) => { throw asUnprocessable(error); });
      return executePatch(ctx, req.baseUrl, patched, target!, withResource);
    }
    default:
      await settleReferences(ctx, req, entry, conditionalReferences);
      return entry.method === 'POST'
        ? executeCreate(ctx, req.baseUrl, entry, target!, withResource)
        : executeUpdate(ctx, req.baseUrl, entry, target!, withResource);
  }
}

/**
 * Resolves the conditional references of the resource an entry writes (a PATCH entry's patched resource) and refuses
 * a urn reference: http.html#transaction: batch entries SHALL have no interdependencies, and servers SHALL validate
 * that, so one entry's fullUrl is never rewritten to its id in another.
 */
async function settleReferences(ctx: ServerContext, req: InteractionRequest, entry: ParsedEntry, conditionalReferences: Map<string, string>): Promise<void> {
  await resolveConditionalReferences(ctx, req, [entry], conditionalReferences, { bundleType: 'batch' });
  const urn = rewriteReferences(entry.resource!, { fullUrls: new Map(), conditional: conditionalReferences }).unresolvedUrn;
  if (urn !== undefined) {
    throw new FhirError('invalid-bundle', `Bundle.entry[${entry.index}]: the reference ${urn} names a Bundle entry by its fullUrl; batch entries are independent and are not rewritten to each other's ids (R4 http.html#transaction), so stored it would point nowhere. Send a transaction Bundle, or refer to existing resources as Type/id`, {
      expression: [entryExpression(entry.index, 'resource')],
    });
  }
}
