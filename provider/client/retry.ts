/**
 * Whether and when to retry a failed EnOS call, as a pure function (after stripe-node's RequestSender).
 *
 * The table:
 *
 * | failure                                   | read (GET, token) | mutation |
 * |-------------------------------------------|-------------------|----------|
 * | transport error, request not sent         | retry             | retry    |
 * | transport error, request may have been sent | retry           | no       |
 * | timeout                                   | retry             | no       |
 * | HTTP 429                                  | retry             | retry    |
 * | HTTP 503                                  | retry             | retry    |
 * | HTTP 502, 504                             | retry             | no       |
 * | EnOS 61121 (org busy starting a job)      | retry             | retry    |
 * | anything else (500, 4xx, EnOS codes, shape) | no              | no       |
 *
 * Mutations retry only when the failure proves nothing happened; otherwise the caller re-reads and re-plans.
 * (1203, an expired token, is handled by the token logic, not here.)
 *
 * Delay: exponential (`baseDelayMs * 2^(attempt-1)`, capped at `maxDelayMs`) with equal jitter (half fixed, half
 * random), so retries never fire back-to-back; a `Retry-After` from the server (capped at `maxRetryAfterMs`)
 * lengthens it, never shortens it: delay = max(backoff, Retry-After).
 */
import { EnosApiError, EnosTimeoutError, EnosTransportError } from "./errors.js";

/** Limits of the retry loop. */
export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries. */
  readonly maxAttempts: number;
  /** Backoff before the second attempt; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Cap of the exponential backoff. */
  readonly maxDelayMs: number;
  /** Cap of a server's `Retry-After`. */
  readonly maxRetryAfterMs: number;
}

/** Defaults: 5 attempts, 250 ms doubling to at most 8 s, Retry-After honoured up to 30 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
});

/** Inputs of {@link retryDecision}. */
export interface RetryInput {
  /** What the attempt threw. */
  readonly error: unknown;
  /** True for calls that change EnOS state (release, start, pause, stop, offset reset, enable, disable). */
  readonly mutating: boolean;
  /** 1-based number of the attempt that just failed. */
  readonly attempt: number;
  readonly policy: RetryPolicy;
  /** Uniform random in [0, 1), injectable for tests. */
  readonly random: () => number;
}

/** Outcome of {@link retryDecision}. */
export type RetryDecision = { readonly retry: false } | { readonly retry: true; readonly delayMs: number };

/** HTTP statuses and EnOS codes that say the request was refused before anything happened. */
const NOTHING_HAPPENED_HTTP = new Set([429, 503]);
const NOTHING_HAPPENED_CODES = new Set([61121]);
/** Gateway failures that may hide a processed request: fine to repeat a read, not a mutation. */
const READ_ONLY_HTTP = new Set([502, 504]);

/** The retry table above, without attempts or delays. */
export function isRetryableFailure(error: unknown, mutating: boolean): boolean {
  if (EnosTransportError.isInstance(error)) {
    return !mutating || !error.sent;
  }
  if (EnosTimeoutError.isInstance(error)) {
    return !mutating;
  }
  if (EnosApiError.isInstance(error)) {
    return isRetryableApiFailure(error, mutating);
  }
  return false;
}

/** The API-error rows of the table; separate so the error factory can fill `EnosApiError.retryable`. */
export function isRetryableApiFailure(
  failure: { readonly code: number; readonly httpStatus: number; readonly fromEnvelope: boolean },
  mutating: boolean,
): boolean {
  if (failure.fromEnvelope && NOTHING_HAPPENED_CODES.has(failure.code)) {
    return true;
  }
  // The HTTP status keeps its meaning whatever the body says: a 503 is "busy" even with an envelope.
  const status = failure.httpStatus;
  return NOTHING_HAPPENED_HTTP.has(status) || (!mutating && READ_ONLY_HTTP.has(status));
}

/** Backoff for the retry after `attempt`, before jitter. */
function backoffMs(attempt: number, policy: RetryPolicy): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

/** Decide whether to retry a failed attempt and after how long. Pure: randomness comes from `random`. */
export function retryDecision(input: RetryInput): RetryDecision {
  const { error, mutating, attempt, policy, random } = input;
  if (attempt >= policy.maxAttempts || !isRetryableFailure(error, mutating)) {
    return { retry: false };
  }
  const ceiling = backoffMs(attempt, policy);
  const jitter = Math.min(Math.max(random(), 0), 1);
  const backoff = Math.round(ceiling / 2 + (ceiling / 2) * jitter);
  // A server's Retry-After can only lengthen the wait: "Retry-After: 0" must not make back-to-back retries.
  const asked =
    EnosApiError.isInstance(error) && error.retryAfterMs !== undefined
      ? Math.max(0, Math.min(error.retryAfterMs, policy.maxRetryAfterMs))
      : 0;
  return { retry: true, delayMs: Math.max(backoff, asked) };
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date relative to `nowMs`; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === "") {
    return undefined;
  }
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.round(Number(trimmed) * 1000);
  }
  // HTTP dates always name a day and month; this keeps Date.parse from reading "-1" as a year.
  const at = /[a-z]{3}/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
