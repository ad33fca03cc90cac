/**
 * The one error type every layer throws. `code` is a stable, documented identifier (clients and tests
 * key on it); `issueCode` is the R4 OperationOutcome.issue.code (http://hl7.org/fhir/R4/valueset-issue-type.html).
 * http/error-mapper.ts is the only place that turns these into HTTP responses.
 */
export type IssueType =
  | 'invalid' | 'structure' | 'required' | 'value' | 'invariant' | 'security' | 'login' | 'unknown'
  | 'expired' | 'forbidden' | 'suppressed' | 'processing' | 'not-supported' | 'duplicate'
  | 'multiple-matches' | 'not-found' | 'deleted' | 'too-long' | 'code-invalid' | 'extension'
  | 'too-costly' | 'business-rule' | 'conflict' | 'transient' | 'lock-error' | 'no-store'
  | 'exception' | 'timeout' | 'incomplete' | 'throttled' | 'informational';

export type Severity = 'fatal' | 'error' | 'warning' | 'information';

export interface Issue {
  severity: Severity;
  code: IssueType;
  diagnostics: string;
  /** FHIRPath-style locations, e.g. ["Patient.birthDate"] */
  expression?: string[];
  /** Stable server error code, emitted as issue.details.coding */
  errorCode?: string;
}

/** Stable error codes. Each maps to exactly one HTTP status. */
export const ERROR_STATUS = {
  'invalid-json': 400,
  'invalid-content-type': 415,
  'not-acceptable': 406,
  'invalid-resource': 400,
  'unprocessable-resource': 422,
  'resource-type-mismatch': 400,
  'id-mismatch': 400,
  'missing-id': 400,
  'invalid-id': 400,
  'id-not-allowed': 400,
  'unknown-resource-type': 404,
  'not-found': 404,
  'version-not-found': 404,
  'gone': 410,
  'unknown-search-parameter': 400,
  'invalid-search-parameter': 400,
  'unsupported-modifier': 400,
  'invalid-search-value': 400,
  'invalid-sort': 400,
  'invalid-count': 400,
  'invalid-cursor': 400,
  'invalid-parameter': 400,
  'precondition-failed': 412,
  'version-conflict': 409,
  'conflict': 409,
  'multiple-matches': 412,
  'payload-too-large': 413,
  'method-not-allowed': 405,
  'not-supported': 501,
  'invalid-bundle': 400,
  'transaction-failed': 400,
  'unauthorized': 401,
  'forbidden': 403,
  'too-costly': 400,
  'index-building': 409,
  /** the database gave up on a write that conflicted with concurrent ones (serialization failure, deadlock) after retries; retrying later succeeds */
  'transient': 503,
  'internal': 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class FhirError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: Issue[];
  /** Extra response headers (e.g. Allow on 405, WWW-Authenticate on 401) */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    diagnostics: string,
    options: { issueCode?: IssueType; expression?: string[]; issues?: Issue[]; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(diagnostics);
    this.name = 'FhirError';
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.headers = options.headers ?? {};
    this.issues = options.issues ?? [
      {
        severity: 'error',
        code: options.issueCode ?? defaultIssueType(code),
        diagnostics,
        expression: options.expression,
        errorCode: code,
      },
    ];
  }
}

function defaultIssueType(code: ErrorCode): IssueType {
  switch (code) {
    case 'not-found':
    case 'version-not-found':
    case 'unknown-resource-type':
      return 'not-found';
    case 'gone':
      return 'deleted';
    case 'invalid-json':
      return 'structure';
    case 'not-supported':
    case 'method-not-allowed':
    case 'unsupported-modifier':
    case 'invalid-content-type':
    case 'not-acceptable':
      return 'not-supported';
    case 'precondition-failed':
    case 'version-conflict':
    case 'conflict':
      return 'conflict';
    case 'multiple-matches':
      return 'multiple-matches';
    case 'payload-too-large':
      return 'too-long';
    case 'unauthorized':
      return 'login';
    case 'forbidden':
      return 'forbidden';
    case 'too-costly':
      return 'too-costly';
    case 'index-building':
    case 'transient':
      return 'transient';
    case 'internal':
      return 'exception';
    case 'transaction-failed':
      return 'processing';
    default:
      return 'invalid';
  }
}

export const notFound = (type: string, id: string) =>
  new FhirError('not-found', `Resource ${type}/${id} is not known`);
