/**
 * JSON Patch (RFC 6902) applied to a resource, for PATCH with application/json-patch+json
 * (R4 http.html#patch). A malformed patch document is a 400; a patch that cannot be applied to this
 * resource (unresolvable path, failed `test`) is a 422, as R4 asks for unprocessable patches.
 */
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';

const MALFORMED_PATCH_ERRORS = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

interface JsonPatchFailure { name: string; message: string; index?: number }

function isJsonPatchFailure(error: unknown): error is JsonPatchFailure {
  return error instanceof Error && typeof (error as { name?: unknown }).name === 'string' && /^[A-Z_]+$/.test(error.name);
}

const atOperation = (index: number | undefined) => (index === undefined ? '' : ` (operation ${index})`);

function notApplicable(index: number | undefined, reason: string): FhirError {
  return new FhirError('unprocessable-resource', `JSON Patch could not be applied${atOperation(index)}: ${reason}`, { issueCode: 'processing' });
}

/**
 * fast-json-patch refuses a `__proto__` step with a plain TypeError rather than one of its errors. No resource
 * has an element of that name, so such a path is unresolvable like any other missing one.
 */
function assertNoPrototypeStep(operations: unknown[]): void {
  operations.forEach((operation, index) => {
    const { path, from } = (typeof operation === 'object' && operation !== null ? operation : {}) as { path?: unknown; from?: unknown };
    for (const pointer of [path, from]) {
      if (typeof pointer === 'string' && pointer.split('/').includes('__proto__')) {
        throw notApplicable(index, `"${pointer}" goes through "__proto__", which is no element of a resource`);
      }
    }
  });
}

/** Returns the patched copy; the input resource is left untouched. */
export function applyJsonPatch(resource: Resource, patch: unknown): Resource {
  if (!Array.isArray(patch)) {
    throw new FhirError('invalid-parameter', 'A JSON Patch document must be a JSON array of operations (RFC 6902 section 3)', {
      issueCode: 'structure',
    });
  }
  assertNoPrototypeStep(patch);
  const target = structuredClone(resource);
  let patched: Resource;
  try {
    patched = jsonPatch.applyPatch(target, patch as Operation[], true, true).newDocument as Resource;
  } catch (error) {
    if (!isJsonPatchFailure(error)) throw error;
    const firstLine = error.message.split('\n')[0];
    if (MALFORMED_PATCH_ERRORS.has(error.name)) {
      throw new FhirError('invalid-parameter', `Malformed JSON Patch${atOperation(error.index)}: ${firstLine}`, { issueCode: 'structure' });
    }
    throw notApplicable(error.index, firstLine);
  }
  assertIdentityUnchanged(resource, patched);
  return patched;
}

/** A patch may change content but never which resource it is (R4 http.html#patch). */
export function assertIdentityUnchanged(before: Resource, after: unknown): asserts after is Resource {
  if (typeof after !== 'object' || after === null || Array.isArray(after)) {
    throw new FhirError('unprocessable-resource', 'The patch did not produce a resource', { issueCode: 'processing' });
  }
  const patched = after as Resource;
  if (patched.resourceType !== before.resourceType) {
    throw new FhirError('unprocessable-resource', `A patch must not change resourceType (${before.resourceType})`, {
      issueCode: 'processing',
      expression: [`${before.resourceType}.resourceType`],
    });
  }
  if (patched.id !== before.id) {
    throw new FhirError('unprocessable-resource', `A patch must not change the resource id (${before.id})`, {
      issueCode: 'processing',
      expression: [`${before.resourceType}.id`],
    });
  }
}
