/** ajv errors -> OperationOutcome issues: one sentence each, naming the element as a FHIRPath-style expression. */
import type { ErrorObject } from 'ajv';
import type { Issue, IssueType } from './errors.js';

/** What a schema definition name means to a reader, for pattern and range errors (R4 datatypes.html#primitive). */
const PRIMITIVE_FORMATS: Record<string, string> = {
  date: 'a date (YYYY, YYYY-MM or YYYY-MM-DD)',
  dateTime: 'a dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz)',
  instant: 'an instant (YYYY-MM-DDThh:mm:ss.sss+zz:zz)',
  time: 'a time (hh:mm:ss)',
  id: "an id (1 to 64 letters, digits, '-' or '.')",
  code: 'a code (no leading or trailing whitespace, no control characters)',
  decimal: 'a decimal',
  integer: 'an integer (-2147483648 to 2147483647)',
  positiveInt: 'a positiveInt (1 to 2147483647)',
  unsignedInt: 'an unsignedInt (0 to 2147483647)',
  uri: 'a uri (no whitespace or control characters)',
  url: 'a url (no whitespace or control characters)',
  canonical: 'a canonical url (no whitespace or control characters)',
  oid: 'an oid (urn:oid:...)',
  uuid: 'a uuid (urn:uuid:...)',
  base64Binary: 'base64 data',
  string: 'a non-empty string without control characters other than tab, CR and LF',
  markdown: 'non-empty markdown without control characters other than tab, CR and LF',
  boolean: 'true or false',
};

/**
 * One issue per error, minus noise: where an element has the wrong JSON type, its other errors (e.g. a
 * decimal's pattern) are dropped. `primitiveTypeByPattern` names the FHIR primitive a pattern belongs to.
 */
export function toIssues(errors: ErrorObject[], resource: unknown, primitiveTypeByPattern: ReadonlyMap<string, string>): Issue[] {
  const rootType = typeof resource === 'object' && resource !== null && typeof (resource as { resourceType?: unknown }).resourceType === 'string'
    ? (resource as { resourceType: string }).resourceType
    : 'Resource';
  const wrongType = new Set(errors.filter((error) => error.keyword === 'type').map((error) => error.instancePath));
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const error of errors) {
    if (error.keyword !== 'type' && wrongType.has(error.instancePath)) continue;
    const issue = toIssue(error, rootType, resource, primitiveTypeByPattern);
    const key = `${issue.code}|${issue.expression?.[0]}|${issue.diagnostics}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function toIssue(error: ErrorObject, rootType: string, resource: unknown, primitiveTypeByPattern: ReadonlyMap<string, string>): Issue {
  const at = expressionOf(rootType, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return issue('required', `${at}.${missing}`, `${at}.${missing} is required but missing`);
    }
    case 'additionalProperties': {
      const unknown = String(params.additionalProperty);
      return issue('structure', `${at}.${unknown}`, `Unknown element '${unknown}' in ${at}: not defined by R4`);
    }
    case 'type': {
      const value = valueAt(resource, error.instancePath);
      if (typeof value === 'number' && !Number.isFinite(value)) {
        return issue('value', at, `${at} must be a finite number: it is beyond the range of a JSON number (a double), e.g. 1e400`);
      }
      // null is allowed only as the padding of a repeating primitive: not worth naming as an alternative
      const types = ([] as unknown[]).concat(params.type).filter((type) => type !== 'null').map(String);
      return issue('structure', at, `${at} must be ${types.map(article).join(' or ')}, found ${describe(value)}`);
    }
    case 'minimum':
      return issue('value', at, `${at} is not ${PRIMITIVE_FORMATS[rangeType(params.limit)]}`);
    case 'maximum':
      return issue('value', at, `${at} is greater than ${String(params.limit)}: integer, unsignedInt and positiveInt are 32-bit (for larger values R4 uses decimal)`);
    case 'minItems':
      return issue('structure', at, `${at} must not be an empty array: json.html, arrays are never empty (leave the element out)`);
    case 'fhirCalendarDate':
      return issue('value', at, `${at} is not a calendar date: ${String(params.problem)}`);
    case 'fhirObject':
      return issue(params.rule === 'ele-1' ? 'invariant' : 'structure', at, `${at} ${error.message ?? 'is invalid'}`);
    case 'fhirMaxDepth':
      return issue('too-costly', at, `${at} nests deeper than ${String(params.limit)} levels of JSON objects and arrays, the most this server accepts`);
    case 'pattern': {
      const format = PRIMITIVE_FORMATS[primitiveTypeByPattern.get(String(params.pattern)) ?? ''];
      return issue('value', at, format ? `${at} is not ${format}` : `${at} does not match the pattern ${String(params.pattern)}`);
    }
    case 'enum':
      return issue('value', at, `${at} must be one of: ${(params.allowedValues as unknown[]).join(', ')}`);
    case 'const':
      return issue('value', at, `${at} must be ${JSON.stringify(params.allowedValue)}`);
    case 'fhirResource':
      return issue('value', at, `${at} ${JSON.stringify(params.resourceType)} is not an R4 resource type`);
    default:
      return issue('structure', at, `${at} ${error.message ?? 'is invalid'}`);
  }
}

/** the primitive type a minimum of validation-fhir-json.ts belongs to */
function rangeType(limit: unknown): string {
  if (limit === 0) return 'unsignedInt';
  return limit === 1 ? 'positiveInt' : 'integer';
}

function issue(code: IssueType, expression: string, diagnostics: string): Issue {
  return { severity: 'error', code, diagnostics, expression: [expression], errorCode: 'invalid-resource' };
}

/** "/name/0/given" -> "Patient.name[0].given" (JSON pointer, RFC 6901 escapes) */
export function expressionOf(rootType: string, instancePath: string): string {
  let expression = rootType;
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    expression += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return expression;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The value a JSON pointer designates (error.data is not used: it is overwritten when errors cross the resource dispatch). */
function valueAt(root: unknown, instancePath: string): unknown {
  let value = root;
  for (const raw of instancePath.split('/').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'another type';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `${article(typeof value)} ${typeof value === 'object' ? '' : JSON.stringify(value)}`.trim();
}
