/**
 * FHIRPath Patch (R4 fhirpatch.html): a Parameters resource whose `operation` parameters each carry
 * type (add | insert | delete | replace | move), path, and name / value / index / source / destination.
 * Paths are evaluated with the fhirpath library; its result nodes know their parent object, property
 * name and array index, which is what lets us edit the JSON in place.
 */
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import { assertIdentityUnchanged } from './patch-json.js';

interface ParametersPart { name: string; part?: ParametersPart[]; [valueX: string]: unknown }
interface PathNode {
  parentResNode: PathNode | null;
  path: string | null;
  index: number | null | undefined;
  propName: string | null | undefined;
  data: unknown;
  fullPropertyName?: () => string | undefined;
}
type JsonObject = Record<string, unknown>;

const model = r4Model as unknown as { path2Repeating: Record<string, boolean>; pathsDefinedElsewhere: Record<string, string> };

export function isFhirPathPatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as Resource).resourceType === 'Parameters';
}

/** Returns the patched copy; the input resource is left untouched. */
export function applyFhirPathPatch(resource: Resource, parameters: unknown): Resource {
  const operations = readOperations(parameters);
  const target = structuredClone(resource);
  operations.forEach((operation, position) => {
    const location = `Parameters.parameter[${operation.parameterIndex}]`;
    try {
      applyOperation(target, operation);
    } catch (error) {
      if (error instanceof FhirError) {
        throw new FhirError(error.code, `FHIRPath Patch operation ${position + 1} (${operation.type} ${operation.path}): ${error.message}`, {
          issueCode: error.issues[0]?.code,
          expression: [location],
        });
      }
      throw error;
    }
  });
  assertIdentityUnchanged(resource, target);
  return target;
}

interface PatchOperation {
  parameterIndex: number;
  type: 'add' | 'insert' | 'delete' | 'replace' | 'move';
  path: string;
  name?: string;
  value?: unknown;
  hasValue: boolean;
  index?: number;
  source?: number;
  destination?: number;
}

function malformed(message: string, expression?: string): FhirError {
  return new FhirError('invalid-parameter', message, { issueCode: 'invalid', expression: expression ? [expression] : undefined });
}

function readOperations(parameters: unknown): PatchOperation[] {
  const list = (parameters as { parameter?: unknown }).parameter;
  if (!Array.isArray(list)) throw malformed('A FHIRPath Patch Parameters resource needs at least one "operation" parameter');
  const operations: PatchOperation[] = [];
  list.forEach((parameter: ParametersPart, parameterIndex) => {
    const location = `Parameters.parameter[${parameterIndex}]`;
    if (parameter?.name !== 'operation') throw malformed(`Unexpected parameter "${parameter?.name}"; FHIRPath Patch only has "operation"`, location);
    const parts = parameter.part ?? [];
    const partNamed = (name: string) => parts.find((part) => part.name === name);
    const primitive = (name: string): unknown => {
      const part = partNamed(name);
      if (!part) return undefined;
      const key = Object.keys(part).find((k) => k.startsWith('value'));
      return key ? part[key] : undefined;
    };
    const type = primitive('type');
    if (type !== 'add' && type !== 'insert' && type !== 'delete' && type !== 'replace' && type !== 'move') {
      throw malformed(`Operation type must be add, insert, delete, replace or move (got ${JSON.stringify(type)})`, location);
    }
    const path = primitive('path');
    if (typeof path !== 'string' || path === '') throw malformed('Every operation needs a "path"', location);
    const valuePart = partNamed('value');
    const operation: PatchOperation = {
      parameterIndex, type, path,
      name: primitive('name') as string | undefined,
      hasValue: valuePart !== undefined,
      value: valuePart ? partValue(valuePart) : undefined,
      index: integerPart(primitive('index'), 'index', location),
      source: integerPart(primitive('source'), 'source', location),
      destination: integerPart(primitive('destination'), 'destination', location),
    };
    const required: Record<PatchOperation['type'], (keyof PatchOperation)[]> = {
      add: ['name', 'value'], insert: ['index', 'value'], delete: [], replace: ['value'], move: ['source', 'destination'],
    };
    for (const field of required[type]) {
      const present = field === 'value' ? operation.hasValue : operation[field] !== undefined;
      if (!present) throw malformed(`A ${type} operation needs "${field}"`, location);
    }
    operations.push(operation);
  });
  if (operations.length === 0) throw malformed('A FHIRPath Patch Parameters resource needs at least one "operation" parameter');
  return operations;
}

function integerPart(value: unknown, name: string, location: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 0) throw malformed(`"${name}" must be a non-negative integer`, location);
  return value as number;
}

/** value[x], or for complex values without a datatype the nested parts, each part named after an element. */
function partValue(part: ParametersPart): unknown {
  const key = Object.keys(part).find((k) => k.startsWith('value'));
  if (key) return structuredClone(part[key]);
  if (part.resource !== undefined) return structuredClone(part.resource);
  const object: JsonObject = {};
  for (const child of part.part ?? []) {
    const value = partValue(child);
    const existing = object[child.name];
    if (existing === undefined) object[child.name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else object[child.name] = [existing, value];
  }
  return object;
}

function evaluatePath(resource: Resource, path: string): PathNode[] {
  try {
    return fhirpath.evaluate(resource, path, {}, r4Model, { resolveInternalTypes: false }) as PathNode[];
  } catch (error) {
    throw malformed(`Invalid FHIRPath "${path}": ${(error as Error).message}`);
  }
}

function single(nodes: PathNode[], path: string): PathNode {
  if (nodes.length === 0) throw new FhirError('unprocessable-resource', `No element matches "${path}"`, { issueCode: 'processing' });
  if (nodes.length > 1) {
    throw new FhirError('unprocessable-resource', `"${path}" matches ${nodes.length} elements; it must match exactly one`, {
      issueCode: 'multiple-matches',
    });
  }
  return nodes[0];
}

/** The JSON key of a node in its parent: choice elements are stored with their type suffix (valueString). */
function keyInParent(node: PathNode, parent: JsonObject): string {
  const full = node.fullPropertyName?.();
  const name = node.propName ?? undefined;
  if (full && full in parent) return full;
  if (name && name in parent) return name;
  const choice = Object.keys(parent).find((key) => name && key.startsWith(name) && /^[A-Z]/.test(key.slice(name.length)));
  if (choice) return choice;
  throw new FhirError('unprocessable-resource', 'The path does not name an element that can be changed', { issueCode: 'processing' });
}

interface Slot { parent: JsonObject; key: string; index: number | null }

function slotOf(node: PathNode): Slot {
  const parentNode = node.parentResNode;
  if (!parentNode || typeof parentNode.data !== 'object' || parentNode.data === null) {
    throw new FhirError('unprocessable-resource', 'The whole resource cannot be the target of this operation', { issueCode: 'processing' });
  }
  const parent = parentNode.data as JsonObject;
  const key = keyInParent(node, parent);
  return { parent, key, index: Array.isArray(parent[key]) ? (node.index ?? 0) : null };
}

/** The list a path designates: all nodes must be items of one array element. */
function listOf(nodes: PathNode[], path: string): { parent: JsonObject; key: string; list: unknown[] } {
  if (nodes.length === 0) throw new FhirError('unprocessable-resource', `No element matches "${path}"`, { issueCode: 'processing' });
  const { parent, key } = slotOf(nodes[0]);
  const list = parent[key];
  if (!Array.isArray(list) || nodes.some((node) => node.parentResNode?.data !== parent)) {
    throw new FhirError('unprocessable-resource', `"${path}" does not designate a list`, { issueCode: 'processing' });
  }
  return { parent, key, list };
}

function isRepeating(containerPath: string | null, name: string): boolean {
  if (!containerPath) return false;
  const base = model.pathsDefinedElsewhere[containerPath] ?? containerPath;
  return Boolean(model.path2Repeating[`${base}.${name}`] ?? model.path2Repeating[`${containerPath}.${name}`]);
}

function applyOperation(resource: Resource, operation: PatchOperation): void {
  const nodes = evaluatePath(resource, operation.path);
  switch (operation.type) {
    case 'add': {
      const container = single(nodes, operation.path);
      if (typeof container.data !== 'object' || container.data === null) {
        throw new FhirError('unprocessable-resource', 'add needs a path to an element that can hold children', { issueCode: 'processing' });
      }
      const object = container.data as JsonObject;
      const name = operation.name as string;
      const existing = object[name];
      if (Array.isArray(existing)) existing.push(operation.value);
      else if (existing !== undefined) {
        throw new FhirError('unprocessable-resource', `"${name}" already has a value; use replace`, { issueCode: 'processing' });
      } else object[name] = isRepeating(container.path, name) ? [operation.value] : operation.value;
      return;
    }
    case 'insert': {
      const { list } = listOf(nodes, operation.path);
      const index = operation.index as number;
      if (index > list.length) throw new FhirError('unprocessable-resource', `index ${index} is beyond the list (length ${list.length})`, { issueCode: 'processing' });
      list.splice(index, 0, operation.value);
      return;
    }
    case 'delete': {
      if (nodes.length === 0) return;
      const slot = slotOf(single(nodes, operation.path));
      removeSlot(slot);
      return;
    }
    case 'replace': {
      const slot = slotOf(single(nodes, operation.path));
      if (slot.index === null) slot.parent[slot.key] = operation.value;
      else (slot.parent[slot.key] as unknown[])[slot.index] = operation.value;
      return;
    }
    case 'move': {
      const { list } = listOf(nodes, operation.path);
      const source = operation.source as number;
      const destination = operation.destination as number;
      if (source >= list.length || destination >= list.length) {
        throw new FhirError('unprocessable-resource', `source and destination must be within the list (length ${list.length})`, { issueCode: 'processing' });
      }
      const [item] = list.splice(source, 1);
      list.splice(destination, 0, item);
      return;
    }
  }
}

function removeSlot({ parent, key, index }: Slot): void {
  const siblingKey = `_${key}`;
  if (index === null) {
    delete parent[key];
    delete parent[siblingKey];
    return;
  }
  const list = parent[key] as unknown[];
  list.splice(index, 1);
  const extensions = parent[siblingKey];
  if (Array.isArray(extensions)) extensions.splice(index, 1);
  if (list.length === 0) {
    delete parent[key];
    delete parent[siblingKey];
  }
}
