/**
 * batch (R4 http.html#transaction): POST [base] with a Bundle of type batch. Each entry is processed on
 * its own, atomically, in the R4 order (DELETE, POST, PUT/PATCH, GET); a failing entry gets its 4xx status
 * and OperationOutcome in the batch-response and the others carry on.
 */
import { FhirError } from '../fhir/errors.js';
import { bundleEntries, parseEntry, processingOrder, type ParsedEntry } from './bundle-entries.js';
import {
  atEntry, executeCreate, executeDelete, executeGet, executePatch, executeUpdate, type EntryResult,
} from './bundle-execute.js';
import { rewriteReferences } from './bundle-references.js';
import { resolveConditionalReferences, resolveTarget, type ConditionalCreateCache } from './bundle-resolve.js';
import { errorResult, responseBundle, wantsRepresentation } from './bundle-response.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';

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
  const conditionalReferences = new Map<string, string>();
  for (const entry of processingOrder(parsed)) {
    try {
      results[entry.index] = await atEntry(entry, () => runEntry(ctx, req, entry, conditionalReferences, withResource));
      // a delete may remove a resource a cached conditional reference pointed at
      if (entry.method === 'DELETE') conditionalReferences.clear();
    } catch (error) {
      if (!(error instanceof FhirError)) throw error;
      results[entry.index] = errorResult(error);
    }
  }
  return { status: 200, headers: {}, body: responseBundle('batch-response', results, ctx.now()) };
}

async function runEntry(
  ctx: ServerContext, req: InteractionRequest, entry: ParsedEntry, conditionalReferences: Map<string, string>, withResource: boolean,
): Promise<EntryResult> {
  if (entry.method === 'GET' || entry.method === 'HEAD') return executeGet(ctx, req, entry);
  return ctx.store.withTransaction(async (store) => {
    const txCtx: ServerContext = { ...ctx, store };
    const creates: ConditionalCreateCache = new Map();
    const target = await resolveTarget(txCtx, req, entry, creates);
    switch (entry.method) {
      case 'DELETE':
        return executeDelete(txCtx, req.baseUrl, entry, target);
      case 'PATCH':
        return executePatch(txCtx, req.baseUrl, entry, target!, withResource);
      default: {
        await resolveConditionalReferences(txCtx, req, [entry], conditionalReferences);
        rewriteReferences(entry.resource!, { fullUrls: new Map(), conditional: conditionalReferences });
        return entry.method === 'POST'
          ? executeCreate(txCtx, req.baseUrl, entry, target!, withResource)
          : executeUpdate(txCtx, req.baseUrl, entry, target!, withResource);
      }
    }
  });
}
