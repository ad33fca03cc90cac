/**
 * Condition (src/search/ir.ts) -> SQL over a current-state row alias. A query block is an AND of conditions; one of
 * them (selectivity.ts) drives: it is compiled as an index lookup, `alias.rkey IN (SELECT rkey FROM idx ... )`
 * (a UNION of lookups when its alternatives use different index columns), and every other condition is a probe,
 * `EXISTS (SELECT 1 FROM idx WHERE idx.rkey = alias.rkey ...)`, which reads only the candidate's own rows of that
 * index table through its (rkey, seq) key. Parameters are bound in the order they appear in the text.
 */
import type { Condition, ValueMatch } from '../../search/ir.js';
import type { SqlDialect } from './dialect.js';
import { InliningParams, type Params } from './paging.js';
import { chooseDriver, driveRank } from './selectivity.js';
import { INDEX_TABLES, RESOURCE_TABLE } from './tables.js';
import { compileValueMatch, indexedAlternatives, rangePrefix } from './value-matches.js';
import { allOf, anyOf } from './boolean-terms.js';

type Composite = Extract<Condition, { kind: 'composite' }>;

export interface BlockOptions {
  count?: boolean;
  walk?: boolean;
  /** the statement reads a page in key order (no other sort) and counts nothing along: see dialect.keyOrderedType */
  keyOrderedPage?: boolean;
}

/**
 * Lookups whose match count depends on the value far more than the planner's guess for an unknown value can tell: a
 * code without its system (gender=female, category=laboratory: a large share of a type, where a code with its system
 * usually is not) and ranges (string prefixes, dates, numbers, quantities). Their values go into the statement text
 * where the dialect allows (dialect.literal), so PostgreSQL plans for them, once per text: Observation?category=
 * laboratory, 1,400 of 3,380 matches, 2.1 ms as a nested loop planned for any code, 0.3 ms as the merge join planned
 * for this one; a prefix range bound as parameters was planned again on every execution (0.3-0.5 ms of its ~0.6).
 */
export function selectivityVaries(value: ValueMatch): boolean {
  if (value.kind === 'token') return value.op !== 'text' && value.system === undefined && value.code !== undefined;
  if (value.kind === 'string') return value.op === 'starts';
  return value.kind === 'date' || value.kind === 'number' || value.kind === 'quantity';
}

/** lookups of one driving condition beyond this many are matched by one OR instead of a UNION */
const MAX_UNION = 50;

/** probes of one block beyond this many stay per-candidate tests (dialect.unjoinedSubquery) */
const MAX_JOINED_PROBES = 6;

/** ranked probes of one block beyond this many are left to the engine's order (dialect.inOrder nests one CASE per probe) */
const MAX_ORDERED_PROBES = 8;

/** the rank of a probe that is not an index-entry test with a selectivity rank (selectivity.ts): after those */
const UNRANKED = 100;

/**
 * A probe's place among the block's probes: a parameter's test by the rank of its lookup (the rows it would find:
 * the fewer, the more candidates it rejects), so the most selective runs first and the others only on the candidates
 * it kept; anything else (negations, :missing, chains, row tests) after them, in the query's order.
 */
function probeRank(condition: Condition): number {
  return condition.kind === 'param' ? driveRank(condition) ?? UNRANKED : UNRANKED;
}

export class ConditionCompiler {
  private aliasCount = 0;

  constructor(readonly params: Params, readonly dialect: SqlDialect) {}

  /**
   * WHERE terms for current rows `alias` that are live, of one of `types` (null: any) and match every condition.
   * With a driving lookup, the type test stays off the index (SQLite would otherwise walk every row of the type
   * and probe the match list); an id condition drives through the (type, id) key instead.
   * With `count`, the type test stays indexed: each key the lookup finds is checked in the narrow (type, deleted)
   * index instead of the resource row. With `walk`, nothing drives: the rows of the types are walked in key order
   * and every condition is probed (a first page when most rows of the types match).
   */
  block(alias: string, types: string[] | null, conditions: Condition[], options: BlockOptions = {}): string[] {
    const driver = options.walk ? -1 : chooseDriver(conditions);
    const terms = [`${alias}.deleted = 0`];
    const lookupDrives = driver >= 0 && conditions[driver]!.kind !== 'id' && !options.count;
    const keyOrdered = lookupDrives && options.keyOrderedPage === true && this.dialect.keyOrderedType !== undefined;
    if (types !== null) {
      const column = keyOrdered ? this.dialect.keyOrderedType!(`${alias}.type`) : lookupDrives ? this.dialect.unindexed(`${alias}.type`) : `${alias}.type`;
      terms.push(types.length ? `${column} IN (${lookupDrives ? this.typeList(types) : this.params.list(types)})` : '1 = 0');
    }
    // the lookup is pinned as the driver only when other conditions are probed beside it: alone, the planner's
    // choice between it and the type's rows is sound (a hash join for a wide lookup such as category=laboratory).
    // A chain is pinned even alone: PostgreSQL cannot estimate a join's output, plans it as a few rows, and then
    // probes every one of them before its top-N sort (Observation?subject:Patient.name=, 408 references: 1.4 ms),
    // where the sorted key array is probed in order only until the page is full (0.7 ms). So is a key-ordered page's.
    const pinned = keyOrdered || conditions.length > 1 || (driver >= 0 && conditions[driver]!.kind === 'chain');
    // a walk probes each row it passes until the page is full: as a join, PostgreSQL would read every match first.
    // Beside a pinned lookup, the probes test its candidates: joined, a generic plan of
    // Observation?patient=<id>&code=<loinc>&date=ge drove from the code's 2,421 rows instead and checked each against
    // the patient's key array linearly (22 ms; 2 ms probing the 319 candidates, and planned in 1.2 ms instead of 9)
    const unjoined = options.walk === true || (lookupDrives && pinned) || conditions.length - (driver >= 0 ? 1 : 0) > MAX_JOINED_PROBES;
    terms.push(...this.driverAndProbes(alias, conditions, driver, unjoined, options.walk === true, (condition) => this.drive(condition, alias, pinned, types)));
    return terms;
  }

  /**
   * A first page's block on an engine with dialect.typedReferenceDrive, when a reference lookup drives it: the
   * candidates are the keys of the lookup's rows, as the derived table `alias` (`from`), and `where` holds the probes
   * alone. A reference row that carries its resource's type (tables.ts sourceType) is of a live resource of that type
   * (a resource's index rows are those of its current, live version), so its resource row need not be looked up; rows
   * without a type (a store migrated from schema version 4 and not yet reindexed) are checked against it as before.
   * Undefined when the block does not qualify.
   */
  typedReferenceDrive(alias: string, types: string[] | null, conditions: Condition[]): { from: string; where: string[] } | undefined {
    if (!this.dialect.typedReferenceDrive || types === null || types.length === 0) return undefined;
    const driver = chooseDriver(conditions);
    if (driver < 0 || !onReferenceRows(conditions[driver]!)) return undefined;
    if (!conditions.every((condition, n) => n === driver || probesKeyOnly(condition))) return undefined;
    const boundBefore = this.params.values.length;
    let from: string | undefined;
    const where = this.driverAndProbes(alias, conditions, driver, true, false, (condition) => {
      from = this.typedKeys(alias, condition, types);
      return undefined;
    });
    if (from !== undefined) return { from, where };
    // the block is compiled the usual way instead, binding its values again
    this.params.values.length = boundBefore;
    return undefined;
  }

  /** the keys of resources of `types` whose reference rows match, as the derived table `alias`; undefined when no lookup matches */
  private typedKeys(alias: string, condition: Condition, types: string[]): string | undefined {
    const selects = this.lookups(condition, types, 'checked');
    if (!selects?.length) return undefined;
    const keys = this.alias('u');
    return `(SELECT DISTINCT ${keys}.rkey FROM (${selects.join(' UNION ALL ')}) ${keys}) ${alias}`;
  }

  /**
   * The driver's term (`drive`; none when it returns undefined) and the probes of every other condition, compiled (and
   * so bound) in the order they are evaluated: the driver, then the probes that reject the most candidates.
   */
  private driverAndProbes(
    alias: string, conditions: Condition[], driver: number, unjoined: boolean, walk: boolean, drive: (condition: Condition) => string | undefined,
  ): string[] {
    const terms: string[] = [];
    const ranks = conditions.map((condition, n) => (n === driver ? -1 : probeRank(condition)));
    const order = conditions.map((_, n) => n).sort((a, b) => ranks[a]! - ranks[b]!);
    const ranked: string[] = [];
    let rankedAt = 0;
    for (const n of order) {
      const condition = conditions[n]!;
      if (n === driver) {
        const term = drive(condition);
        if (term !== undefined) terms.push(term);
        rankedAt = terms.length;
      }
      // a walk reads the type's rows in key order: SQLite would otherwise read a wide _lastUpdated range of the
      // (type, last_updated) index and sort all of it (Patient?_lastUpdated=gt<date> over 50,000 Patients: 24 ms)
      else if (walk && condition.kind === 'lastUpdated') terms.push(this.lastUpdatedTest(condition, alias, true));
      else if (ranks[n]! < UNRANKED) ranked.push(this.probe(condition, alias, unjoined));
      else terms.push(this.probe(condition, alias, unjoined));
    }
    const keepOrder = unjoined && this.dialect.inOrder !== undefined && ranked.length > 1 && ranked.length <= MAX_ORDERED_PROBES;
    // in the text where they were compiled: after the driver (compiled first), before the unranked terms
    terms.splice(rankedAt, 0, ...(keepOrder ? [this.dialect.inOrder!(ranked)] : ranked));
    return terms;
  }

  /**
   * Beside a driving lookup, resource types are written into the text where the dialect plans better knowing values:
   * a generic plan that knows neither the type's row count nor the driving key array's size walked every Observation
   * filtering by the array (Observation?subject:Patient.name=, 2.7 ms) where the plan for the type probes the array's
   * keys (0.7 ms). The types are a fixed set of names, so the number of statements stays bounded. A walk of a type's
   * rows keeps them bound: knowing Observation is a quarter of the table, PostgreSQL joined a page of 1,000 to the
   * content by reading the whole table (7.5 ms, against 1.4 ms for the generic plan's 1,000 key lookups).
   */
  private typeList(types: string[]): string {
    return (this.dialect.literal ? new InliningParams(this.params, this.dialect.literal) : this.params).list(types);
  }

  /**
   * the condition as the lookup that finds the block's candidate rows, of one of `types` (null: any); `pinned`:
   * evaluated first (dialect.driveIn)
   */
  drive(condition: Condition, alias: string, pinned: boolean, types: string[] | null): string {
    switch (condition.kind) {
      case 'id':
        return condition.ids.length ? `${alias}.id IN (${this.params.list(condition.ids)})` : '1 = 0';
      case 'has': {
        const reference = this.alias('ref');
        const source = this.alias('s');
        return `(${alias}.type, ${alias}.id) IN (SELECT ${reference}.target_type, ${reference}.target_id FROM ${RESOURCE_TABLE} ${source}`
          + ` JOIN ${INDEX_TABLES.reference.table} ${reference} ON ${reference}.rkey = ${source}.rkey`
          + ` AND ${reference}.param = ${this.params.bind(condition.param)}`
          + ` WHERE ${allOf(this.block(source, [condition.sourceType], condition.where))})`;
      }
      default: {
        const selects = this.lookups(condition, types);
        if (selects === undefined) return this.probe(condition, alias);
        if (!selects.length) return '1 = 0';
        const union = selects.join(' UNION ALL ');
        return pinned ? this.dialect.driveIn(`${alias}.rkey`, union) : `${alias}.rkey IN (${union})`;
      }
    }
  }

  /**
   * `SELECT rkey ...` statements whose union is the rows of resources of `types` (null: any) matching the condition
   * (and maybe of other types: the block tests the type); undefined when it has none
   */
  private lookups(condition: Condition, types: string[] | null, rows: SourceTypedRows = 'either'): string[] | undefined {
    const params = this.params;
    switch (condition.kind) {
      case 'param': {
        const spec = INDEX_TABLES[condition.index];
        const row = this.alias('i');
        const column = (name: string) => `${row}.${name}`;
        const head = () => `SELECT ${row}.rkey FROM ${spec.table} ${row} WHERE ${row}.param = ${params.bind(condition.param)} AND `
          + (spec.sourceType ? this.sourceTypeTest(row, types, '', ' AND ', rows) : '');
        const literal = this.dialect.literal;
        const values = literal && condition.values.every(selectivityVaries) ? new InliningParams(params, literal) : params;
        const alternatives = condition.values.flatMap((value) => indexedAlternatives(value, column, values, this.dialect));
        if (alternatives.length > MAX_UNION) {
          const start = head();
          return [`${start}(${anyOf(condition.values.map((value) => compileValueMatch(value, column, values, this.dialect)))})`];
        }
        // each head binds the parameter before its alternative binds its values
        return alternatives.map((alternative) => head() + alternative());
      }
      case 'composite':
        return condition.alternatives.map((components) => this.compositeRows(components));
      case 'chain': {
        const reference = this.alias('ref');
        const target = this.alias('t');
        return [`SELECT ${reference}.rkey FROM ${RESOURCE_TABLE} ${target} JOIN ${INDEX_TABLES.reference.table} ${reference}`
          + ` ON ${reference}.target_id = ${target}.id AND ${reference}.target_type = ${target}.type`
          + ` AND ${reference}.param = ${params.bind(condition.param)}`
          + this.sourceTypeTest(reference, types, ' AND ')
          + ` WHERE ${allOf(this.block(target, condition.targetTypes.length ? condition.targetTypes : null, condition.where))}`];
      }
      case 'or': {
        const all: string[] = [];
        for (const inner of condition.conditions) {
          const selects = this.lookups(inner, types, rows);
          if (selects === undefined) return undefined;
          all.push(...selects);
        }
        return all;
      }
      default:
        return undefined;
    }
  }

  /**
   * The condition tested on the row `alias` already found, reading only that resource's index rows. `unjoined`: its
   * EXISTS subqueries, and those of the conditions inside it, end with dialect.unjoinedSubquery.
   */
  probe(condition: Condition, alias: string, unjoined = false): string {
    const params = this.params;
    switch (condition.kind) {
      case 'param': {
        const row = this.alias('i');
        // an exact key of the lookup index (every column before rkey bound by equality) is one seek; otherwise the
        // candidate's own rows are read by (rkey, seq) rather than walking a value range of the lookup index
        // (one value only: SQLite plans an OR of several seeks as a walk of the parameter's whole range)
        const param = condition.values.length === 1 && seeksLookup(condition.values[0]!) ? `${row}.param` : this.dialect.probeParam(`${row}.param`);
        const head = `SELECT 1 FROM ${INDEX_TABLES[condition.index].table} ${row} WHERE ${row}.rkey = ${alias}.rkey`
          + ` AND ${param} = ${params.bind(condition.param)} AND `;
        const matches = condition.values.map((value) => compileValueMatch(value, (name) => `${row}.${name}`, params, this.dialect));
        return this.exists(`${head}${matches.length ? `(${anyOf(matches)})` : '1 = 0'}`, unjoined);
      }
      case 'composite': {
        if (condition.alternatives.length === 0) return '1 = 0';
        return `(${anyOf(condition.alternatives.map((components) => this.exists(this.compositeRows(components, alias), unjoined)))})`;
      }
      case 'missing': {
        const row = this.alias('i');
        const has = this.exists(`SELECT 1 FROM ${INDEX_TABLES[condition.index].table} ${row}`
          + ` WHERE ${row}.rkey = ${alias}.rkey AND ${this.dialect.probeParam(`${row}.param`)} = ${params.bind(condition.param)}`, unjoined);
        return condition.missing ? `NOT ${has}` : has;
      }
      case 'id':
        return condition.ids.length ? `${alias}.id IN (${params.list(condition.ids)})` : '1 = 0';
      case 'lastUpdated':
        return this.lastUpdatedTest(condition, alias);
      case 'type':
        return condition.types.length ? `${alias}.type IN (${params.list(condition.types)})` : '1 = 0';
      case 'not':
        return `NOT (${this.probe(condition.condition, alias, unjoined)})`;
      case 'or':
        if (condition.conditions.length === 0) return '1 = 0';
        return `(${anyOf(condition.conditions.map((inner) => `(${this.probe(inner, alias, unjoined)})`))})`;
      case 'and':
        return condition.conditions.length ? `(${allOf(condition.conditions.map((inner) => this.probe(inner, alias, unjoined)))})` : '1 = 1';
      case 'chain': {
        const reference = this.alias('ref');
        const target = this.alias('t');
        // positional placeholders: bind in the order they appear in the text (the param before the nested terms)
        const head = `SELECT 1 FROM ${INDEX_TABLES.reference.table} ${reference}`
          + ` JOIN ${RESOURCE_TABLE} ${target} ON ${target}.type = ${reference}.target_type AND ${target}.id = ${reference}.target_id`
          + ` WHERE ${reference}.rkey = ${alias}.rkey AND ${this.dialect.probeParam(`${reference}.param`)} = ${params.bind(condition.param)}`;
        const terms = [`${target}.deleted = 0`];
        if (condition.targetTypes.length) terms.push(`${target}.type IN (${params.list(condition.targetTypes)})`);
        terms.push(...condition.where.map((inner) => this.probe(inner, target, unjoined)));
        return this.exists(`${head} AND ${allOf(terms)}`, unjoined);
      }
      case 'has': {
        const reference = this.alias('ref');
        const source = this.alias('s');
        const head = `SELECT 1 FROM ${INDEX_TABLES.reference.table} ${reference} JOIN ${RESOURCE_TABLE} ${source}`
          + ` ON ${source}.rkey = ${reference}.rkey WHERE ${reference}.target_id = ${alias}.id AND ${reference}.target_type = ${alias}.type`
          + ` AND ${reference}.param = ${params.bind(condition.param)}${this.sourceTypeTest(reference, [condition.sourceType], ' AND ')}`
          + ` AND ${source}.type = ${params.bind(condition.sourceType)} AND ${source}.deleted = 0`;
        return this.exists(`${head}${condition.where.map((inner) => ` AND ${this.probe(inner, source, unjoined)}`).join('')}`, unjoined);
      }
    }
  }

  /** resource keys having every component matched by entries of one group (one element); `of` probes one resource */
  private compositeRows(components: Composite['alternatives'][number], of?: string): string {
    const rows = components.map(() => this.alias('c'));
    const joins = components.map((component, n) => {
      const table = `${INDEX_TABLES[component.index].table} ${rows[n]}`;
      return n === 0 ? table : `JOIN ${table} ON ${rows[n]}.rkey = ${rows[0]}.rkey AND ${rows[n]}.grp = ${rows[0]}.grp`;
    });
    const matches = components.map((component, n) => {
      const param = n === 0 && of ? this.dialect.probeParam(`${rows[n]}.param`) : `${rows[n]}.param`;
      return `${param} = ${this.params.bind(component.param)} AND `
        + compileValueMatch(component.match, (name) => `${rows[n]}.${name}`, this.params, this.dialect);
    });
    const probe = of ? `${rows[0]}.rkey = ${of}.rkey AND ` : '';
    return `SELECT ${rows[0]}.rkey FROM ${joins.join(' ')} WHERE ${probe}${matches.join(' AND ')}`;
  }

  /** `offIndex`: the column is kept from the (type, last_updated) index (dialect.unindexed) */
  private lastUpdatedTest(condition: Extract<Condition, { kind: 'lastUpdated' }>, alias: string, offIndex = false): string {
    const column = offIndex ? this.dialect.unindexed(`${alias}.last_updated`) : `${alias}.last_updated`;
    return rangePrefix(condition.prefix, column, column, condition.low, condition.high, this.params);
  }

  /**
   * `(<row>.source_type IN (<types>) OR <row>.source_type IS NULL)` for reference rows (tables.ts sourceType) between
   * `before` and `after`; empty without types. Rows without a type (written before schema version 5) are kept: the
   * block tests their resource's type. `checked`: a row without a type is kept only when its resource is live and of
   * one of the types, for a block that does not test them (typedReferenceDrive).
   */
  private sourceTypeTest(row: string, types: string[] | null, before: string, after = '', rows: SourceTypedRows = 'either'): string {
    if (types === null || types.length === 0) return '';
    const column = `${row}.source_type`;
    const typed = `${column} IN (${this.typeList(types)})`;
    if (rows === 'either') return `${before}(${typed} OR ${column} IS NULL)${after}`;
    const resource = this.alias('x');
    const untypedOfTypes = `EXISTS (SELECT 1 FROM ${RESOURCE_TABLE} ${resource} WHERE ${resource}.rkey = ${row}.rkey`
      + ` AND ${resource}.deleted = 0 AND ${resource}.type IN (${this.typeList(types)}))`;
    return `${before}(${typed} OR (${column} IS NULL AND ${untypedOfTypes}))${after}`;
  }

  private exists(subquery: string, unjoined: boolean): string {
    return `EXISTS (${subquery}${unjoined ? this.dialect.unjoinedSubquery : ''})`;
  }

  private alias(stem: string): string {
    return `${stem}${++this.aliasCount}`;
  }
}

/** which reference rows a lookup keeps beside those of the block's types: every row without a type, or those whose resource is of the types (sourceTypeTest) */
type SourceTypedRows = 'either' | 'checked';

/** a lookup of reference rows alone (a reference parameter, or a compartment's OR of them) */
function onReferenceRows(condition: Condition): boolean {
  if (condition.kind === 'param') return INDEX_TABLES[condition.index].sourceType === true;
  return condition.kind === 'or' && condition.conditions.length > 0 && condition.conditions.every(onReferenceRows);
}

/** the condition's probe (ConditionCompiler.probe) reads nothing of the candidate's row but its key */
function probesKeyOnly(condition: Condition): boolean {
  switch (condition.kind) {
    case 'param':
    case 'composite':
    case 'missing':
    case 'chain':
      return true;
    case 'not':
      return probesKeyOnly(condition.condition);
    case 'or':
    case 'and':
      return condition.conditions.every(probesKeyOnly);
    default:
      // id, lastUpdated and type test the row's columns; _has matches the row's type and id
      return false;
  }
}

/**
 * The match binds every column of its table's lookup index before rkey by equality (tables.ts lookups):
 * token (param, code, system), string :exact (param, norm), uri eq (param, value).
 */
function seeksLookup(match: ValueMatch): boolean {
  switch (match.kind) {
    case 'token':
      return match.op === 'eq' && match.code !== undefined && match.system !== undefined;
    case 'string':
      return match.op === 'exact';
    case 'uri':
      return match.op === 'eq';
    default:
      return false;
  }
}
