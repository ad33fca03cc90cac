/**
 * Search IR conditions -> one MongoDB filter over current-state documents (document.ts).
 * Pure apart from chains and _has: those cannot join inside one filter, so their inner query is compiled
 * first and run through `SubQueryRunner` (the store's collection, or mingo in the cross-check); its ids come
 * back into the outer filter as an $in.
 */
import type { Document } from 'mongodb';
import { FhirError } from '../../fhir/errors.js';
import type { Condition, IndexKind } from '../../search/ir.js';
import { INDEX_FIELD, resourceKey, type ReferenceDoc } from './document.js';
import { NO_ENTRY, rangePredicate, valuePredicateFor } from './compile-values.js';

export interface SubQueryRunner {
  find(filter: Document, projection: Document): Promise<Document[]>;
}

/** Matches no document (an empty OR, a chain whose target matched nothing). */
export const NO_DOCUMENT: Document = { _id: { $in: [] } };

/**
 * A chain or _has whose inner query yields more ids than this is refused with 'too-costly' rather than
 * sending an $in that could exceed MongoDB's 16 MB command limit or silently truncating it.
 */
export const MAX_SUBQUERY_IDS = 100_000;

export const fieldOf = (index: IndexKind): string => INDEX_FIELD[index];

/** current (not deleted) resources of the given types; null = every type */
export function baseFilter(types: string[] | null): Document {
  return types === null ? { deleted: false } : { deleted: false, type: { $in: types } };
}

export const andFilters = (filters: Document[]): Document => {
  const parts = filters.filter((filter) => Object.keys(filter).length > 0);
  if (parts.length === 0) return {};
  return parts.length === 1 ? parts[0]! : { $and: parts };
};

const anyOf = (filters: Document[], none: Document): Document => {
  if (filters.length === 0) return none;
  return filters.length === 1 ? filters[0]! : { $or: filters };
};

/** `{p: param}` plus the predicate, merged flat when no key collides (keeps index bounds simple). */
function entryMatch(param: string, predicate: Document): Document {
  return 'p' in predicate ? { $and: [{ p: param }, predicate] } : { p: param, ...predicate };
}

function compositeMatch(condition: Extract<Condition, { kind: 'composite' }>): Document {
  const alternatives = condition.alternatives.map((components) =>
    andFilters(components.map((component) => ({
      [fieldOf(component.index)]: { $elemMatch: entryMatch(component.param, valuePredicateFor(component.match)) },
    }))));
  if (alternatives.length === 0) return NO_DOCUMENT;
  return { cmp: { $elemMatch: entryMatch(condition.param, anyOf(alternatives, NO_ENTRY)) } };
}

/**
 * Compiled one after another, never concurrently: sub-queries may run inside a MongoDB transaction, whose
 * session does not take parallel operations.
 */
async function compileEach(conditions: Condition[], runner: SubQueryRunner): Promise<Document[]> {
  const filters: Document[] = [];
  for (const condition of conditions) filters.push(await compileCondition(condition, runner));
  return filters;
}

export async function compileWhere(conditions: Condition[], runner: SubQueryRunner): Promise<Document> {
  return andFilters(await compileEach(conditions, runner));
}

export async function compileCondition(condition: Condition, runner: SubQueryRunner): Promise<Document> {
  switch (condition.kind) {
    case 'param': {
      const values = condition.values.map(valuePredicateFor);
      return { [fieldOf(condition.index)]: { $elemMatch: entryMatch(condition.param, anyOf(values, NO_ENTRY)) } };
    }
    case 'composite':
      return compositeMatch(condition);
    case 'missing': {
      const hasEntry = { [fieldOf(condition.index)]: { $elemMatch: { p: condition.param } } };
      return condition.missing ? { $nor: [hasEntry] } : hasEntry;
    }
    case 'id':
      return { id: { $in: condition.ids } };
    case 'lastUpdated':
      return rangePredicate(condition.prefix, condition.low, condition.high, 'lastUpdated', 'lastUpdated');
    case 'type':
      return { type: { $in: condition.types } };
    case 'not':
      // $nor over the whole compiled condition = "no matching entry" (SQL NOT EXISTS), absent arrays included
      return { $nor: [await compileCondition(condition.condition, runner)] };
    case 'or':
      return anyOf(await compileEach(condition.conditions, runner), NO_DOCUMENT);
    case 'and':
      return compileWhere(condition.conditions, runner);
    case 'chain':
      return compileChain(condition, runner);
    case 'has':
      return compileHas(condition, runner);
  }
}

function refuseLarge(count: number, what: string): void {
  if (count > MAX_SUBQUERY_IDS) {
    throw new FhirError('too-costly', `The ${what} matches more than ${MAX_SUBQUERY_IDS} resources; narrow the search`);
  }
}

/** forward chain: reference `param` points at a current resource of `targetTypes` matching `where` */
async function compileChain(condition: Extract<Condition, { kind: 'chain' }>, runner: SubQueryRunner): Promise<Document> {
  const targetTypes = condition.targetTypes.length > 0 ? condition.targetTypes : null;
  const inner = andFilters([baseFilter(targetTypes), await compileWhere(condition.where, runner)]);
  const targets = await runner.find(inner, { type: 1, id: 1 });
  refuseLarge(targets.length, `chained search on ${condition.param}`);
  const idsByType = new Map<string, string[]>();
  for (const target of targets) {
    const ids = idsByType.get(target.type as string) ?? [];
    ids.push(target.id as string);
    idsByType.set(target.type as string, ids);
  }
  const pointsAt = [...idsByType].map(([type, ids]) => ({ tt: type, ti: { $in: ids } }));
  if (pointsAt.length === 0) return NO_DOCUMENT;
  return { ref: { $elemMatch: entryMatch(condition.param, anyOf(pointsAt, NO_ENTRY)) } };
}

/** _has: some current `sourceType` resource matching `where` references this one through `param` */
async function compileHas(condition: Extract<Condition, { kind: 'has' }>, runner: SubQueryRunner): Promise<Document> {
  const referencing = { ref: { $elemMatch: { p: condition.param, ti: { $ne: null } } } };
  const inner = andFilters([baseFilter([condition.sourceType]), referencing, await compileWhere(condition.where, runner)]);
  const sources = await runner.find(inner, { ref: 1 });
  const targets = new Set<string>();
  for (const source of sources) {
    for (const entry of (source.ref ?? []) as ReferenceDoc[]) {
      if (entry.p === condition.param && entry.tt && entry.ti) targets.add(resourceKey(entry.tt, entry.ti));
    }
  }
  refuseLarge(targets.size, `_has:${condition.sourceType}:${condition.param}`);
  return targets.size === 0 ? NO_DOCUMENT : { _id: { $in: [...targets] } };
}
