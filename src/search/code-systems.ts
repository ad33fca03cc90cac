/**
 * Implicit code systems of `code` elements (R4 search.html#token: "the system is implied by the element's
 * binding"). Patient.gender carries only "male"; its required binding to ValueSet administrative-gender,
 * which draws on the single CodeSystem http://hl7.org/fhir/administrative-gender, makes that the system,
 * so `gender=http://hl7.org/fhir/administrative-gender|male` matches.
 *
 * Two stages per token parameter and base type: at registry build, a static walk of the expression over
 * fhirpath's R4 model tables finds whether it ends on a `code` element (cheap, no definitions read); the
 * binding itself is read from the StructureDefinition snapshot the first time that type is indexed, and
 * remembered. Reading every resource snapshot at start would cost about 0.5 s and 50 MB, while the
 * validator loads the snapshot of each type written anyway.
 */
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Definitions } from '../fhir/definitions.js';
import type { R4 } from '../fhir/types.js';
import { fhirTypeName, type PathEvaluator, type PathNode } from './path.js';
import { splitTopLevel } from './expression.js';

const model = r4 as unknown as {
  path2Type: Record<string, string>;
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
};

/** Top-level segments of `a.b(x.y).c`, parentheses and quotes respected. */
function segments(expression: string): string[] | undefined {
  const { parts, balanced } = splitTopLevel(expression, '.');
  return balanced ? parts : undefined;
}

/**
 * The model path of the `code` element an expression part ends on ("Patient.gender",
 * "ContactPoint.system", "Questionnaire.item.type"), or undefined when it does not end on one or uses
 * anything beyond paths, where(...), [n] and as/ofType.
 */
export function codeElementPath(part: string, resourceType: string): string | undefined {
  let text = part.trim();
  let finalType: string | undefined;
  const as = /^(.*\S)\s+as\s+([A-Za-z]+)$/s.exec(text);
  if (as) [text, finalType] = [as[1]!, as[2]!];
  while (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1).trim();
  const steps = segments(text);
  if (!steps || steps.length < 2) return undefined;
  const [root, ...rest] = steps;
  if (root !== resourceType) return undefined;
  let key = resourceType;
  let element: string | undefined;
  let type: string | undefined;
  for (const raw of rest) {
    const step = raw.replace(/\[\d+\]$/, '');
    const call = /^([A-Za-z]+)\((.*)\)$/s.exec(step);
    if (call) {
      if (call[1] === 'where') continue;
      if ((call[1] === 'as' || call[1] === 'ofType') && type === 'choice') {
        type = fhirTypeName(call[2]!.trim());
        continue;
      }
      return undefined;
    }
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(step) || type === 'choice') return undefined;
    if (type !== undefined) key = type === 'BackboneElement' || type === 'Element' ? element! : type;
    element = model.pathsDefinedElsewhere[`${key}.${step}`] ?? `${key}.${step}`;
    type = model.path2Type[element] ?? (model.choiceTypePaths[element] ? 'choice' : undefined);
    if (type === undefined) return undefined;
  }
  if (type === 'choice' && finalType) type = fhirTypeName(finalType);
  return type === 'code' ? element : undefined;
}

/** The one CodeSystem a ValueSet draws on, when it draws on exactly one (imports followed). */
function singleSystem(defs: Definitions, valueSetUrl: string, depth = 0): string | undefined {
  if (depth > 5) return undefined;
  const vs: R4.ValueSet | undefined = defs.valueSet(valueSetUrl);
  if (!vs) return undefined;
  const systems = new Set<string>();
  for (const include of vs.compose?.include ?? []) {
    if (include.system) systems.add(include.system);
    for (const imported of include.valueSet ?? []) {
      const system = singleSystem(defs, imported, depth + 1);
      if (!system) return undefined;
      systems.add(system);
    }
  }
  if (!vs.compose) for (const entry of vs.expansion?.contains ?? []) if (entry.system) systems.add(entry.system);
  return systems.size === 1 ? [...systems][0] : undefined;
}

/** The system implied by the required binding of the element at `elementPath`, if any. */
export function bindingSystem(defs: Definitions, elementPath: string): string | undefined {
  const sd = defs.structureDefinition(elementPath.slice(0, elementPath.indexOf('.')));
  const element = sd?.snapshot?.element?.find((e) => e.path === elementPath);
  const binding = element?.binding;
  if (!binding || binding.strength !== 'required' || !binding.valueSet) return undefined;
  return singleSystem(defs, binding.valueSet);
}

/**
 * The evaluator of a token expression part, with the implicit system attached to the `code` values it
 * finds (PathNode.system); unchanged when the part does not end on a `code` element.
 */
export function withImplicitSystem(defs: Definitions, evaluator: PathEvaluator, part: string, resourceType: string): PathEvaluator {
  const elementPath = codeElementPath(part, resourceType);
  if (!elementPath) return evaluator;
  let system: string | null | undefined = null; // null: not looked up yet
  return (start, resource) => {
    const nodes = evaluator(start, resource);
    if (system === null) system = bindingSystem(defs, elementPath);
    if (system === undefined || nodes.length === 0) return nodes;
    const implied = system;
    return nodes.map((node): PathNode => (typeof node.value === 'string' ? { ...node, system: implied } : node));
  };
}
