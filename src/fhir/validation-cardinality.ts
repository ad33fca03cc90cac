/**
 * Required primitive elements (min >= 1 in the StructureDefinition, e.g. Observation.status).
 * fhir.schema.json cannot require them because a primitive may be present only as its `_element`
 * extension twin (R4 json.html#primitive), so they are checked here against the snapshot.
 */
import type { ErrorObject } from 'ajv';
import type { R4 } from './types.js';

interface ElementRequirements {
  /** required primitive element names at this level ("value[x]" for a choice) */
  required: string[];
  /** backbone children (by name) that have requirements of their own */
  children: Map<string, ElementRequirements>;
}

const requirementsByDefinition = new WeakMap<R4.StructureDefinition, ElementRequirements>();

export function requiredPrimitiveErrors(structure: R4.StructureDefinition, resource: Record<string, unknown>, instancePath: string): ErrorObject[] {
  let requirements = requirementsByDefinition.get(structure);
  if (!requirements) {
    requirements = buildRequirements(structure);
    requirementsByDefinition.set(structure, requirements);
  }
  const errors: ErrorObject[] = [];
  collectMissing(requirements, resource, instancePath, errors);
  return errors;
}

function buildRequirements(structure: R4.StructureDefinition): ElementRequirements {
  const root: ElementRequirements = { required: [], children: new Map() };
  for (const element of structure.snapshot?.element ?? []) {
    const segments = element.path.split('.');
    if (segments.length < 2 || (element.min ?? 0) < 1 || !isPrimitive(element)) continue;
    let level = root;
    for (const segment of segments.slice(1, -1)) {
      let child = level.children.get(segment);
      if (!child) {
        child = { required: [], children: new Map() };
        level.children.set(segment, child);
      }
      level = child;
    }
    level.required.push(segments[segments.length - 1]!);
  }
  return root;
}

function isPrimitive(element: R4.ElementDefinition): boolean {
  const types = element.type ?? [];
  return types.length > 0 && types.every((type) => /^[a-z]/.test(type.code) || type.code.startsWith('http://hl7.org/fhirpath/'));
}

function collectMissing(requirements: ElementRequirements, node: Record<string, unknown>, path: string, errors: ErrorObject[]): void {
  for (const name of requirements.required) {
    if (!isPresent(node, name)) {
      errors.push({
        instancePath: path,
        keyword: 'required',
        params: { missingProperty: name },
        message: `must have required property '${name}'`,
        schemaPath: '#/snapshot/min',
      });
    }
  }
  for (const [name, childRequirements] of requirements.children) {
    const value = node[name];
    const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
    items.forEach((item, index) => {
      if (typeof item !== 'object' || item === null) return;
      const itemPath = Array.isArray(value) ? `${path}/${name}/${index}` : `${path}/${name}`;
      collectMissing(childRequirements, item as Record<string, unknown>, itemPath, errors);
    });
  }
}

function isPresent(node: Record<string, unknown>, name: string): boolean {
  if (name.endsWith('[x]')) {
    const stem = name.slice(0, -3);
    return Object.keys(node).some((key) => {
      const bare = key.startsWith('_') ? key.slice(1) : key;
      return bare.startsWith(stem) && /^[A-Z]/.test(bare.slice(stem.length));
    });
  }
  return node[name] !== undefined || node[`_${name}`] !== undefined;
}
