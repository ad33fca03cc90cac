/**
 * transaction (R4 http.html#transaction): POST [base] with a Bundle of type transaction, processed
 * atomically inside one store transaction: all entries succeed or nothing is stored, and a failure is a
 * 4xx OperationOutcome naming the entry. Order per http.html#trules: DELETE, POST, PUT/PATCH, GET;
 * fullUrls and conditional references are resolved before a resource is written, so each resource is
 * written exactly once with its final references (no re-reading, no second pass). The current versions of the PUT,
 * PATCH and DELETE targets are read together (readCurrentVersions), not one read per entry. A PATCH entry's patch is
 * applied first (its target is changed by no other entry), and the references of the patched resource are settled as
 * a POST or PUT entry's are.
 *
 * A conditional reference (`Practitioner?identifier=...`) to a type the transaction itself writes is resolved
 * after those writes, inside the transaction, so it also finds the resources this Bundle creates or changes, as a
 * migration tool sending Practitioners and the Encounters that name them by identifier expects. The writes go in
 * rounds (writeRounds); a Bundle without such references is one round, in the spec's order.
 */
import { FhirError } from '../fhir/errors.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';
import { bundleEntries, entryExpression, parseEntry, processingOrder, type ParsedEntry } from './bundle-entries.js';
import {
  applyEntryPatch, atEntry, executeCreate, executeDelete, executeGet, executePatch, executeUpdate, type EntryResult, type EntryTarget,
} from './bundle-execute.js';
import { fullUrlBase, rewriteReferences, type FullUrlMap } from './bundle-references.js';
import { conditionalCreatesOfBundle, conditionalReferencesOf, resolveConditionalReferences, resolveTarget, writeRounds, type ConditionalCreateCache } from './bundle-resolve.js';
import { responseBundle, wantsRepresentation } from './bundle-response.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';

export async function transaction(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const entries = bundleEntries(req.body, ['transaction'], ctx.config).map((raw, index) => parseEntry(raw, index, req.baseUrl));
  checkDistinctFullUrls(entries);
  const results = await ctx.store.withTransaction((store) => runTransaction({ ...ctx, store }, req, entries));
  return { status: 200, headers: {}, body: responseBundle('transaction-response', results, ctx.now()) };
}

async function runTransaction(ctx: ServerContext, req: InteractionRequest, entries: ParsedEntry[]): Promise<EntryResult[]> {
  const withResource = wantsRepresentation(req);
  const results: EntryResult[] = new Array(entries.length);
  const ordered = processingOrder(entries);
  const targets = new Map<number, EntryTarget | undefined>();
  const creates: ConditionalCreateCache = new Map();

  const deletes = ordered.filter((entry) => entry.method === 'DELETE');
  // a DELETE Type/id names its target without a search, so the current versions of all of them are read up front
  const deletedIds = deletes.flatMap((entry) => (entry.id ? [{ resourceType: entry.resourceType!, id: entry.id }] : []));
  const beforeDeletes = await readCurrentVersions(ctx.store, deletedIds);
  for (const entry of deletes) {
    const target = await atEntry(entry, () => resolveTarget(ctx, req, entry, creates));
    handOutCurrentVersion(beforeDeletes, entry, target);
    targets.set(entry.index, target);
    results[entry.index] = await atEntry(entry, () => executeDelete(ctx, req.baseUrl, entry, target));
  }
  const fullUrls: FullUrlMap = new Map();
  for (const entry of ordered) {
    if (entry.method === 'DELETE' || entry.method === 'GET' || entry.method === 'HEAD') continue;
    const target = await atEntry(entry, () => resolveTarget(ctx, req, entry, creates));
    targets.set(entry.index, target);
    if (target && entry.fullUrl) fullUrls.set(entry.fullUrl, `${entry.resourceType}/${target.id}`);
  }
  checkDistinctTargets(entries, targets);
  // no other entry writes a PUT or PATCH target (checkDistinctTargets), so a version read now is current when it is used
  const updates = ordered.filter((entry) => (entry.method === 'PUT' || entry.method === 'PATCH') && targets.get(entry.index)?.current === undefined);
  const updatedIds = updates.map((entry) => ({ resourceType: entry.resourceType!, id: targets.get(entry.index)!.id }));
  const beforeUpdates = await readCurrentVersions(ctx.store, updatedIds);
  for (const entry of updates) handOutCurrentVersion(beforeUpdates, entry, targets.get(entry.index));

  const createdHere = conditionalCreatesOfBundle(entries, targets);
  const conditional = new Map<string, string>();
  // a PATCH entry writes its patched resource: its references are settled below as a POST's or PUT's are
  const changes: ParsedEntry[] = [];
  for (const entry of ordered) {
    if (entry.method === 'POST' || entry.method === 'PUT') changes.push(entry);
    else if (entry.method === 'PATCH') changes.push(await atEntry(entry, () => applyEntryPatch(ctx, entry, targets.get(entry.index)!)));
  }
  const referencesOf = conditionalReferencesOf(changes);
  for (const round of writeRounds(changes, targets, createdHere, referencesOf)) {
    await resolveConditionalReferences(ctx, req, round, conditional, { bundleType: 'transaction', createdHere, referencesOf });
    for (const entry of round) rewriteEntryReferences(entry, fullUrls, conditional);
    for (const entry of round) {
      const target = targets.get(entry.index)!;
      if (entry.method === 'POST') results[entry.index] = await atEntry(entry, () => executeCreate(ctx, req.baseUrl, entry, target, withResource));
      else if (entry.method === 'PUT') results[entry.index] = await atEntry(entry, () => executeUpdate(ctx, req.baseUrl, entry, target, withResource));
      else results[entry.index] = await atEntry(entry, () => executePatch(ctx, req.baseUrl, entry, target, withResource));
    }
    // a later round's search of these types must see what this round wrote
    const written = new Set(round.map((entry) => entry.resourceType));
    for (const reference of conditional.keys()) if (written.has(reference.slice(0, reference.indexOf('?')))) conditional.delete(reference);
  }
  for (const entry of ordered) {
    if (entry.method === 'GET' || entry.method === 'HEAD') results[entry.index] = await atEntry(entry, () => executeGet(ctx, req, entry));
  }
  return results;
}

/**
 * The current versions (delete markers included) of `refs` by Type/id, null for those that have none: one readMany
 * (which bounds its own statements) in place of a read per entry. On PostgreSQL each read would also send the creates
 * held back before it (DeferringSession), so a Bundle of PUTs would cost two statements per entry.
 */
async function readCurrentVersions(store: FhirStore, refs: { resourceType: string; id: string }[]): Promise<Map<string, StoredVersion | null>> {
  const known = new Map<string, StoredVersion | null>(refs.map((ref) => [`${ref.resourceType}/${ref.id}`, null]));
  if (refs.length === 0) return known;
  for (const version of await store.readMany(refs, { includeDeleted: true })) known.set(`${version.resourceType}/${version.id}`, version);
  return known;
}

/**
 * Gives the target the version read ahead for its identity, unless it has one already (a conditional match). Each
 * is handed out once: a later DELETE entry naming the same resource reads it again, so it sees this entry's delete
 * rather than a stale version, and the Bundle fails checkDistinctTargets for changing the resource twice.
 */
function handOutCurrentVersion(known: Map<string, StoredVersion | null>, entry: ParsedEntry, target: EntryTarget | undefined): void {
  if (!target) return;
  const identity = `${entry.resourceType}/${target.id}`;
  const version = known.get(identity);
  known.delete(identity);
  if (version !== undefined && target.current === undefined) target.current = version;
}

function rewriteEntryReferences(entry: ParsedEntry, fullUrls: FullUrlMap, conditional: Map<string, string>): void {
  if (!entry.resource) return;
  const unresolved = rewriteReferences(entry.resource, { fullUrls, conditional, entryBase: fullUrlBase(entry.fullUrl) }).unresolvedUrn;
  if (unresolved !== undefined) {
    throw new FhirError('invalid-bundle', `Bundle.entry[${entry.index}]: the reference ${unresolved} is the fullUrl of no entry of this Bundle; a urn:uuid or urn:oid reference resolves only within its Bundle (R4 bundle.html#references), so stored it would point nowhere`, {
      issueCode: 'not-found',
      expression: [entryExpression(entry.index, 'resource')],
    });
  }
}

/** Bundle.entry.fullUrl must be unique in a transaction (bundle.html, bdl-7). */
function checkDistinctFullUrls(entries: readonly ParsedEntry[]): void {
  const seen = new Map<string, number>();
  for (const entry of entries) {
    if (!entry.fullUrl || !entry.resource) continue;
    const first = seen.get(entry.fullUrl);
    if (first !== undefined) {
      throw new FhirError('invalid-bundle', `Bundle.entry[${entry.index}] repeats the fullUrl ${entry.fullUrl} of Bundle.entry[${first}]`, {
        expression: [entryExpression(entry.index, 'fullUrl')],
      });
    }
    seen.set(entry.fullUrl, entry.index);
  }
}

/** http.html#trules: identities (including resolved conditional ones) of writes must not overlap. */
function checkDistinctTargets(entries: readonly ParsedEntry[], targets: Map<number, EntryTarget | undefined>): void {
  const seen = new Map<string, number>();
  for (const entry of entries) {
    if (entry.method === 'GET' || entry.method === 'HEAD') continue;
    const target = targets.get(entry.index);
    if (!target || target.matchedExisting) continue;
    const identity = `${entry.resourceType}/${target.id}`;
    const first = seen.get(identity);
    if (first !== undefined) {
      throw new FhirError('invalid-bundle', `Bundle.entry[${entry.index}] and Bundle.entry[${first}] both change ${identity}; a transaction may change a resource once`, {
        expression: [entryExpression(entry.index)],
      });
    }
    seen.set(identity, entry.index);
  }
}
