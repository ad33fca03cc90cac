/**
 * Search parameters per resource type, FHIRPath compiled once. Holds the pristine R4 SearchParameters
 * and custom SearchParameter resources (addCustom/removeCustom take effect at once, no restart).
 */
import type { IndexEntries, ReferenceEntry } from './index-entries.js';
import type { R4, Resource } from '../fhir/types.js';
import type { Definitions } from '../fhir/definitions.js';
import { FhirError } from '../fhir/errors.js';
import { partsForBase, splitTopLevelUnion } from './expression.js';
import { compilePath, type PathEvaluator } from './path.js';
import { extractEntries, type CompiledParam } from './extract.js';
import { withImplicitSystem } from './code-systems.js';
import { addContainedEntries } from './contained.js';

export type SearchParamType = 'string' | 'token' | 'reference' | 'date' | 'number' | 'quantity' | 'uri' | 'composite' | 'special';

export interface SearchParamDef {
  code: string;
  url: string;
  type: SearchParamType;
  /** resource types this parameter applies to */
  base: string[];
  expression?: string;
  /** reference targets */
  targets: string[];
  components?: { definition: string; expression: string }[];
}

export interface SearchParameterRegistry {
  /** parameters of one type, including the common ones (_id, _lastUpdated, _tag, _profile, _security, _source, _text?) */
  forType(resourceType: string): ReadonlyMap<string, SearchParamDef>;
  get(resourceType: string, code: string): SearchParamDef | undefined;
  /** index entries for every parameter of the resource's type */
  extract(resource: Resource): IndexEntries;
  /** the entries extract gives for the resource's own reference parameter `code` ('*': every one), for _include */
  extractReferences(resource: Resource, code: string): ReferenceEntry[];
  /** a parameter by its canonical url (composite components name theirs this way) */
  byUrl(url: string): SearchParamDef | undefined;
  /** register (or replace) a custom SearchParameter resource; takes effect immediately */
  addCustom(sp: R4.SearchParameter): void;
  /** retire a custom SearchParameter by url; a pristine parameter it replaced comes back */
  removeCustom(url: string): void;
  /** throws what addCustom would throw for `sp`, changing nothing */
  validateCustom(sp: R4.SearchParameter): void;
  /** the custom SearchParameter installed under `url`, if any */
  custom(url: string): R4.SearchParameter | undefined;
  /** the pristine R4 definition of `code` on `resourceType`, whether or not a custom one replaces it */
  pristine(resourceType: string, code: string): SearchParamDef | undefined;
  /** the concrete resource types a SearchParameter base names (Resource and DomainResource expand) */
  typesOf(base: string): string[];
  /**
   * Index state (custom-parameters.ts): a parameter whose definition changed after resources of the type
   * were stored has an incomplete index until $reindex covers the type; search refuses it meanwhile.
   */
  setBuilding(resourceType: string, code: string, building: boolean): void;
  isBuilding(resourceType: string, code: string): boolean;
  /** resource types on which `code` is building */
  buildingTypes(code: string): string[];
}

export interface RegistryOptions {
  /** base URLs of this server: absolute references under them are indexed as local */
  baseUrls?: string[];
}

/** Parameters without an expression (_text, _content, _query, ...) cannot be indexed: the parser handles them */
const NON_DOMAIN_RESOURCES = new Set(['Bundle', 'Binary', 'Parameters']);

export function toDef(sp: R4.SearchParameter): SearchParamDef {
  return {
    code: sp.code,
    url: sp.url,
    type: sp.type as SearchParamType,
    base: [...(sp.base ?? [])],
    expression: sp.expression,
    targets: [...(sp.target ?? [])],
    components: sp.component?.map((c) => ({ definition: c.definition, expression: c.expression })),
  };
}

export function createSearchParameterRegistry(defs: Definitions, options: RegistryOptions = {}): SearchParameterRegistry {
  const baseUrls = options.baseUrls ?? [];
  const allTypes = [...defs.resourceTypes];
  const compiled = new Map<string, Map<string, CompiledParam>>();
  const defViews = new Map<string, Map<string, SearchParamDef>>();
  const byUrl = new Map<string, SearchParamDef>();
  const pristine = new Map<string, R4.SearchParameter>();
  const custom = new Map<string, R4.SearchParameter>();

  const typesOf = (base: string): string[] =>
    base === 'Resource' ? allTypes : base === 'DomainResource' ? allTypes.filter((t) => !NON_DOMAIN_RESOURCES.has(t)) : [base];

  function compileFor(def: SearchParamDef, resourceType: string): CompiledParam | undefined {
    if (!def.expression) return undefined;
    const parts = partsForBase(def.expression, resourceType);
    if (parts.length === 0) return undefined;
    const evaluators = parts.map((part) => {
      const evaluator = compilePath(part, resourceType);
      return def.type === 'token' ? withImplicitSystem(defs, evaluator, part, resourceType) : evaluator;
    });
    if (def.type !== 'composite') return { def, evaluators };
    const components = (def.components ?? []).map((component) => {
      const componentDef = byUrl.get(component.definition);
      if (!componentDef) return undefined;
      const componentEvaluators: PathEvaluator[] = splitTopLevelUnion(component.expression).map((part) => compilePath(part, ''));
      return { def: componentDef, evaluators: componentEvaluators };
    });
    if (components.some((c) => c === undefined)) return undefined;
    return { def, evaluators, components: components as NonNullable<(typeof components)[number]>[] };
  }

  function install(sp: R4.SearchParameter, only?: ReadonlySet<string>): void {
    const def = toDef(sp);
    for (const base of def.base) {
      for (const resourceType of typesOf(base)) {
        if (only && !only.has(resourceType)) continue;
        let views = defViews.get(resourceType);
        if (!views) defViews.set(resourceType, (views = new Map()));
        views.set(def.code, def);
        const entry = compileFor(def, resourceType);
        let forType = compiled.get(resourceType);
        if (!forType) compiled.set(resourceType, (forType = new Map()));
        if (entry) forType.set(def.code, entry);
        else forType.delete(def.code);
      }
    }
  }

  function uninstall(sp: R4.SearchParameter): void {
    for (const base of sp.base ?? []) {
      for (const resourceType of typesOf(base)) {
        if (defViews.get(resourceType)?.get(sp.code)?.url === sp.url) {
          defViews.get(resourceType)!.delete(sp.code);
          compiled.get(resourceType)?.delete(sp.code);
        }
      }
    }
  }

  for (const sp of defs.searchParameters) {
    if (!sp.url || !sp.code) continue;
    pristine.set(sp.url, sp);
    byUrl.set(sp.url, toDef(sp));
  }
  // composites last: their components are looked up by url
  for (const sp of pristine.values()) if (sp.type !== 'composite') install(sp);
  for (const sp of pristine.values()) if (sp.type === 'composite') install(sp);

  function pristineFor(resourceType: string, code: string): R4.SearchParameter | undefined {
    for (const sp of pristine.values()) {
      if (sp.code === code && (sp.base ?? []).some((base) => typesOf(base).includes(resourceType))) return sp;
    }
    return undefined;
  }

  function checkCustom(sp: R4.SearchParameter): void {
    if (!sp.url || !sp.code || !sp.base?.length) {
      throw new FhirError('invalid-resource', 'A SearchParameter needs url, code and base', { expression: ['SearchParameter'] });
    }
    const unknown = sp.base.filter((base) => base !== 'Resource' && base !== 'DomainResource' && !defs.resourceTypes.has(base));
    if (unknown.length) {
      throw new FhirError('invalid-resource', `SearchParameter ${sp.url}: unknown base type(s) ${unknown.join(', ')}`, { expression: ['SearchParameter.base'] });
    }
    try {
      for (const base of sp.base) if (sp.expression) partsForBase(sp.expression, base).forEach((part) => compilePath(part, base));
    } catch (error) {
      throw new FhirError('invalid-resource', `SearchParameter ${sp.url}: the expression does not compile: ${(error as Error).message}`, { expression: ['SearchParameter.expression'] });
    }
  }

  /** uninstall a custom parameter and bring back, type by type, the pristine parameters it replaced */
  function retire(sp: R4.SearchParameter): void {
    uninstall(sp);
    for (const base of sp.base ?? []) {
      for (const resourceType of typesOf(base)) {
        if (defViews.get(resourceType)?.has(sp.code)) continue;
        const original = pristineFor(resourceType, sp.code);
        if (original) install(original, new Set([resourceType]));
      }
    }
  }

  const building = new Set<string>();
  const buildingKey = (resourceType: string, code: string) => `${resourceType}|${code}`;
  const empty = new Map<string, SearchParamDef>();
  return {
    forType: (resourceType) => defViews.get(resourceType) ?? empty,
    get: (resourceType, code) => defViews.get(resourceType)?.get(code),
    byUrl: (url) => byUrl.get(url),
    extract(resource) {
      const params = compiled.get(resource.resourceType);
      const out = extractEntries(resource, params ? params.values() : [], { baseUrls });
      // contained resources under their own codes (contained.ts), for _contained
      addContainedEntries(resource, out, (inner) => {
        const innerParams = compiled.get(inner.resourceType);
        return extractEntries(inner, innerParams ? innerParams.values() : [], { baseUrls });
      });
      return out;
    },
    extractReferences(resource, code) {
      const params = compiled.get(resource.resourceType);
      if (!params) return [];
      const wanted: CompiledParam[] = [];
      if (code !== '*') {
        const param = params.get(code);
        if (param?.def.type === 'reference') wanted.push(param);
      } else for (const param of params.values()) if (param.def.type === 'reference') wanted.push(param);
      return wanted.length ? extractEntries(resource, wanted, { baseUrls }).reference : [];
    },
    addCustom(sp) {
      checkCustom(sp);
      const previous = custom.get(sp.url);
      if (previous) retire(previous);
      custom.set(sp.url, sp);
      byUrl.set(sp.url, toDef(sp));
      install(sp);
    },
    removeCustom(url) {
      const sp = custom.get(url);
      if (!sp) return;
      custom.delete(url);
      byUrl.delete(url);
      retire(sp);
      if (pristine.has(url)) byUrl.set(url, toDef(pristine.get(url)!));
    },
    validateCustom: checkCustom,
    custom: (url) => custom.get(url),
    pristine(resourceType, code) {
      const sp = pristineFor(resourceType, code);
      return sp ? toDef(sp) : undefined;
    },
    typesOf,
    setBuilding(resourceType, code, value) {
      if (value) building.add(buildingKey(resourceType, code));
      else building.delete(buildingKey(resourceType, code));
    },
    isBuilding: (resourceType, code) => building.size > 0 && building.has(buildingKey(resourceType, code)),
    buildingTypes(code) {
      const types: string[] = [];
      for (const key of building) if (key.endsWith(`|${code}`)) types.push(key.slice(0, key.length - code.length - 1));
      return types;
    },
  };
}
