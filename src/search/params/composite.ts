/**
 * Composite parameters (R4 search.html#composite): `a$b` where each part is a value of the component's
 * own type. Components are indexed as entries `<code>$<index>` sharing a `group` per composite element,
 * and matched within one group, never across elements.
 */
import type { IndexKind, ValueMatch } from '../ir.js';
import type { SearchParamDef } from '../registry.js';
import { invalidValue, splitUnescaped } from './common.js';

export const componentParam = (code: string, index: number) => `${code}$${index}`;

export type ComponentMatch = { param: string; index: IndexKind; match: ValueMatch };

export function parseComposite(
  def: SearchParamDef,
  raw: string,
  components: SearchParamDef[],
  parseComponent: (component: SearchParamDef, paramName: string, raw: string) => ValueMatch,
): ComponentMatch[] {
  const parts = splitUnescaped(raw, '$');
  if (parts.length !== components.length) {
    throw invalidValue(def.code, raw, `a ${def.code} value has ${components.length} parts separated by "$", got ${parts.length}`);
  }
  return parts.map((part, i) => {
    const component = components[i]!;
    if (component.type === 'composite' || component.type === 'special') {
      throw invalidValue(def.code, raw, `component ${i + 1} has unsupported type ${component.type}`);
    }
    return { param: componentParam(def.code, i), index: component.type, match: parseComponent(component, def.code, part) };
  });
}
