/**
 * Compiles the FHIRPath expressions of SearchParameters once into fast evaluators that walk the JSON
 * directly and know the FHIR type of every value (from fhirpath's R4 model tables). The R4 search
 * expressions use a small subset of FHIRPath (paths, `as`/ofType, where(resolve() is T), where(x='y'),
 * extension('url'), [n]); anything outside it is evaluated by fhirpath.js itself.
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Resource } from '../fhir/types.js';

/** A value found by an expression and its FHIR type name ('HumanName', 'dateTime', 'code', ...). */
export interface PathNode {
  value: unknown; type: string; /** model path key for the next step */ key: string;
  /** a `code` value's system implied by its element's required binding (code-systems.ts) */
  system?: string;
}
export type PathEvaluator = (start: PathNode, resource: Resource) => PathNode[];

type Step =
  | { kind: 'child'; name: string; cache: Map<string, ChildResolution> }
  | { kind: 'index'; index: number }
  | { kind: 'ofType'; type: string }
  | { kind: 'resolveIs'; type: string }
  | { kind: 'whereEq'; field: string; value: string }
  | { kind: 'hasExtension'; url: string }
  | { kind: 'extension'; url: string }
  | { kind: 'root' };

const model = r4 as unknown as {
  path2Type: Record<string, string>;
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
};

const PRIMITIVES = new Set([
  'boolean', 'integer', 'string', 'decimal', 'uri', 'url', 'canonical', 'base64Binary', 'instant', 'date',
  'dateTime', 'time', 'code', 'oid', 'id', 'markdown', 'unsignedInt', 'positiveInt', 'uuid', 'xhtml',
]);
const QUANTITY_SUBTYPES = new Set(['Quantity', 'Age', 'Duration', 'Distance', 'Count', 'SimpleQuantity', 'MoneyQuantity']);

/** 'DateTime' (a choice suffix) -> 'dateTime'; 'System.String' -> 'string'; complex types unchanged */
export function fhirTypeName(name: string): string {
  if (name.startsWith('System.')) name = name.slice(7);
  const lowered = name.charAt(0).toLowerCase() + name.slice(1);
  return PRIMITIVES.has(lowered) ? lowered : name;
}

export function rootNode(resource: Resource): PathNode {
  return { value: resource, type: resource.resourceType, key: resource.resourceType };
}

export function compilePath(expression: string, rootType: string): PathEvaluator {
  const steps = parseSteps(expression.trim());
  if (steps) {
    const first = steps[0];
    if (first?.kind === 'child' && (first.name === rootType || first.name === 'Resource' || first.name === 'DomainResource')) steps.shift();
    return (start, resource) => evaluateSteps(steps, start, resource);
  }
  return compileWithFhirpath(expression);
}

function compileWithFhirpath(expression: string): PathEvaluator {
  const compiled = fhirpath.compile(expression, r4, { resolveInternalTypes: false });
  return (start, resource) => {
    const results = compiled(start.value as never, { resource } as never) as unknown[];
    return results.map(toNode).filter((node): node is PathNode => node !== undefined);
  };
}

function toNode(result: unknown): PathNode | undefined {
  if (result === null || result === undefined) return undefined;
  if (typeof result === 'object' && 'data' in result) {
    const resNode = result as { data: unknown; fhirNodeDataType?: string | null };
    const type = resNode.fhirNodeDataType ? fhirTypeName(resNode.fhirNodeDataType) : inferType(resNode.data);
    return { value: resNode.data, type, key: type };
  }
  const type = inferType(result);
  return { value: result, type, key: type };
}

function inferType(value: unknown): string {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'decimal';
  if (typeof value === 'string') return 'string';
  if (value && typeof value === 'object' && 'resourceType' in value) return String((value as Resource).resourceType);
  return 'unknown';
}

// ---- parsing the supported subset ------------------------------------------------------------------

function matchingParen(src: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < src.length; i++) {
    const ch = src[i];
    if (ch === "'" && src[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/** true when the parentheses of src are balanced (so a trailing ` as T` applies to all of it) */
function balanced(src: string): boolean {
  let depth = 0;
  for (const ch of src) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function parseSteps(src: string): Step[] | null {
  // R4 writes `Observation.value as Quantity`: `as` binds looser than the path, so it applies to the whole path
  const asMatch = /^(.*\S)\s+as\s+([A-Za-z]+)$/s.exec(src);
  if (asMatch && balanced(asMatch[1]!)) {
    const inner = parseSteps(asMatch[1]!);
    return inner ? [...inner, { kind: 'ofType', type: asMatch[2]! }] : null;
  }
  const steps: Step[] = [];
  let i = 0;
  if (src.startsWith('(')) {
    const close = matchingParen(src, 0);
    if (close < 0) return null;
    const inner = parseSteps(src.slice(1, close).trim());
    if (!inner) return null;
    steps.push(...inner);
    i = close + 1;
  } else if (src.startsWith('%resource')) {
    steps.push({ kind: 'root' });
    i = '%resource'.length;
  } else {
    const ident = /^[A-Za-z][A-Za-z0-9_]*/.exec(src);
    if (!ident) return null;
    steps.push({ kind: 'child', name: ident[0], cache: new Map() });
    i = ident[0].length;
  }
  while (i < src.length) {
    const indexMatch = /^\[(\d+)\]/.exec(src.slice(i));
    if (indexMatch) {
      steps.push({ kind: 'index', index: Number(indexMatch[1]) });
      i += indexMatch[0].length;
      continue;
    }
    if (src[i] !== '.') return null;
    const ident = /^[A-Za-z][A-Za-z0-9_]*/.exec(src.slice(i + 1));
    if (!ident) return null;
    i += 1 + ident[0].length;
    if (src[i] !== '(') {
      steps.push({ kind: 'child', name: ident[0], cache: new Map() });
      continue;
    }
    const close = matchingParen(src, i);
    if (close < 0) return null;
    const step = functionStep(ident[0], src.slice(i + 1, close).trim());
    if (!step) return null;
    steps.push(step);
    i = close + 1;
  }
  return steps;
}

function functionStep(name: string, args: string): Step | null {
  let m: RegExpExecArray | null;
  if ((name === 'as' || name === 'ofType') && /^[A-Za-z]+$/.test(args)) return { kind: 'ofType', type: args };
  if (name === 'extension' && (m = /^'([^']*)'$/.exec(args))) return { kind: 'extension', url: m[1]! };
  if (name !== 'where') return null;
  if ((m = /^resolve\(\)\s+is\s+([A-Za-z]+)$/.exec(args))) return { kind: 'resolveIs', type: m[1]! };
  if ((m = /^([A-Za-z]+)\s*=\s*'([^']*)'$/.exec(args))) return { kind: 'whereEq', field: m[1]!, value: m[2]! };
  if ((m = /^hasExtension\('([^']*)'\)$/.exec(args))) return { kind: 'hasExtension', url: m[1]! };
  return null;
}

// ---- evaluation -------------------------------------------------------------------------------------

function evaluateSteps(steps: Step[], start: PathNode, resource: Resource): PathNode[] {
  let nodes: PathNode[] = [start];
  for (const step of steps) {
    if (nodes.length === 0) return nodes;
    nodes = applyStep(step, nodes, resource);
  }
  return nodes;
}

function pushItems(out: PathNode[], value: unknown, type: string, key: string): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && item !== undefined) out.push(itemNode(item, type, key));
  } else out.push(itemNode(value, type, key));
}

function itemNode(item: unknown, type: string, key: string): PathNode {
  if ((type === 'Resource' || type === 'unknown') && item && typeof item === 'object' && 'resourceType' in item) {
    const resourceType = String((item as Resource).resourceType);
    return { value: item, type: resourceType, key: resourceType };
  }
  return { value: item, type, key };
}

/** how `name` resolves under a parent model key: one declared type, or the typed keys of a choice element */
type ChildResolution = { jsonKey: string; type: string; nextKey: string }[];

function resolveChild(parentKey: string, name: string): ChildResolution {
  let key = `${parentKey}.${name}`;
  key = model.pathsDefinedElsewhere[key] ?? key;
  const declared = model.path2Type[key];
  if (declared) {
    const type = fhirTypeName(declared);
    return [{ jsonKey: name, type, nextKey: declared === 'BackboneElement' || declared === 'Element' ? key : type }];
  }
  const choices = model.choiceTypePaths[key];
  if (choices) return choices.map((choice) => ({ jsonKey: name + choice, type: fhirTypeName(choice), nextKey: fhirTypeName(choice) }));
  return [{ jsonKey: name, type: 'unknown', nextKey: 'unknown' }];
}

function child(nodes: PathNode[], step: { name: string; cache: Map<string, ChildResolution> }): PathNode[] {
  const out: PathNode[] = [];
  for (const node of nodes) {
    const value = node.value;
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    let resolution = step.cache.get(node.key);
    if (!resolution) step.cache.set(node.key, (resolution = resolveChild(node.key, step.name)));
    for (const { jsonKey, type, nextKey } of resolution) pushItems(out, (value as Record<string, unknown>)[jsonKey], type, nextKey);
  }
  return out;
}

function typeMatches(actual: string, wanted: string): boolean {
  const want = fhirTypeName(wanted);
  if (actual === want) return true;
  return want === 'Quantity' && QUANTITY_SUBTYPES.has(actual);
}

/** the resource type a Reference points at, from Reference.type or the literal reference */
export function referenceTargetType(reference: unknown): string | undefined {
  if (!reference || typeof reference !== 'object') return undefined;
  const { reference: literal, type } = reference as { reference?: unknown; type?: unknown };
  if (typeof literal === 'string') {
    const m = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/.exec(literal);
    if (m) return m[1];
  }
  return typeof type === 'string' ? type : undefined;
}

function applyStep(step: Step, nodes: PathNode[], resource: Resource): PathNode[] {
  switch (step.kind) {
    case 'child':
      return child(nodes, step);
    case 'index':
      return nodes[step.index] ? [nodes[step.index]!] : [];
    case 'ofType':
      return nodes.filter((node) => typeMatches(node.type, step.type));
    case 'resolveIs':
      return nodes.filter((node) => referenceTargetType(node.value) === step.type);
    case 'whereEq':
      return nodes.filter((node) => String((node.value as Record<string, unknown> | null)?.[step.field]) === step.value);
    case 'hasExtension':
      return nodes.filter((node) => extensionsOf(node.value).some((ext) => ext.url === step.url));
    case 'extension': {
      const out: PathNode[] = [];
      for (const node of nodes) {
        for (const ext of extensionsOf(node.value)) if (ext.url === step.url) out.push({ value: ext, type: 'Extension', key: 'Extension' });
      }
      return out;
    }
    case 'root':
      return [rootNode(resource)];
  }
}

function extensionsOf(value: unknown): { url?: string }[] {
  const extensions = (value as { extension?: unknown } | null)?.extension;
  return Array.isArray(extensions) ? (extensions as { url?: string }[]) : [];
}

/** Extension nodes stand for their value[x] when indexed */
export function unwrapExtension(node: PathNode): PathNode | undefined {
  if (node.type !== 'Extension') return node;
  const record = node.value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key.startsWith('value') && key.length > 5) {
      const type = fhirTypeName(key.slice(5));
      return { value: record[key], type, key: type };
    }
  }
  return undefined;
}
