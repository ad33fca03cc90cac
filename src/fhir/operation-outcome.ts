/** Issues -> R4 OperationOutcome (operationoutcome.html). Stable server error codes travel as issue.details.coding. */
import type { FhirError, Issue } from './errors.js';
import type { OperationOutcome, R4 } from './types.js';

export const ERROR_CODE_SYSTEM = 'urn:hospital-fhir:error-code';

export function toOperationOutcome(issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((issue) => {
      const outcomeIssue: R4.OperationOutcomeIssue = { severity: issue.severity, code: issue.code, diagnostics: issue.diagnostics };
      if (issue.errorCode) outcomeIssue.details = { coding: [{ system: ERROR_CODE_SYSTEM, code: issue.errorCode }], text: issue.diagnostics };
      if (issue.expression?.length) outcomeIssue.expression = [...issue.expression];
      return outcomeIssue;
    }),
  };
}

export function errorOutcome(error: FhirError): OperationOutcome {
  // An issue raised deeper (e.g. by the validator) keeps its own code; the error's code is added where missing.
  return toOperationOutcome(error.issues.map((issue) => ({ ...issue, errorCode: issue.errorCode ?? error.code })));
}

export function informationalOutcome(text: string): OperationOutcome {
  return toOperationOutcome([{ severity: 'information', code: 'informational', diagnostics: text }]);
}
