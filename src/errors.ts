/**
 * Every failure phi-proxy reports, one class per failure with a stable code. Messages name files,
 * lines, keys, JSON paths and rule ids; they never carry an event's values, so any of them may be
 * logged or returned to a client.
 */

export type PhiErrorCode =
  | 'PHI_ERR_CONFIG'
  | 'PHI_ERR_SCRUB'
  | 'PHI_ERR_INPUT'
  | 'PHI_ERR_VAULT'
  | 'PHI_ERR_KEY';

export class PhiError extends Error {
  readonly code: PhiErrorCode;
  /** HTTP status the proxy answers with when this error ends a request. */
  readonly status: number;

  constructor(code: PhiErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** One problem found in a config or rule file, located for `file:line:column: message`. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`;
}

/** The config or a rule file it names is invalid; `issues` lists every problem found. */
export class ConfigError extends PhiError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super('PHI_ERR_CONFIG', 500, issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** An event could not be scrubbed; the caller must drop it (fail closed), never forward it. */
export class ScrubError extends PhiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PHI_ERR_SCRUB', 422, message, options);
  }
}

/** Input that is not what it claims to be (bad JSON, bad encoding, over a limit). */
export class InputError extends PhiError {
  constructor(message: string, status = 400, options?: { cause?: unknown }) {
    super('PHI_ERR_INPUT', status, message, options);
  }
}

/** The token vault could not read or write its file. */
export class VaultError extends PhiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PHI_ERR_VAULT', 503, message, options);
  }
}

/** The HMAC key for expert-determination pseudonyms is missing or unusable. */
export class KeyError extends PhiError {
  constructor(message: string) {
    super('PHI_ERR_KEY', 500, message);
  }
}
