/** Token :above / :below / :in / :not-in values -> a token-set of concrete codes (R4 search.html#token). */
import type { TokenSetMatch } from './ir.js';
import { invalidValue, unescapeValue } from './params/common.js';
import { parseToken } from './params/token.js';
import { expandValueSet, subsumption, type Code } from './terminology.js';
import type { FilterContext } from './parse-param.js';

export async function parseTerminologyModifier(param: string, raw: string, modifier: string, ctx: FilterContext): Promise<TokenSetMatch> {
  if (modifier === 'in' || modifier === 'not-in') {
    const url = unescapeValue(raw);
    const codes = await expandValueSet(url, { defs: ctx.defs, resolveValueSet: ctx.resolveValueSet, param: `${param}:${modifier}`, raw });
    return { kind: 'token-set', codes: withUnboundTwins(codes) };
  }
  const direction = modifier === 'above' ? 'above' : 'below';
  const token = parseToken(param, raw);
  if (!token.system || !token.code) throw invalidValue(`${param}:${modifier}`, raw, `:${modifier} on a token needs system|code`);
  return { kind: 'token-set', codes: withUnboundTwins(subsumption(ctx.defs, `${param}:${modifier}`, raw, token.system, token.code, direction)) };
}

/**
 * `code` elements (Observation.status, Patient.gender) are indexed without a system: their system is
 * implied by the element's binding. Each expanded code therefore also matches a system-less entry.
 */
function withUnboundTwins(codes: Code[]): Code[] {
  const twins = new Map<string, Code>();
  for (const code of codes) if (code.system !== null) twins.set(code.code, { system: null, code: code.code });
  return [...codes, ...twins.values()];
}
