/**
 * Fewer searches for the conditional creates of a batch group (R4 http.html#ccreate): instead of one
 * search per `ifNoneExist: identifier=system|value`, one search ORs every such criteria of the group.
 * When it finds nothing, each of those criteria is known to match nothing at the start of the group.
 *
 * Batch entries run one after another and each sees the writes of those before it, so a criteria known
 * to match nothing stays known only while no earlier entry of the group may have written a match: every
 * resource the group writes adds its string values to a per-type set, and a criteria whose value is in
 * that set (or whose type was patched) is searched for as before. Token matching is exact on the value,
 * so a written resource can only match if the value is one of its strings: the shortcut never changes an
 * outcome, it only skips searches whose answer is already known.
 */
import type { Resource } from '../fhir/types.js';
import type { ParsedEntry } from './bundle-entries.js';
import { criteriaFromString, findConditionalMatches } from './conditional.js';
import type { InteractionRequest, ServerContext } from './types.js';

interface SimpleCriteria { resourceType: string; param: string; system: string; value: string }

/** `param=system|value` on a pristine token parameter, with nothing that needs escaping; else undefined */
function simpleCriteria(
  ctx: ServerContext, resourceType: string, ifNoneExist: string, pristineToken: Map<string, boolean>,
): SimpleCriteria | undefined {
  const criteria = criteriaFromString(ifNoneExist);
  const names = Object.keys(criteria);
  if (names.length !== 1) return undefined;
  const param = names[0]!;
  const values = criteria[param]!;
  if (values.length !== 1 || !/^[a-z][A-Za-z0-9-]*$/.test(param)) return undefined;
  // pristine() scans every definition: asked once per type and parameter of the group
  const key = `${resourceType}?${param}`;
  let usable = pristineToken.get(key);
  if (usable === undefined) {
    const def = ctx.searchParameters.get(resourceType, param);
    usable = def !== undefined && def.type === 'token' && ctx.searchParameters.pristine(resourceType, param)?.url === def.url;
    pristineToken.set(key, usable);
  }
  if (!usable) return undefined;
  const text = values[0]!;
  if (/[,\\$]/.test(text)) return undefined;
  const bar = text.indexOf('|');
  if (bar <= 0 || bar === text.length - 1 || text.indexOf('|', bar + 1) >= 0) return undefined;
  return { resourceType, param, system: text.slice(0, bar), value: text.slice(bar + 1) };
}

/** SQLite's cost grows faster than the number of ORed values: 50 per search measured ~5x cheaper in total than 200 */
const PREFETCH_CHUNK = 50;

/** Knowledge about the conditional creates of one batch group, updated as the group writes. */
export class ConditionalCreatePrefetch {
  private readonly absent = new Map<string, SimpleCriteria>();
  /** per type, the values of criteria known absent: only these need looking for in what the group writes */
  private readonly absentValues = new Map<string, Set<string>>();
  /** `${type}|${value}` of absent criteria that a written resource may now match */
  private readonly tainted = new Set<string>();
  private readonly patchedTypes = new Set<string>();

  static async forGroup(ctx: ServerContext, req: InteractionRequest, group: readonly ParsedEntry[]): Promise<ConditionalCreatePrefetch> {
    const prefetch = new ConditionalCreatePrefetch();
    if (group.length < 2) return prefetch;
    const byQuery = new Map<string, Map<string, SimpleCriteria>>();
    const pristineToken = new Map<string, boolean>();
    for (const entry of group) {
      if (entry.method !== 'POST' || !entry.ifNoneExist || !entry.resourceType) continue;
      const simple = simpleCriteria(ctx, entry.resourceType, entry.ifNoneExist, pristineToken);
      if (!simple) continue;
      const queryKey = `${simple.resourceType}?${simple.param}`;
      let list = byQuery.get(queryKey);
      if (!list) byQuery.set(queryKey, (list = new Map()));
      list.set(`${entry.resourceType}?${entry.ifNoneExist}`, simple);
    }
    for (const list of byQuery.values()) {
      const items = [...list];
      if (items.length < 2) continue;
      for (let start = 0; start < items.length; start += PREFETCH_CHUNK) {
        const chunk = items.slice(start, start + PREFETCH_CHUNK);
        const { resourceType, param } = chunk[0]![1];
        const value = chunk.map(([, c]) => `${c.system}|${c.value}`).join(',');
        // a search that fails teaches nothing: the entries then search one by one, as without prefetching
        const matches = await findConditionalMatches(ctx, req, resourceType, { [param]: [value] }, { limit: 1 }).catch(() => undefined);
        if (matches?.length === 0) for (const [key, criteria] of chunk) prefetch.addAbsent(key, criteria);
      }
    }
    return prefetch;
  }

  private addAbsent(key: string, criteria: SimpleCriteria): void {
    this.absent.set(key, criteria);
    let values = this.absentValues.get(criteria.resourceType);
    if (!values) this.absentValues.set(criteria.resourceType, (values = new Set()));
    values.add(criteria.value);
  }

  /** true when `ifNoneExist` of this entry certainly matches nothing now (no search needed) */
  knownAbsent(entry: ParsedEntry): boolean {
    if (!entry.ifNoneExist || !entry.resourceType) return false;
    const criteria = this.absent.get(`${entry.resourceType}?${entry.ifNoneExist}`);
    if (!criteria || this.patchedTypes.has(criteria.resourceType)) return false;
    return !this.tainted.has(`${criteria.resourceType}|${criteria.value}`);
  }

  /** called for every entry that may have written (before knowing whether it did) */
  noteWrite(entry: ParsedEntry): void {
    if (!entry.resourceType) return;
    const values = this.absentValues.get(entry.resourceType);
    if (!values) return;
    if (entry.method === 'PATCH') {
      this.patchedTypes.add(entry.resourceType);
      return;
    }
    if ((entry.method !== 'POST' && entry.method !== 'PUT') || !entry.resource) return;
    const { tainted } = this;
    const type = entry.resourceType;
    visitValues(entry.resource, (text) => {
      if (values.has(text)) tainted.add(`${type}|${text}`);
    });
  }
}

/** every string, number and boolean in the resource (numbers and booleans as text, as token values would be) */
function visitValues(node: unknown, found: (text: string) => void): void {
  if (typeof node === 'string') {
    found(node);
  } else if (typeof node === 'number' || typeof node === 'boolean') {
    found(String(node));
  } else if (Array.isArray(node)) {
    for (const item of node) visitValues(item, found);
  } else if (typeof node === 'object' && node !== null) {
    for (const key in node as Resource) visitValues((node as Resource)[key], found);
  }
}
