/**
 * Which condition of an AND drives a query: without statistics (SQLite keeps none, PostgreSQL has none right
 * after a load) the engine cannot know that `patient=<id>` matches 8 rows and `date=ge2004` half the table, so
 * the compiler picks the condition whose index lookup is expected to find the fewest rows; every other condition
 * is checked per candidate by its resource key (conditions.ts).
 *
 * A rank is a rough order of magnitude of the rows an index lookup returns (lower is narrower); undefined means
 * no index lookup can find the condition's rows (a negation, a substring, a missing entry, a test on the row).
 */
import type { Condition, ValueMatch } from '../../search/ir.js';

export function driveRank(condition: Condition): number | undefined {
  switch (condition.kind) {
    case 'id':
      return 0;
    case 'param': {
      if (condition.values.length === 0) return 0;
      let worst = 0;
      for (const value of condition.values) {
        const rank = valueRank(value);
        if (rank === undefined) return undefined;
        worst = Math.max(worst, rank);
      }
      return worst + (condition.values.length > 1 ? 0.1 : 0);
    }
    case 'composite':
      return condition.alternatives.length === 0 ? 0 : 3;
    case 'chain':
    case 'has': {
      // the nested query drives from its own best condition; without one it walks every resource of the type
      const inner = bestRank(condition.where);
      return inner === undefined ? 7 : inner + 1;
    }
    case 'or': {
      // a union of lookups (a compartment's reference parameters) when every alternative is one
      if (condition.conditions.length === 0) return 0;
      let worst = 0;
      for (const inner of condition.conditions) {
        const rank = inner.kind === 'id' || inner.kind === 'has' ? undefined : driveRank(inner);
        if (rank === undefined) return undefined;
        worst = Math.max(worst, rank);
      }
      return worst + 0.5;
    }
    default:
      return undefined;
  }
}

/** the lowest rank among the conditions, undefined when none can drive */
export function bestRank(conditions: Condition[]): number | undefined {
  let best: number | undefined;
  for (const condition of conditions) {
    const rank = driveRank(condition);
    if (rank !== undefined && (best === undefined || rank < best)) best = rank;
  }
  return best;
}

/** index of the driving condition (the first of the lowest rank), -1 when none can drive */
export function chooseDriver(conditions: Condition[]): number {
  let chosen = -1;
  let best = Infinity;
  conditions.forEach((condition, n) => {
    const rank = driveRank(condition);
    if (rank !== undefined && rank < best) {
      best = rank;
      chosen = n;
    }
  });
  return chosen;
}

function valueRank(match: ValueMatch): number | undefined {
  switch (match.kind) {
    case 'reference':
      return match.targetId !== undefined || match.url !== undefined || match.identifier !== undefined ? 1 : 8;
    case 'token':
      if (match.op === 'text') return undefined;
      if (match.code === undefined) return 7;
      return match.system === undefined ? 3 : 2.5;
    case 'token-set':
      return 3;
    case 'string':
      if (match.op === 'contains') return undefined;
      if (match.op === 'exact') return 2;
      return match.value.length <= 1 ? 5 : 3;
    case 'uri':
      return match.op === 'contains' ? undefined : match.op === 'eq' ? 2 : 3;
    case 'date':
    case 'number':
    case 'quantity':
      if (match.prefix === 'ne') return undefined;
      return match.prefix === 'eq' || match.prefix === 'ap' ? 4 : 6;
  }
}
