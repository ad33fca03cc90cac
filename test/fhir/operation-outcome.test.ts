import t from 'tap';
import { ERROR_CODE_SYSTEM, errorOutcome, informationalOutcome, toOperationOutcome } from '../../src/fhir/operation-outcome.js';
import { FhirError } from '../../src/fhir/errors.js';
import { createValidator } from '../../src/fhir/validation.js';
import type { Resource } from '../../src/fhir/types.js';

t.test('issues keep severity, code, diagnostics and expression; errorCode becomes details.coding (operationoutcome.html)', async (t) => {
  const outcome = toOperationOutcome([
    { severity: 'error', code: 'required', diagnostics: 'Observation.code is required but missing', expression: ['Observation.code'], errorCode: 'invalid-resource' },
    { severity: 'warning', code: 'informational', diagnostics: 'no code' },
  ]);
  t.same(outcome, {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error', code: 'required', diagnostics: 'Observation.code is required but missing',
        details: { coding: [{ system: ERROR_CODE_SYSTEM, code: 'invalid-resource' }], text: 'Observation.code is required but missing' },
        expression: ['Observation.code'],
      },
      { severity: 'warning', code: 'informational', diagnostics: 'no code' },
    ],
  });
});

t.test('errorOutcome carries the stable code of the FhirError', async (t) => {
  const cases: [FhirError, string, string][] = [
    [new FhirError('not-found', 'Resource Patient/x is not known'), 'not-found', 'not-found'],
    [new FhirError('gone', 'Patient/x was deleted'), 'deleted', 'gone'],
    [new FhirError('unknown-search-parameter', 'Unknown search parameter "nmae"', { expression: ['nmae'] }), 'invalid', 'unknown-search-parameter'],
  ];
  for (const [error, issueCode, errorCode] of cases) {
    const [issue] = errorOutcome(error).issue;
    t.equal(issue?.code, issueCode, error.message);
    t.same(issue?.details?.coding, [{ system: ERROR_CODE_SYSTEM, code: errorCode }]);
    t.equal(issue?.diagnostics, error.message);
  }
  t.same(errorOutcome(cases[2]![0]).issue[0]?.expression, ['nmae']);
});

t.test('validation issues inside a FhirError keep their own expression and code', async (t) => {
  const issues = createValidator().validate({ resourceType: 'Patient', birthDate: 'yesterday' } as Resource);
  const outcome = errorOutcome(new FhirError('invalid-resource', 'Invalid Patient', { issues }));
  t.match(outcome.issue, [{ code: 'value', expression: ['Patient.birthDate'], details: { coding: [{ code: 'invalid-resource' }] } }]);
});

t.test('informationalOutcome', async (t) => {
  t.same(informationalOutcome('Deleted Patient/1'), {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'information', code: 'informational', diagnostics: 'Deleted Patient/1' }],
  });
});

t.test('an outcome is itself a valid OperationOutcome', async (t) => {
  const validator = createValidator();
  t.same(validator.validate(errorOutcome(new FhirError('gone', 'x')) as unknown as Resource), []);
  t.same(validator.validate(informationalOutcome('ok') as unknown as Resource), []);
});
