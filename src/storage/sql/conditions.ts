/**
 * Condition (src/search/ir.ts) -> SQL boolean expression over a current-state row alias. Index lookups are
 * `rkey IN (subquery)` so each engine can drive them from the (param, value..., rkey) indexes.
 */
import type { Condition } from '../../search/ir.js';
import type { SqlDialect } from './dialect.js';
import type { Params } from './paging.js';
import { INDEX_TABLES, RESOURCE_TABLE } from './tables.js';
import { compileValueMatch, rangePrefix } from './value-matches.js';

export class ConditionCompiler {
  private aliasCount = 0;

  constructor(readonly params: Params, readonly dialect: SqlDialect) {}

  /** AND of the conditions, true when there are none */
  all(conditions: Condition[], alias: string): string {
    if (conditions.length === 0) return '1 = 1';
    return conditions.map((condition) => this.condition(condition, alias)).join(' AND ');
  }

  condition(condition: Condition, alias: string): string {
    const params = this.params;
    switch (condition.kind) {
      case 'param': {
        // parameters are bound in the order they appear in the text
        const row = this.alias('i');
        const head = `${alias}.rkey IN (SELECT ${row}.rkey FROM ${INDEX_TABLES[condition.index].table} ${row}`
          + ` WHERE ${row}.param = ${params.bind(condition.param)} AND `;
        const matches = condition.values.map((value) => compileValueMatch(value, (name) => `${row}.${name}`, params, this.dialect));
        return `${head}${matches.length ? `(${matches.join(' OR ')})` : '1 = 0'})`;
      }
      case 'composite': {
        if (condition.alternatives.length === 0) return '1 = 0';
        const alternatives = condition.alternatives.map((components) => `${alias}.rkey IN (${this.compositeRows(components)})`);
        return `(${alternatives.join(' OR ')})`;
      }
      case 'missing': {
        // probes the (rkey, seq) key of the candidate rows: no index table needs a param-first index for this
        const row = this.alias('i');
        const has = `EXISTS (SELECT 1 FROM ${INDEX_TABLES[condition.index].table} ${row}`
          + ` WHERE ${row}.rkey = ${alias}.rkey AND ${this.dialect.unindexed(`${row}.param`)} = ${params.bind(condition.param)})`;
        return condition.missing ? `NOT ${has}` : has;
      }
      case 'id':
        return condition.ids.length ? `${alias}.id IN (${params.list(condition.ids)})` : '1 = 0';
      case 'lastUpdated':
        return rangePrefix(condition.prefix, `${alias}.last_updated`, `${alias}.last_updated`, condition.low, condition.high, params);
      case 'type':
        return condition.types.length ? `${alias}.type IN (${params.list(condition.types)})` : '1 = 0';
      case 'not':
        return `NOT (${this.condition(condition.condition, alias)})`;
      case 'or':
        if (condition.conditions.length === 0) return '1 = 0';
        return `(${condition.conditions.map((inner) => `(${this.condition(inner, alias)})`).join(' OR ')})`;
      case 'and':
        return `(${this.all(condition.conditions, alias)})`;
      case 'chain': {
        const reference = this.alias('ref');
        const target = this.alias('t');
        return `${alias}.rkey IN (SELECT ${reference}.rkey FROM ${INDEX_TABLES.reference.table} ${reference}`
          + ` JOIN ${RESOURCE_TABLE} ${target} ON ${target}.type = ${reference}.target_type AND ${target}.id = ${reference}.target_id`
          + ` WHERE ${reference}.param = ${params.bind(condition.param)} AND ${target}.deleted = 0`
          + (condition.targetTypes.length ? ` AND ${target}.type IN (${params.list(condition.targetTypes)})` : '')
          + ` AND ${this.all(condition.where, target)})`;
      }
      case 'has': {
        const reference = this.alias('ref');
        const source = this.alias('s');
        return `(${alias}.type, ${alias}.id) IN (SELECT ${reference}.target_type, ${reference}.target_id`
          + ` FROM ${INDEX_TABLES.reference.table} ${reference} JOIN ${RESOURCE_TABLE} ${source} ON ${source}.rkey = ${reference}.rkey`
          + ` WHERE ${reference}.param = ${params.bind(condition.param)} AND ${source}.type = ${params.bind(condition.sourceType)}`
          + ` AND ${source}.deleted = 0 AND ${this.all(condition.where, source)})`;
      }
    }
  }

  /** resource keys having every component matched by entries of one group (one element) */
  private compositeRows(components: Extract<Condition, { kind: 'composite' }>['alternatives'][number]): string {
    const rows = components.map(() => this.alias('c'));
    const joins = components.map((component, n) => {
      const table = `${INDEX_TABLES[component.index].table} ${rows[n]}`;
      return n === 0 ? table : `JOIN ${table} ON ${rows[n]}.rkey = ${rows[0]}.rkey AND ${rows[n]}.grp = ${rows[0]}.grp`;
    });
    const matches = components.map((component, n) =>
      `${rows[n]}.param = ${this.params.bind(component.param)} AND `
      + compileValueMatch(component.match, (name) => `${rows[n]}.${name}`, this.params, this.dialect));
    return `SELECT ${rows[0]}.rkey FROM ${joins.join(' ')} WHERE ${matches.join(' AND ')}`;
  }

  private alias(stem: string): string {
    return `${stem}${++this.aliasCount}`;
  }
}
