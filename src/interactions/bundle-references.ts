/**
 * Reference rewriting inside a transaction (R4 http.html#trules, bundle.html#references):
 * every link to an entry's fullUrl (urn:uuid:, urn:oid:, or an absolute URL) becomes the server's
 * Type/id, "whether they are found in the resource ids, resource references, elements of type uri,
 * url, oid, uuid, and <a href="" & <img src="" in the narrative". Conditional references
 * (`Type?query`) are collected here and resolved by the caller through search.
 */
import type { Resource } from '../fhir/types.js';
import { MAX_NESTING_DEPTH } from '../fhir/validation-fhir-json.js';

/** fullUrl (as written in the Bundle) -> "Type/id" assigned or found by the server */
export type FullUrlMap = Map<string, string>;

const CONDITIONAL_REFERENCE = /^[A-Z][A-Za-z]+\?/;
const ABSOLUTE_RESOURCE_URL = /^(https?:\/\/.+?)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/;

export function isConditionalReference(value: string): boolean {
  return CONDITIONAL_REFERENCE.test(value);
}

/** The base of an absolute RESTful fullUrl (http://x/fhir/Patient/1 -> http://x/fhir), used to resolve relative references. */
export function fullUrlBase(fullUrl: string | undefined): string | undefined {
  if (!fullUrl) return undefined;
  return ABSOLUTE_RESOURCE_URL.exec(fullUrl)?.[1];
}

const URN_REFERENCE = /^urn:(uuid|oid):/i;

/**
 * The elements a conditional reference is written in, each as a simple FHIRPath below the resource (json.html names,
 * an index where the element repeats): `subject`, `performer[1]`, `item[0].encounter[0]`, `contained[0].subject`.
 * R4 OperationOutcome.issue.expression names them so (prefixed by the resource type, or Bundle.entry[n].resource).
 */
export type ConditionalReferences = Map<string, string[]>;

/**
 * In one walk over the Reference.reference elements (contained resources included): the first still written as
 * `urn:uuid:` or `urn:oid:`, and every distinct conditional reference (`Type?query`) with the elements that hold it.
 * A urn reference names a Bundle entry by its fullUrl (bundle.html#references) and resolves only inside that Bundle:
 * once stored, nothing could ever resolve it.
 */
export function referencesToSettle(resource: Resource): { urn: string | undefined; conditional: ConditionalReferences } {
  let urn: string | undefined;
  const conditional: ConditionalReferences = new Map();
  visit(resource, (holder, key, value, path) => {
    if (key !== 'reference') return undefined;
    if (urn === undefined && URN_REFERENCE.test(value)) urn = value;
    else if (isConditionalReference(value)) {
      const element = elementPath(path);
      const elements = conditional.get(value);
      if (elements) elements.push(element);
      else conditional.set(value, [element]);
    }
    return undefined;
  });
  return { urn, conditional };
}

/** The path of the element holding a `reference` (the Reference itself): ['performer', 1, 'reference'] -> performer[1]. */
function elementPath(path: readonly (string | number)[]): string {
  let expression = '';
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i]!;
    expression += typeof segment === 'number' ? `[${segment}]` : expression === '' ? segment : `.${segment}`;
  }
  return expression;
}

export interface RewriteContext {
  fullUrls: FullUrlMap;
  /** resolved conditional references: `Type?query` -> Type/id */
  conditional: Map<string, string>;
  /** base of the containing entry's absolute fullUrl, for relative references written against it */
  entryBase?: string;
}

/**
 * Rewrites the resource in place, in the same walk noting the first reference still written as `urn:uuid:` or
 * `urn:oid:` afterwards: it named no entry, and stored it would point nowhere (bundle.html#references).
 */
export function rewriteReferences(resource: Resource, context: RewriteContext): { unresolvedUrn: string | undefined } {
  const rewriting = context.fullUrls.size > 0 || context.conditional.size > 0;
  let unresolvedUrn: string | undefined;
  visit(resource, (holder, key, value) => {
    const replacement = rewriting ? replacementFor(holder, key, value, context) : undefined;
    if (unresolvedUrn === undefined && key === 'reference' && URN_REFERENCE.test(replacement ?? value)) unresolvedUrn = replacement ?? value;
    return replacement;
  });
  return { unresolvedUrn };
}

function replacementFor(holder: Record<string, unknown>, key: string, value: string, context: RewriteContext): string | undefined {
  if (key === 'div') return rewriteNarrative(value, context.fullUrls);
  if (key === 'reference') {
    if (value.startsWith('#')) return undefined;
    const conditional = context.conditional.get(value);
    if (conditional) return conditional;
    return lookupReference(value, context);
  }
  // An Identifier's value is a business identifier, not a link, even when it looks like a urn:uuid.
  if (key === 'value' && 'system' in holder) return undefined;
  if (key === 'fullUrl' || key === 'id') return undefined;
  return context.fullUrls.get(value);
}

function lookupReference(value: string, context: RewriteContext): string | undefined {
  const direct = context.fullUrls.get(value);
  if (direct) return direct;
  // urn:uuid:x/_history/2 or an absolute URL with a version: keep the version part
  const history = value.indexOf('/_history/');
  if (history > 0) {
    const target = context.fullUrls.get(value.slice(0, history));
    if (target) return target + value.slice(history);
  }
  if (context.entryBase && /^[A-Z][A-Za-z]+\/[^/]+$/.test(value)) {
    return context.fullUrls.get(`${context.entryBase}/${value}`);
  }
  return undefined;
}

const NARRATIVE_LINK = /\b(href|src)="([^"]+)"/g;

function rewriteNarrative(div: string, fullUrls: FullUrlMap): string | undefined {
  if (fullUrls.size === 0 || !div.includes('="')) return undefined;
  let changed = false;
  const rewritten = div.replace(NARRATIVE_LINK, (match, attribute: string, url: string) => {
    const target = fullUrls.get(url);
    if (!target) return match;
    changed = true;
    return `${attribute}="${target}"`;
  });
  return changed ? rewritten : undefined;
}

type Visitor = (holder: Record<string, unknown>, key: string, value: string, path: readonly (string | number)[]) => string | undefined;

/**
 * Depth-first over every string property; the visitor's return value (if any) replaces the string. `path` holds the
 * keys and array indexes from the resource down to the string (one array, pushed and popped as the walk goes). Objects
 * nested deeper than validation allows are not entered: their resource is refused when validated, and walking them
 * could exhaust the stack first (a body thousands of levels deep was a 500 here).
 */
function visit(node: unknown, visitor: Visitor, depth = 1, path: (string | number)[] = []): void {
  if (depth > MAX_NESTING_DEPTH) return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (typeof item !== 'object' || item === null) continue;
      path.push(i);
      visit(item, visitor, depth + 1, path);
      path.pop();
    }
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const holder = node as Record<string, unknown>;
  for (const key of Object.keys(holder)) {
    const value = holder[key];
    path.push(key);
    if (typeof value === 'string') {
      const replacement = visitor(holder, key, value, path);
      if (replacement !== undefined) holder[key] = replacement;
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        path.push(i);
        if (typeof item === 'string') {
          // arrays of uri values (e.g. instantiatesUri) can also hold links to entries
          const replacement = visitor(holder, key, item, path);
          if (replacement !== undefined) value[i] = replacement;
        } else if (typeof item === 'object' && item !== null) visit(item, visitor, depth + 2, path);
        path.pop();
      }
    } else if (typeof value === 'object' && value !== null) visit(value, visitor, depth + 1, path);
    path.pop();
  }
}
