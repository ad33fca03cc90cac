/**
 * Does a value satisfy a definition of fhir.schema.json? The same answer ajv gives for the same schema and options
 * (validation.ts: strict false, so numbers need not be finite; patterns through the same RegExp factory with the `u`
 * flag), but as a yes or no, from closures built per schema node on first use instead of generated code.
 *
 * Valid resources, nearly every resource written, need no more than that: ajv (its compile costs ~25 ms per
 * resource type, ~540 ms for the 20 Synthea types and the shared data types) is built only for a resource this
 * rejects, to say why. The schema uses a handful of keywords; a node with any other validation keyword makes
 * `schemaAcceptor` throw, and validation.ts then keeps to ajv alone.
 */

export type Acceptor = (data: unknown) => boolean;

export interface AcceptorOptions {
  /** the RegExp factory ajv is given (code.regExp) */
  regExp(pattern: string, flags: string): RegExp;
  /** the `fhirResource` keyword (a contained or Bundle-entry resource): its own type's definition and required elements */
  acceptsResource(data: unknown): boolean;
}

/** keywords that do not constrain the value (ajv with strict: false ignores them or uses them only to locate schemas) */
const ANNOTATIONS = new Set(['description', 'title', 'id', '$id', '$schema', '$comment', 'definitions', 'examples', 'default', 'discriminator']);
const KEYWORDS = new Set(['$ref', 'type', 'pattern', 'enum', 'const', 'properties', 'additionalProperties', 'required', 'items', 'fhirResource']);
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
  const compiled = new Map<string, Acceptor>();
  const regExps = new Map<string, RegExp>();

  const definition = (name: string): Acceptor | undefined => {
    let acceptor = compiled.get(name);
    if (acceptor === undefined) {
      const node = definitions[name];
      if (!isObject(node)) return undefined;
      // placeholder first: recursive definitions (Extension -> Extension) refer to the entry while it is built
      let built: Acceptor | undefined;
      compiled.set(name, (data) => built!(data));
      built = compileNode(node);
      compiled.set(name, built);
      acceptor = built;
    }
    return acceptor;
  };

  const reference = (ref: string): Acceptor => {
    const name = ref.slice(DEFINITION_REF.length);
    let target: Acceptor | undefined;
    return (data) => (target ??= definition(name) ?? missingDefinition(ref))(data);
  };

  const regExp = (pattern: string): RegExp => {
    let compiledPattern = regExps.get(pattern);
    if (compiledPattern === undefined) regExps.set(pattern, compiledPattern = options.regExp(pattern, 'u'));
    return compiledPattern;
  };

  function compileNode(node: SchemaNode): Acceptor {
    const checks: Acceptor[] = [];
    if (typeof node.$ref === 'string') checks.push(reference(node.$ref));
    if (node.fhirResource === true) checks.push(options.acceptsResource);
    if (typeof node.type === 'string') checks.push(typeCheck(node.type));
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
    if (node.properties !== undefined || node.additionalProperties !== undefined || node.required !== undefined) checks.push(objectCheck(node));
    if (isObject(node.items)) {
      const item = compileNode(node.items);
      checks.push((data) => !Array.isArray(data) || data.every(item));
    }
    if (checks.length === 0) return () => true;
    if (checks.length === 1) return checks[0]!;
    return (data) => {
      for (const check of checks) if (!check(data)) return false;
      return true;
    };
  }

  function objectCheck(node: SchemaNode): Acceptor {
    const properties = new Map<string, Acceptor>();
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, SchemaNode>)) properties.set(name, compileNode(child));
    const required = (node.required ?? []) as string[];
    const additional = node.additionalProperties;
    const additionalCheck = isObject(additional) ? compileNode(additional) : undefined;
    return (data) => {
      if (!isObject(data)) return true;
      for (const name of required) if (data[name] === undefined) return false;
      for (const key in data) {
        const property = properties.get(key);
        const value = data[key];
        if (property !== undefined) {
          if (value !== undefined && !property(value)) return false;
        } else if (additional === false) return false;
        else if (additionalCheck !== undefined && !additionalCheck(value)) return false;
      }
      return true;
    };
  }

  return definition;
}

function typeCheck(type: string): Acceptor {
  switch (type) {
    case 'string': return (data) => typeof data === 'string';
    case 'boolean': return (data) => typeof data === 'boolean';
    case 'number': return (data) => typeof data === 'number';
    case 'integer': return (data) => typeof data === 'number' && !(data % 1) && !Number.isNaN(data);
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
  if (node.type !== undefined && typeof node.type !== 'string') throw new Error(`fhir.schema.json ${where}: type must be one name`);
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
