/**
 * Deciding, before anything is written, which resource each entry targets (R4 http.html#trules):
 * new ids for creates, ifNoneExist matches, conditional update/patch/delete matches, and the
 * conditional references (`Type?query`) inside resources, each of which must match exactly one resource.
 */
import { FhirError } from '../fhir/errors.js';
import { newId } from '../fhir/ids.js';
import { referencesToSettle, type ConditionalReferences } from './bundle-references.js';
import type { ParsedEntry } from './bundle-entries.js';
import { entryExpression } from './bundle-entries.js';
import { isPatchedEntry, type EntryTarget } from './bundle-execute.js';
import {
  assertIfNoneExistOf, criteriaFromString, elementExpression, findConditionalMatches, matchConditionalReference, unmatchedConditionalUpdateId,
  unresolvedConditionalReference, type ConditionalReferenceMatch,
} from './conditional.js';
import type { InteractionRequest, ServerContext } from './types.js';
import { assertValidId } from './write-version.js';

/** Conditional creates already decided in this Bundle, so two entries with one ifNoneExist create one resource. */
export type ConditionalCreateCache = Map<string, EntryTarget>;

export async function resolveTarget(
  ctx: ServerContext, req: InteractionRequest, entry: ParsedEntry, creates: ConditionalCreateCache,
): Promise<EntryTarget | undefined> {
  const resourceType = entry.resourceType!;
  switch (entry.method) {
    case 'POST': {
      if (!entry.ifNoneExist) return { id: newId() };
      const key = `${resourceType}?${entry.ifNoneExist}`;
      const decided = creates.get(key);
      if (decided) return { id: decided.id, current: decided.current, matchedExisting: true };
      assertIfNoneExistOf(resourceType, entry.ifNoneExist, 'request.ifNoneExist');
      const matches = await findConditionalMatches(ctx, req, resourceType, criteriaFromString(entry.ifNoneExist));
      if (matches.length > 1) {
        throw new FhirError('multiple-matches', `ifNoneExist "${entry.ifNoneExist}" matches more than one ${resourceType}`);
      }
      const target: EntryTarget = matches.length === 1 ? { id: matches[0].id, current: matches[0], matchedExisting: true } : { id: newId() };
      creates.set(key, target);
      return target;
    }
    case 'PUT': {
      if (entry.id) return { id: entry.id };
      const matches = await findConditionalMatches(ctx, req, resourceType, entry.query);
      if (matches.length > 1) throw new FhirError('multiple-matches', `The conditional update criteria match more than one ${resourceType}`);
      const bodyId = entry.resource!.id;
      if (matches.length === 1) {
        if (bodyId !== undefined && bodyId !== matches[0].id) {
          throw new FhirError('id-mismatch', `The resource id "${bodyId}" differs from the matching ${resourceType}/${matches[0].id}`);
        }
        return { id: matches[0].id, current: matches[0] };
      }
      return { id: await unmatchedConditionalUpdateId(ctx.store, resourceType, bodyId) };
    }
    case 'PATCH':
    case 'DELETE': {
      if (entry.id) {
        assertValidId(entry.id);
        return { id: entry.id };
      }
      const matches = await findConditionalMatches(ctx, req, resourceType, entry.query);
      const action = entry.method === 'PATCH' ? 'patch' : 'delete';
      if (matches.length > 1) throw new FhirError('multiple-matches', `The conditional ${action} criteria match more than one ${resourceType}`);
      if (matches.length === 0) {
        if (entry.method === 'DELETE') return undefined;
        throw new FhirError('not-found', `No ${resourceType} matches the conditional patch criteria`);
      }
      return { id: matches[0].id, current: matches[0] };
    }
    default:
      return undefined;
  }
}

/** A search's identity regardless of parameter order and URL encoding: `Type?` and its sorted decoded parameters. */
export function criteriaKey(resourceType: string, query: string): string {
  const params = criteriaFromString(query);
  return `${resourceType}?${JSON.stringify(Object.keys(params).sort().map((name) => [name, [...params[name]].sort()]))}`;
}

/**
 * The conditional creates of a transaction (POST with ifNoneExist), by criteriaKey, as Type/id: whether the entry
 * creates the resource or matched one. A conditional reference with the same criteria is that resource
 * (http.html#trules processes POSTs before the entries that use them): a search of the store alone would miss a
 * resource this very transaction creates, as when a migration tool sends its Practitioners with ifNoneExist
 * alongside Encounters that refer to them as `Practitioner?identifier=...`.
 */
export function conditionalCreatesOfBundle(entries: readonly ParsedEntry[], targets: ReadonlyMap<number, EntryTarget | undefined>): Map<string, string> {
  const created = new Map<string, string>();
  for (const entry of entries) {
    const target = targets.get(entry.index);
    if (entry.method !== 'POST' || !entry.ifNoneExist || !target) continue;
    const key = criteriaKey(entry.resourceType!, entry.ifNoneExist);
    if (!created.has(key)) created.set(key, `${entry.resourceType}/${target.id}`);
  }
  return created;
}

/**
 * The conditional references (`Type?query`) each entry's resource makes, with the elements holding each (`subject`,
 * `performer[1]`); entries making none are left out. A PATCH entry counts once its patch is applied (applyEntryPatch:
 * the patched resource); its patch document makes none.
 */
export type ConditionalReferencesOfEntries = ReadonlyMap<ParsedEntry, ConditionalReferences>;

export function conditionalReferencesOf(entries: readonly ParsedEntry[]): ConditionalReferencesOfEntries {
  const found = new Map<ParsedEntry, ConditionalReferences>();
  for (const entry of entries) {
    if (!entry.resource || (entry.method === 'PATCH' && !isPatchedEntry(entry))) continue;
    const references = referencesToSettle(entry.resource).conditional;
    if (references.size > 0) found.set(entry, references);
  }
  return found;
}

/**
 * The transaction's POST, PUT and PATCH entries (in processing order) in rounds to write one after another: an entry
 * whose conditional references name a type that another entry still to write changes waits for that entry's round,
 * so its search finds it. Entries that wait only for each other (A names B's type, B names A's) go together in a
 * last round and resolve against the store as it stands then. With no such references: one round, in order.
 * A POST whose ifNoneExist matched an existing resource writes nothing; a reference matching a conditional create of
 * this Bundle resolves without a search (`createdHere`) and waits for nothing.
 */
export function writeRounds(
  changes: readonly ParsedEntry[], targets: ReadonlyMap<number, EntryTarget | undefined>, createdHere: ReadonlyMap<string, string>,
  referencesOf: ConditionalReferencesOfEntries,
): ParsedEntry[][] {
  const writes = (entry: ParsedEntry) => !(entry.method === 'POST' && targets.get(entry.index)?.matchedExisting);
  const writtenTypes = new Set(changes.filter(writes).map((entry) => entry.resourceType!));
  const waitsOn = new Map<ParsedEntry, Set<string>>();
  for (const [entry, references] of referencesOf) {
    const types = new Set<string>();
    for (const reference of references.keys()) {
      const type = reference.slice(0, reference.indexOf('?'));
      if (writtenTypes.has(type) && !createdHere.has(criteriaKey(type, reference))) types.add(type);
    }
    if (types.size > 0) waitsOn.set(entry, types);
  }
  if (waitsOn.size === 0) return [[...changes]];

  const rounds: ParsedEntry[][] = [];
  let pending = [...changes];
  while (pending.length > 0) {
    const writers = new Map<string, number>();
    for (const entry of pending) if (writes(entry)) writers.set(entry.resourceType!, (writers.get(entry.resourceType!) ?? 0) + 1);
    const othersWrite = (entry: ParsedEntry, type: string) => (writers.get(type) ?? 0) - (writes(entry) && entry.resourceType === type ? 1 : 0) > 0;
    let ready = pending.filter((entry) => ![...(waitsOn.get(entry) ?? [])].some((type) => othersWrite(entry, type)));
    if (ready.length === 0) ready = pending;
    const inRound = new Set(ready);
    rounds.push(ready);
    pending = pending.filter((entry) => !inRound.has(entry));
  }
  return rounds;
}

/**
 * Resolves every distinct conditional reference of the given entries to Type/id, searching once per
 * distinct query (`createdHere`: conditional creates of the same Bundle, by criteriaKey, resolve without a search).
 * None or several matches fail the request, naming the first entry using the reference and the elements of its
 * resource that hold it (`Bundle.entry[3].resource.subject`). In a transaction the whole Bundle fails
 * (`transaction-failed`, `multiple-matches`); a batch entry fails alone with the error the same request sent on its
 * own gets (http.html#transaction: each batch entry is processed as if it were an individual interaction).
 */
export async function resolveConditionalReferences(
  ctx: ServerContext, req: InteractionRequest, entries: readonly ParsedEntry[], resolved: Map<string, string>,
  options: { bundleType: 'transaction' | 'batch'; createdHere?: ReadonlyMap<string, string>; referencesOf?: ConditionalReferencesOfEntries },
): Promise<Map<string, string>> {
  const { bundleType, createdHere } = options;
  const referencesOf = options.referencesOf ?? conditionalReferencesOf(entries);
  const firstUse = new Map<string, { entry: ParsedEntry; elements: readonly string[] }>();
  for (const entry of entries) {
    for (const [reference, elements] of referencesOf.get(entry) ?? []) {
      if (!resolved.has(reference) && !firstUse.has(reference)) firstUse.set(reference, { entry, elements });
    }
  }
  for (const [reference, { entry, elements }] of firstUse) {
    const resourceType = reference.slice(0, reference.indexOf('?'));
    // a conditional create of this Bundle has a known type: an unknown one is reported by the match below
    const here = createdHere?.size ? createdHere.get(criteriaKey(resourceType, reference)) : undefined;
    if (here) {
      resolved.set(reference, here);
      continue;
    }
    const match = await matchConditionalReference(ctx, req, reference);
    if (match.kind === 'one') {
      resolved.set(reference, match.reference);
      continue;
    }
    const expression = elements.map((element) => elementExpression(entryExpression(entry.index, 'resource'), element));
    if (bundleType === 'batch') throw unresolvedConditionalReference(reference, match, expression, `Bundle.entry[${entry.index}]: `);
    throw transactionFailure(reference, match, expression, entry.index);
  }
  return resolved;
}

function transactionFailure(
  reference: string, match: Exclude<ConditionalReferenceMatch, { kind: 'one' }>, expression: string[], index: number,
): FhirError {
  const fail = (code: 'transaction-failed' | 'multiple-matches' | 'unknown-resource-type', message: string) =>
    new FhirError(code, `Bundle.entry[${index}]: ${message}`, {
      status: code === 'unknown-resource-type' ? 400 : undefined,
      issueCode: code === 'multiple-matches' ? 'multiple-matches' : code === 'unknown-resource-type' ? 'invalid' : 'not-found',
      expression,
    });
  switch (match.kind) {
    case 'unknown-type':
      return fail('unknown-resource-type', `the conditional reference ${reference} names an unknown resource type`);
    case 'invalid-search':
      return fail('transaction-failed', `the conditional reference ${reference} is not a valid search: ${match.message}`);
    case 'none':
      return fail('transaction-failed', `the conditional reference ${reference} matches no resource`);
    case 'several':
      return fail('multiple-matches', `the conditional reference ${reference} matches more than one resource`);
  }
}
