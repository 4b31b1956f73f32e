/**
 * The client's error hierarchy. Recognise errors with the static `isInstance` brand checks: a program can load
 * two copies of this package (the dynamic-provider host resolves it separately), and `instanceof` fails across
 * copies while `Symbol.for` brands do not.
 *
 * Nothing here ever holds the secret key, the access token or a signature; messages from EnOS are passed through
 * {@link redact} by the client before they get here.
 */

/** The call an error belongs to. `path` is relative to the gateway and never includes the query. */
export interface EnosCall {
  readonly method: string;
  readonly path: string;
}

type Branded = Record<symbol, unknown>;

function brand(target: object, key: symbol): void {
  // Non-enumerable so brands stay out of JSON and inspect output.
  Object.defineProperty(target, key, { value: true, enumerable: false });
}

function hasBrand(x: unknown, key: symbol): boolean {
  return typeof x === "object" && x !== null && (x as Branded)[key] === true;
}

const ENOS_ERROR = Symbol.for("pulumi-enos.EnosError");
const ENOS_API_ERROR = Symbol.for("pulumi-enos.EnosApiError");
const ENOS_TRANSPORT_ERROR = Symbol.for("pulumi-enos.EnosTransportError");
const ENOS_TIMEOUT_ERROR = Symbol.for("pulumi-enos.EnosTimeoutError");
const ENOS_SHAPE_ERROR = Symbol.for("pulumi-enos.EnosResponseShapeError");
const ENOS_DEADLINE_ERROR = Symbol.for("pulumi-enos.EnosDeadlineError");

/** Base of every error the client throws for a call. */
export class EnosError extends Error {
  /** The call that failed (method and gateway-relative path, no query). */
  readonly call: EnosCall;

  constructor(message: string, call: EnosCall, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EnosError";
    this.call = { method: call.method, path: call.path };
    brand(this, ENOS_ERROR);
  }

  /** Brand check that works across copies of this package. */
  static isInstance(x: unknown): x is EnosError {
    return hasBrand(x, ENOS_ERROR);
  }
}

/** Fields of an {@link EnosApiError}. */
export interface EnosApiErrorInit {
  readonly call: EnosCall;
  /**
   * The EnOS result code (`code` or `status` of the envelope). When the gateway answered an HTTP error without a
   * parsable envelope, this is the negated HTTP status (e.g. -503) so it can never collide with an EnOS code,
   * and {@link EnosApiError.fromEnvelope} is false.
   */
  readonly code: number;
  readonly msg: string;
  readonly requestId: string | undefined;
  readonly httpStatus: number;
  /** Whether the client's retry table would retry this failure for this kind of call (read or mutation). */
  readonly retryable: boolean;
  /** True when `code` and `msg` came from an EnOS envelope. */
  readonly fromEnvelope: boolean;
  /** Delay asked for by a `Retry-After` header, in ms, when there was one. */
  readonly retryAfterMs?: number | undefined;
  /** Human explanation and what to do (see describeEnosCode). */
  readonly hint?: string | undefined;
}

/** EnOS (or its gateway) answered, and the answer is a failure. */
export class EnosApiError extends EnosError {
  readonly code: number;
  readonly msg: string;
  readonly requestId: string | undefined;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly fromEnvelope: boolean;
  readonly retryAfterMs: number | undefined;
  readonly hint: string | undefined;

  constructor(init: EnosApiErrorInit) {
    super(apiErrorMessage(init), init.call);
    this.name = "EnosApiError";
    this.code = init.code;
    this.msg = init.msg;
    this.requestId = init.requestId;
    this.httpStatus = init.httpStatus;
    this.retryable = init.retryable;
    this.fromEnvelope = init.fromEnvelope;
    this.retryAfterMs = init.retryAfterMs;
    this.hint = init.hint;
    brand(this, ENOS_API_ERROR);
  }

  static override isInstance(x: unknown): x is EnosApiError {
    return hasBrand(x, ENOS_API_ERROR);
  }
}

/**
 * Format: `EnOS <code> on <METHOD> <path>: <msg> (requestId <id>) — <hint>`; for HTTP errors without an envelope
 * `EnOS HTTP <status> on <METHOD> <path>: <msg>`.
 */
function apiErrorMessage(init: EnosApiErrorInit): string {
  const hint = init.hint === undefined ? "" : ` — ${init.hint}`;
  return `${apiErrorFacts(init)}${hint}`;
}

/**
 * What EnOS said, without the code's generic hint: `EnOS <code> on <METHOD> <path>: <msg> (requestId <id>)`. For
 * callers that state a more specific fix themselves, so a message gives the fix once.
 */
export function apiErrorFacts(
  error: Pick<EnosApiErrorInit, "call" | "code" | "msg" | "requestId" | "httpStatus" | "fromEnvelope">,
): string {
  const what = error.fromEnvelope ? `EnOS ${error.code}` : `EnOS HTTP ${error.httpStatus}`;
  const id = error.requestId === undefined ? "" : ` (requestId ${error.requestId})`;
  return `${what} on ${error.call.method} ${error.call.path}: ${error.msg}${id}`;
}

/** The request failed below HTTP: connection refused or reset, DNS, TLS, a socket closed mid-body. */
export class EnosTransportError extends EnosError {
  /**
   * False only when the failure proves the request never left this process (e.g. ECONNREFUSED, DNS failure,
   * connect timeout), so even a mutating call may be retried. True means "may have reached EnOS".
   */
  readonly sent: boolean;
  /** The system or undici error code, e.g. `ECONNRESET`, when known. */
  readonly errorCode: string | undefined;

  constructor(
    call: EnosCall,
    sent: boolean,
    errorCode: string | undefined,
    detail: string,
    cause?: unknown,
    /** What to check, when the failure points at a setting (e.g. nothing listening at the gateway URL). */
    hint?: string,
  ) {
    const sentText = sent ? "" : " (request not sent)";
    const hintText = hint === undefined ? "" : ` — ${hint}`;
    super(`EnOS transport error on ${call.method} ${call.path}: ${detail}${sentText}${hintText}`, call, {
      cause,
    });
    this.name = "EnosTransportError";
    this.sent = sent;
    this.errorCode = errorCode;
    brand(this, ENOS_TRANSPORT_ERROR);
  }

  static override isInstance(x: unknown): x is EnosTransportError {
    return hasBrand(x, ENOS_TRANSPORT_ERROR);
  }
}

/** No complete answer within the per-request timeout. The request may have reached EnOS. */
export class EnosTimeoutError extends EnosError {
  readonly timeoutMs: number;

  constructor(call: EnosCall, timeoutMs: number, cause?: unknown) {
    super(`EnOS call ${call.method} ${call.path} timed out after ${timeoutMs} ms`, call, { cause });
    this.name = "EnosTimeoutError";
    this.timeoutMs = timeoutMs;
    brand(this, ENOS_TIMEOUT_ERROR);
  }

  static override isInstance(x: unknown): x is EnosTimeoutError {
    return hasBrand(x, ENOS_TIMEOUT_ERROR);
  }
}

/** A call not sent because its operation's deadline had passed: nothing reached EnOS. */
export class EnosDeadlineError extends EnosError {
  readonly sent = false;

  constructor(call: EnosCall, cause?: unknown) {
    super(`EnOS call ${call.method} ${call.path} not sent: the operation's deadline had passed`, call, {
      cause,
    });
    this.name = "EnosDeadlineError";
    brand(this, ENOS_DEADLINE_ERROR);
  }

  static override isInstance(x: unknown): x is EnosDeadlineError {
    return hasBrand(x, ENOS_DEADLINE_ERROR);
  }
}

/** EnOS answered with something that is not the documented shape (not JSON, wrong or missing fields). */
export class EnosResponseShapeError extends EnosError {
  /** Short description of what did not match; never contains response values. */
  readonly issues: string;
  readonly httpStatus: number;

  constructor(call: EnosCall, httpStatus: number, issues: string) {
    super(`EnOS answered ${call.method} ${call.path} with an unexpected response: ${issues}`, call);
    this.name = "EnosResponseShapeError";
    this.issues = issues;
    this.httpStatus = httpStatus;
    brand(this, ENOS_SHAPE_ERROR);
  }

  static override isInstance(x: unknown): x is EnosResponseShapeError {
    return hasBrand(x, ENOS_SHAPE_ERROR);
  }
}

/** Replace every occurrence of a secret in `text` (secrets shorter than 6 characters are left alone). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 6) {
      out = out.split(secret).join("[redacted]");
    }
  }
  return out;
}
