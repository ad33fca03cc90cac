/**
 * `_explain=true` (issue 3 item 8): the planned query in readable form, for support and tuning. The text
 * mirrors the IR one to one (ir.ts holds the match semantics), so what is shown is what every engine runs.
 */
import type { Issue } from '../fhir/errors.js';
import type { Condition, SearchQuery, ValueMatch } from './ir.js';

const instant = (ms: number): string => {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
};

const system = (value: string | null | undefined): string => (value === undefined ? '' : `${value ?? ''}|`);

export function describeValue(match: ValueMatch): string {
  switch (match.kind) {
    case 'string':
      return `${match.op === 'starts' ? 'starts with' : match.op === 'exact' ? 'is exactly' : 'contains'} "${match.value}"`;
    case 'token':
      if (match.op === 'text') return `text has a word starting "${match.text ?? ''}"`;
      return match.code === undefined ? `system ${match.system ?? '(none)'}` : `= ${system(match.system)}${match.code}`;
    case 'token-set':
      return match.codes.length <= 8
        ? `in {${match.codes.map((c) => `${system(c.system)}${c.code}`).join(', ')}}`
        : `in ${match.codes.length} codes {${match.codes.slice(0, 8).map((c) => `${system(c.system)}${c.code}`).join(', ')}, ...}`;
    case 'reference': {
      const parts: string[] = [];
      if (match.targetType || match.targetId) parts.push(`${match.targetType ?? '*'}/${match.targetId ?? '*'}`);
      if (match.version) parts.push(`version ${match.version}`);
      if (match.url) parts.push(`url ${match.url}`);
      if (match.identifier) parts.push(`identifier ${system(match.identifier.system)}${match.identifier.value}`);
      return `-> ${parts.join(' ')}`;
    }
    case 'date':
      return `${match.prefix} [${instant(match.low)}, ${instant(match.high)}]`;
    case 'number':
      return `${match.prefix} ${match.value} [${match.low}, ${match.high}]`;
    case 'quantity': {
      const unit = match.system !== undefined || match.code !== undefined ? ` ${system(match.system)}${match.code ?? ''}` : '';
      return `${match.prefix} ${match.value}${unit} [${match.low}, ${match.high}]`;
    }
    case 'uri':
      return `${match.op === 'eq' ? '=' : match.op} ${match.value}`;
  }
}

export function describeCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'param':
      return `${condition.param} (${condition.index}) ${condition.values.map(describeValue).join(' OR ')}`;
    case 'composite':
      return `${condition.param} (composite, within one element) ${condition.alternatives
        .map((alternative) => `(${alternative.map((c) => `${c.param} ${describeValue(c.match)}`).join(' AND ')})`)
        .join(' OR ')}`;
    case 'missing':
      return `${condition.param} (${condition.index}) is ${condition.missing ? 'missing' : 'present'}`;
    case 'id':
      return `_id in {${condition.ids.join(', ')}}`;
    case 'lastUpdated':
      return `_lastUpdated ${condition.prefix} [${instant(condition.low)}, ${instant(condition.high)}]`;
    case 'type':
      return `type in {${condition.types.join(', ')}}`;
    case 'not':
      return `NOT (${describeCondition(condition.condition)})`;
    case 'or':
      return condition.conditions.map((c) => `(${describeCondition(c)})`).join(' OR ');
    case 'and':
      return condition.conditions.map((c) => `(${describeCondition(c)})`).join(' AND ');
    case 'chain':
      return `${condition.param} -> ${condition.targetTypes.join('|')} WHERE ${condition.where.map(describeCondition).join(' AND ')}`;
    case 'has':
      return `has ${condition.sourceType}.${condition.param} -> this WHERE ${condition.where.map(describeCondition).join(' AND ')}`;
  }
}

/** One line for the query shape: types, sort, page size, total, cursor. */
export function describeQuery(query: SearchQuery): string {
  const sort = query.sort.length ? query.sort.map((key) => `${key.descending ? '-' : ''}${key.param}`).join(',') : '(store order)';
  return `${query.types ? query.types.join(', ') : 'all types'}: ${query.where.length} condition(s) ANDed; sort ${sort}; `
    + `page size ${query.count}; total ${query.total}${query.cursor ? '; continuing from a cursor' : ''}`;
}

export interface ExplainInput {
  engine: string;
  query: SearchQuery;
  /** where each condition of query.where came from, same order */
  origins: ('request' | 'compartment' | 'access')[];
  timings: { parseMs: number; searchMs: number; includesMs: number; totalMs: number };
  includes: number;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** Information issues for the searchset's OperationOutcome entry (severity information, code informational). */
export function explainIssues(input: ExplainInput): Issue[] {
  const info = (diagnostics: string, expression?: string[]): Issue =>
    ({ severity: 'information', code: 'informational', errorCode: 'explain', diagnostics, ...(expression ? { expression } : {}) });
  const issues = [info(`Explain: engine ${input.engine}; ${describeQuery(input.query)}`)];
  input.query.where.forEach((condition, index) => {
    const origin = input.origins[index] ?? 'request';
    const param = 'param' in condition ? [condition.param] : undefined;
    issues.push(info(`Condition ${index + 1} (${origin}): ${describeCondition(condition)}`, param));
  });
  const { parseMs, searchMs, includesMs, totalMs } = input.timings;
  issues.push(info(`Timings: parse ${ms(parseMs)}, store search ${ms(searchMs)}, includes ${ms(includesMs)}`
    + ` (${input.includes} included resource(s)), total ${ms(totalMs)}`));
  return issues;
}
