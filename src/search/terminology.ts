/**
 * Terminology for token modifiers (R4 search.html#token): :above / :below walk the is-a hierarchy of
 * a loaded CodeSystem, :in / :not-in expand a ValueSet (loaded definitions or stored ValueSets).
 * Only what can be expanded exactly is answered; anything else is an error, never a partial answer.
 */
import type { Definitions } from '../fhir/definitions.js';
import type { R4 } from '../fhir/types.js';
import { invalidValue } from './params/common.js';

export type Code = { system: string | null; code: string };
export type ValueSetResolver = (url: string) => Promise<R4.ValueSet | undefined>;

interface Hierarchy { parents: Map<string, string[]>; children: Map<string, string[]>; codes: string[] }

const hierarchies = new WeakMap<R4.CodeSystem, Hierarchy>();

function hierarchyOf(cs: R4.CodeSystem): Hierarchy {
  const cached = hierarchies.get(cs);
  if (cached) return cached;
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  const codes: string[] = [];
  const link = (child: string, parent: string) => {
    if (!parents.has(child)) parents.set(child, []);
    if (!children.has(parent)) children.set(parent, []);
    if (!parents.get(child)!.includes(parent)) parents.get(child)!.push(parent);
    if (!children.get(parent)!.includes(child)) children.get(parent)!.push(child);
  };
  const visit = (concepts: R4.CodeSystemConcept[] | undefined, parent?: string) => {
    for (const concept of concepts ?? []) {
      codes.push(concept.code);
      if (parent) link(concept.code, parent);
      for (const property of concept.property ?? []) {
        if ((property.code === 'parent' || property.code === 'subsumedBy') && property.valueCode) link(concept.code, property.valueCode);
        if (property.code === 'child' && property.valueCode) link(property.valueCode, concept.code);
      }
      visit(concept.concept, concept.code);
    }
  };
  visit(cs.concept);
  const hierarchy = { parents, children, codes };
  hierarchies.set(cs, hierarchy);
  return hierarchy;
}

function closure(start: string, edges: Map<string, string[]>, includeSelf: boolean): string[] {
  const seen = new Set<string>(includeSelf ? [start] : []);
  const stack = [...(edges.get(start) ?? [])];
  while (stack.length) {
    const code = stack.pop()!;
    if (seen.has(code)) continue;
    seen.add(code);
    stack.push(...(edges.get(code) ?? []));
  }
  return [...seen];
}

function loadedCodeSystem(defs: Definitions, param: string, raw: string, system: string): R4.CodeSystem {
  const cs = defs.codeSystem(system);
  if (!cs || !cs.concept?.length) {
    throw invalidValue(param, raw, `the code system ${system} is not loaded on this server, so its hierarchy cannot be evaluated`);
  }
  return cs;
}

/** :below = the code and its descendants; :above = the code and its ancestors */
export function subsumption(defs: Definitions, param: string, raw: string, system: string, code: string, direction: 'above' | 'below'): Code[] {
  const cs = loadedCodeSystem(defs, param, raw, system);
  const hierarchy = hierarchyOf(cs);
  if (!hierarchy.codes.includes(code)) throw invalidValue(param, raw, `${code} is not a code of ${system}`);
  const edges = direction === 'below' ? hierarchy.children : hierarchy.parents;
  return closure(code, edges, true).map((c) => ({ system, code: c }));
}

export interface ExpansionContext { defs: Definitions; resolveValueSet?: ValueSetResolver; param: string; raw: string }

export async function expandValueSet(url: string, ctx: ExpansionContext, depth = 0): Promise<Code[]> {
  if (depth > 10) throw invalidValue(ctx.param, ctx.raw, `value set ${url} includes itself too deeply`);
  const [canonical] = url.split('|');
  const vs = ctx.defs.valueSet(url) ?? ctx.defs.valueSet(canonical!) ?? (await ctx.resolveValueSet?.(canonical!));
  if (!vs) throw invalidValue(ctx.param, ctx.raw, `the value set ${url} is not known to this server`);
  if (vs.expansion?.contains?.length) return flattenExpansion(vs.expansion.contains);
  if (!vs.compose?.include?.length) throw invalidValue(ctx.param, ctx.raw, `the value set ${url} has neither an expansion nor a compose`);
  const included = new Map<string, Code>();
  for (const include of vs.compose.include) for (const code of await expandInclude(include, ctx, depth)) included.set(key(code), code);
  for (const exclude of vs.compose.exclude ?? []) for (const code of await expandInclude(exclude, ctx, depth)) included.delete(key(code));
  return [...included.values()];
}

const key = (code: Code) => `${code.system ?? ''}|${code.code}`;

function flattenExpansion(contains: R4.ValueSetExpansionContains[]): Code[] {
  const out: Code[] = [];
  for (const entry of contains) {
    if (entry.code && !entry.abstract) out.push({ system: entry.system ?? null, code: entry.code });
    if (entry.contains) out.push(...flattenExpansion(entry.contains));
  }
  return out;
}

async function expandInclude(include: R4.ValueSetComposeInclude, ctx: ExpansionContext, depth: number): Promise<Code[]> {
  let fromSystem: Code[] | undefined;
  if (include.system) {
    const system = include.system;
    if (include.concept?.length) fromSystem = include.concept.map((c) => ({ system, code: c.code }));
    else if (include.filter?.length) fromSystem = applyFilters(include.system, include.filter, ctx);
    else {
      const cs = loadedCodeSystem(ctx.defs, ctx.param, ctx.raw, system);
      if (cs.content !== 'complete') throw invalidValue(ctx.param, ctx.raw, `the code system ${system} is not complete on this server`);
      fromSystem = hierarchyOf(cs).codes.map((code) => ({ system, code }));
    }
  }
  if (!include.valueSet?.length) return fromSystem ?? [];
  // several value sets in one include are intersected, and intersected with the system part if any
  let result = fromSystem;
  for (const url of include.valueSet) {
    const codes = await expandValueSet(url, ctx, depth + 1);
    if (!result) result = codes;
    else {
      const keep = new Set(codes.map(key));
      result = result.filter((code) => keep.has(key(code)));
    }
  }
  return result ?? [];
}

function applyFilters(system: string, filters: R4.ValueSetComposeIncludeFilter[], ctx: ExpansionContext): Code[] {
  const cs = loadedCodeSystem(ctx.defs, ctx.param, ctx.raw, system);
  const hierarchy = hierarchyOf(cs);
  let result: Set<string> | undefined;
  for (const filter of filters) {
    let codes: string[];
    if (filter.property === 'concept' && filter.op === 'is-a') codes = closure(filter.value, hierarchy.children, true);
    else if (filter.property === 'concept' && filter.op === 'descendent-of') codes = closure(filter.value, hierarchy.children, false);
    else if (filter.property === 'concept' && filter.op === 'is-not-a') {
      const excluded = new Set(closure(filter.value, hierarchy.children, true));
      codes = hierarchy.codes.filter((c) => !excluded.has(c));
    } else if (filter.property === 'concept' && filter.op === 'in') codes = filter.value.split(',').map((c) => c.trim());
    else throw invalidValue(ctx.param, ctx.raw, `the value set filter "${filter.property} ${filter.op}" on ${system} is not supported`);
    result = result ? new Set(codes.filter((c) => result!.has(c))) : new Set(codes);
  }
  return [...(result ?? [])].map((code) => ({ system, code }));
}
