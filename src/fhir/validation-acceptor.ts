/**
 * Does a value satisfy a definition of fhir.schema.json? The same answer ajv gives for the same schema and options
 * (validation.ts: strict false but strictNumbers, so numbers must be finite; patterns through the same RegExp factory
 * with the `u` flag; the FHIR keywords of validation-fhir-json.ts), but as a yes or no, from closures built per schema
 * node on first use instead of generated code. Each closure is told how deeply its value is nested, so the walk also
 * enforces the nesting limit without a walk of its own.
 *
 * Valid resources, nearly every resource written, need no more than that: ajv (its compile costs ~25 ms per
 * resource type, ~540 ms for the 20 Synthea types and the shared data types) is built only for a resource this
 * rejects, to say why. The schema uses a handful of keywords; a node with any other validation keyword makes
 * `schemaAcceptor` throw, and validation.ts then keeps to ajv alone.
 */

import { choiceConflict, isCalendarDate, primitiveProblem, type ObjectRules } from './validation-fhir-json.js';

/** `depth`: how deeply `data` is nested (the resource object is 1) */
export type Acceptor = (data: unknown, depth: number) => boolean;

export interface AcceptorOptions {
  /** the RegExp factory ajv is given (code.regExp) */
  regExp(pattern: string, flags: string): RegExp;
  /** the `fhirResource` keyword (a contained or Bundle-entry resource): its own type's definition and required elements */
  acceptsResource: Acceptor;
  /** objects and arrays nested deeper are refused */
  maxDepth: number;
}

/** keywords that do not constrain the value (ajv with strict: false ignores them or uses them only to locate schemas) */
const ANNOTATIONS = new Set(['description', 'title', 'id', '$id', '$schema', '$comment', 'definitions', 'examples', 'default', 'discriminator']);
const KEYWORDS = new Set([
  '$ref', 'type', 'pattern', 'enum', 'const', 'properties', 'additionalProperties', 'required', 'items', 'minItems', 'minimum', 'maximum',
  'fhirResource', 'fhirCalendarDate', 'fhirObject',
]);
const DEFINITION_REF = '#/definitions/';

type SchemaNode = Record<string, unknown>;

const isObject = (data: unknown): data is Record<string, unknown> => typeof data === 'object' && data !== null && !Array.isArray(data);
const isPrimitive = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/**
 * `accepts(definition)` gives the acceptor of `#/definitions/<definition>`. Every node of every definition is checked
 * for supported keywords here, so an unsupported schema fails at once rather than on some later resource.
 */
export function schemaAcceptor(definitions: Record<string, unknown>, options: AcceptorOptions): (definition: string) => Acceptor | undefined {
  for (const [name, node] of Object.entries(definitions)) checkSupported(node, name);
  const { maxDepth } = options;
  const compiled = new Map<string, Acceptor>();
  const regExps = new Map<string, RegExp>();

  const definition = (name: string): Acceptor | undefined => {
    let acceptor = compiled.get(name);
    if (acceptor === undefined) {
      const node = definitions[name];
      if (!isObject(node)) return undefined;
      // placeholder first: recursive definitions (Extension -> Extension) refer to the entry while it is built
      let built: Acceptor | undefined;
      compiled.set(name, (data, depth) => built!(data, depth));
      built = compileNode(node);
      compiled.set(name, built);
      acceptor = built;
    }
    return acceptor;
  };

  const reference = (ref: string): Acceptor => {
    const name = ref.slice(DEFINITION_REF.length);
    let target: Acceptor | undefined;
    return (data, depth) => (target ??= definition(name) ?? missingDefinition(ref))(data, depth);
  };

  const regExp = (pattern: string): RegExp => {
    let compiledPattern = regExps.get(pattern);
    if (compiledPattern === undefined) regExps.set(pattern, compiledPattern = options.regExp(pattern, 'u'));
    return compiledPattern;
  };

  function compileNode(node: SchemaNode): Acceptor {
    const primitive = primitiveCheck(node);
    if (primitive !== undefined) return primitive;
    const checks: Acceptor[] = [];
    if (typeof node.$ref === 'string') checks.push(reference(node.$ref));
    if (node.fhirResource === true) checks.push(options.acceptsResource);
    const objectKeywords = node.properties !== undefined || node.additionalProperties !== undefined || node.required !== undefined || node.fhirObject !== undefined;
    const arrayKeywords = node.items !== undefined || node.minItems !== undefined;
    // objectCheck and arrayCheck test the type themselves: one closure per object or array rather than two
    const ownType = (node.type === 'object' && objectKeywords) || (node.type === 'array' && arrayKeywords);
    if (node.type !== undefined && !ownType) checks.push(typeCheck(node.type as string | string[]));
    if (typeof node.pattern === 'string') {
      const pattern = regExp(node.pattern);
      checks.push((data) => typeof data !== 'string' || pattern.test(data));
    }
    if (Array.isArray(node.enum)) {
      const values = node.enum as unknown[];
      checks.push((data) => values.includes(data));
    }
    if ('const' in node) {
      const value = node.const;
      checks.push((data) => data === value);
    }
    if (typeof node.minimum === 'number') {
      const minimum = node.minimum;
      checks.push((data) => typeof data !== 'number' || data >= minimum);
    }
    if (typeof node.maximum === 'number') {
      const maximum = node.maximum;
      checks.push((data) => typeof data !== 'number' || data <= maximum);
    }
    if (node.fhirCalendarDate === true) checks.push((data) => typeof data !== 'string' || isCalendarDate(data));
    if (objectKeywords) checks.push(objectCheck(node, ownType));
    if (arrayKeywords) checks.push(arrayCheck(node, ownType));
    if (checks.length === 0) return () => true;
    if (checks.length === 1) return checks[0]!;
    return (data, depth) => {
      for (const check of checks) if (!check(data, depth)) return false;
      return true;
    };
  }

  /**
   * The primitive nodes (a string with a pattern, an integer with a range; either may be nullable in a repeating
   * primitive's array) as one closure: most values of a resource are checked here.
   */
  function primitiveCheck(node: SchemaNode): Acceptor | undefined {
    const { type, pattern: source, minimum, maximum } = node;
    const nullable = Array.isArray(type) && type.length === 2 && type[1] === 'null';
    const single = nullable ? (type as unknown[])[0] : type;
    const keywords = Object.keys(node).filter((key) => !ANNOTATIONS.has(key));
    if (single === 'string' && typeof source === 'string' && keywords.every((key) => ['type', 'pattern', 'fhirCalendarDate'].includes(key))) {
      const pattern = regExp(source);
      const calendar = node.fhirCalendarDate === true;
      return (data) => (typeof data === 'string' ? pattern.test(data) && (!calendar || isCalendarDate(data)) : nullable && data === null);
    }
    // a pattern applies to strings only: not to numbers and booleans
    if (single === 'integer' && typeof minimum === 'number' && typeof maximum === 'number' && keywords.every((key) => ['type', 'pattern', 'minimum', 'maximum'].includes(key))) {
      return (data) => (typeof data === 'number' ? Number.isInteger(data) && data >= minimum && data <= maximum : nullable && data === null);
    }
    if ((single === 'number' || single === 'boolean') && keywords.every((key) => ['type', 'pattern'].includes(key))) {
      const accepts = typeCheck(single);
      return (data, depth) => accepts(data, depth) || (nullable && data === null);
    }
    return undefined;
  }

  function arrayCheck(node: SchemaNode, requireArray: boolean): Acceptor {
    const item = isObject(node.items) ? compileNode(node.items) : undefined;
    const minItems = (node.minItems ?? 0) as number;
    return (data, depth) => {
      if (!Array.isArray(data)) return !requireArray;
      if (data.length < minItems || depth > maxDepth) return false;
      if (item !== undefined) for (let index = 0; index < data.length; index++) if (!item(data[index], depth + 1)) return false;
      return true;
    };
  }

  function objectCheck(node: SchemaNode, requireObject: boolean): Acceptor {
    const rules = node.fhirObject as ObjectRules | undefined;
    const properties = new Map<string, PropertyCheck>();
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, SchemaNode>)) properties.set(name, propertyCheck(name, compileNode(child), rules));
    const required = (node.required ?? []) as string[];
    const additional = node.additionalProperties;
    const additionalCheck = isObject(additional) ? compileNode(additional) : undefined;
    const element = rules?.element === true;
    const choices = rules?.choices;
    return (data, depth) => {
      if (!isObject(data)) return !requireObject;
      if (depth > maxDepth) return false;
      for (const name of required) if (data[name] === undefined) return false;
      let children = 0;
      let choiceVariants = 0;
      for (const key in data) {
        if (key !== 'id') children++;
        const property = properties.get(key);
        const value = data[key];
        if (property !== undefined) {
          if (value !== undefined && !property.accepts(value, depth + 1)) return false;
          if (property.choice) choiceVariants++;
          if (property.primitive !== undefined && (property.unlessPresent === undefined || data[property.unlessPresent] === undefined)
            && primitiveProblem(data, property.primitive, property.repeats) !== undefined) return false;
        } else if (additional === false) return false;
        else if (additionalCheck !== undefined && !additionalCheck(value, depth + 1)) return false;
      }
      if (rules !== undefined && children === 0 && (element || data.id === undefined)) return false;
      // a conflict needs two variants, so most objects with a choice element are done with the count
      return choiceVariants < 2 || choiceConflict(choices!, data) === undefined;
    };
  }

  return definition;
}

/** A property's acceptor, and which object rule (validation-fhir-json.ts) its presence calls for. */
interface PropertyCheck {
  accepts: Acceptor;
  /** a variant of a choice element (or its `_` twin) */
  choice: boolean;
  /** the primitive whose value/`_` pair is checked when this property is present */
  primitive: string | undefined;
  repeats: boolean;
  /** skip the check when this property is present too (the pair is checked once, from the `_` side) */
  unlessPresent: string | undefined;
}

function propertyCheck(name: string, accepts: Acceptor, rules: ObjectRules | undefined): PropertyCheck {
  const check: PropertyCheck = { accepts, choice: rules?.choices?.[name] !== undefined, primitive: undefined, repeats: false, unlessPresent: undefined };
  const primitives = rules?.primitives ?? {};
  const twinOf = name.startsWith('_') ? name.slice(1) : undefined;
  if (twinOf !== undefined && primitives[twinOf] !== undefined) {
    check.primitive = twinOf;
    check.repeats = primitives[twinOf]!;
  } else if (primitives[name] === true) {
    // a repeating value without its `_` array: only its nulls need looking at
    check.primitive = name;
    check.repeats = true;
    check.unlessPresent = `_${name}`;
  }
  return check;
}

function typeCheck(type: string | string[]): Acceptor {
  if (Array.isArray(type)) {
    const alternatives = type.map(typeCheck);
    return (data, depth) => alternatives.some((accepts) => accepts(data, depth));
  }
  switch (type) {
    case 'string': return (data) => typeof data === 'string';
    case 'boolean': return (data) => typeof data === 'boolean';
    // JSON.parse gives Infinity for a number beyond the double range (1e400)
    case 'number': return (data) => typeof data === 'number' && Number.isFinite(data);
    case 'integer': return (data) => Number.isInteger(data);
    case 'array': return (data) => Array.isArray(data);
    case 'object': return isObject;
    case 'null': return (data) => data === null;
    default: throw new Error(`fhir.schema.json: unsupported type ${type}`);
  }
}

function missingDefinition(ref: string): never {
  throw new Error(`fhir.schema.json has no definition for ${ref}`);
}

function checkSupported(node: unknown, where: string): void {
  if (!isObject(node)) throw new Error(`fhir.schema.json ${where}: a schema must be an object`);
  for (const key of Object.keys(node)) {
    if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key)) throw new Error(`fhir.schema.json ${where}: unsupported keyword ${key}`);
  }
  if (node.$ref !== undefined) {
    if (typeof node.$ref !== 'string' || !node.$ref.startsWith(DEFINITION_REF)) throw new Error(`fhir.schema.json ${where}: unsupported $ref`);
    // ajv's rules for the siblings of $ref differ between drafts: accept none
    if (Object.keys(node).some((key) => key !== '$ref' && !ANNOTATIONS.has(key))) throw new Error(`fhir.schema.json ${where}: $ref with siblings`);
  }
  if (node.type !== undefined && !(typeof node.type === 'string' || (Array.isArray(node.type) && node.type.every((name) => typeof name === 'string')))) {
    throw new Error(`fhir.schema.json ${where}: type must be a name or a list of names`);
  }
  for (const keyword of ['minItems', 'minimum', 'maximum']) {
    if (node[keyword] !== undefined && typeof node[keyword] !== 'number') throw new Error(`fhir.schema.json ${where}: ${keyword} must be a number`);
  }
  if (node.fhirCalendarDate !== undefined && node.fhirCalendarDate !== true) throw new Error(`fhir.schema.json ${where}: fhirCalendarDate must be true`);
  if (node.fhirObject !== undefined && !isObject(node.fhirObject)) throw new Error(`fhir.schema.json ${where}: fhirObject must be an object`);
  if (node.enum !== undefined && !(Array.isArray(node.enum) && node.enum.every(isPrimitive))) throw new Error(`fhir.schema.json ${where}: enum of non-primitives`);
  if ('const' in node && !isPrimitive(node.const)) throw new Error(`fhir.schema.json ${where}: const of a non-primitive`);
  if (node.required !== undefined && !(Array.isArray(node.required) && node.required.every((name) => typeof name === 'string'))) {
    throw new Error(`fhir.schema.json ${where}: required must list names`);
  }
  if (node.additionalProperties !== undefined && typeof node.additionalProperties !== 'boolean') checkSupported(node.additionalProperties, `${where}.additionalProperties`);
  if (node.properties !== undefined) {
    if (!isObject(node.properties)) throw new Error(`fhir.schema.json ${where}: properties must be an object`);
    for (const [name, child] of Object.entries(node.properties)) checkSupported(child, `${where}.${name}`);
  }
  if (node.items !== undefined) checkSupported(node.items, `${where}.items`);
  if (node.fhirResource !== undefined && node.fhirResource !== true) throw new Error(`fhir.schema.json ${where}: fhirResource must be true`);
}
