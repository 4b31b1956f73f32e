import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_POLICY,
  EnosApiError,
  EnosResponseShapeError,
  EnosTimeoutError,
  EnosTransportError,
  isRetryableFailure,
  parseRetryAfter,
  retryDecision,
  type RetryPolicy,
} from "../../../provider/client/index.js";

const call = { method: "POST", path: "/streaming/v2.0/streaming/pipeline/p1" };

function api(code: number, httpStatus = 200, extra: { retryAfterMs?: number } = {}): EnosApiError {
  const fromEnvelope = code >= 0;
  return new EnosApiError({
    call,
    code,
    msg: "m",
    requestId: undefined,
    httpStatus,
    retryable: false,
    fromEnvelope,
    ...extra,
  });
}
const http = (status: number): EnosApiError => api(-status, status);

// [failure, retried for a read, retried for a mutation, the error]
const TABLE: [string, boolean, boolean, unknown][] = [
  [
    "transport error, not sent (ECONNREFUSED)",
    true,
    true,
    new EnosTransportError(call, false, "ECONNREFUSED", "x"),
  ],
  [
    "transport error, maybe sent (ECONNRESET)",
    true,
    false,
    new EnosTransportError(call, true, "ECONNRESET", "x"),
  ],
  ["timeout", true, false, new EnosTimeoutError(call, 1000)],
  ["HTTP 429", true, true, http(429)],
  ["HTTP 503", true, true, http(503)],
  ["HTTP 503 with an envelope code", true, true, api(99500, 503)],
  ["HTTP 502", true, false, http(502)],
  ["HTTP 504", true, false, http(504)],
  ["HTTP 500", false, false, http(500)],
  ["HTTP 400", false, false, http(400)],
  ["HTTP 401", false, false, http(401)],
  ["HTTP 403", false, false, http(403)],
  ["HTTP 413", false, false, http(413)],
  ["EnOS 61121 (org busy starting)", true, true, api(61121)],
  ["EnOS 61121 on HTTP 500", true, true, api(61121, 500)],
  ["EnOS 61108", false, false, api(61108)],
  ["EnOS 61126", false, false, api(61126)],
  ["EnOS 61152", false, false, api(61152)],
  ["EnOS 99500", false, false, api(99500)],
  ["EnOS 62109", false, false, api(62109)],
  ["EnOS 1203 (handled by the token logic)", false, false, api(1203)],
  ["response shape", false, false, new EnosResponseShapeError(call, 200, "x")],
  ["a foreign error", false, false, new Error("boom")],
  ["a non-error", false, false, "boom"],
];

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

describe("retry table", () => {
  it.each(TABLE)("%s: read %s, mutation %s", (_name, read, mutation, error) => {
    expect(isRetryableFailure(error, false)).toBe(read);
    expect(isRetryableFailure(error, true)).toBe(mutation);
    expect(retryDecision({ error, mutating: false, attempt: 1, policy, random: () => 0.5 }).retry).toBe(read);
    expect(retryDecision({ error, mutating: true, attempt: 1, policy, random: () => 0.5 }).retry).toBe(
      mutation,
    );
  });
});

describe("retryDecision", () => {
  const busy = http(503);

  it("stops at maxAttempts", () => {
    expect(retryDecision({ error: busy, mutating: false, attempt: 3, policy, random: () => 0 }).retry).toBe(
      true,
    );
    expect(retryDecision({ error: busy, mutating: false, attempt: 4, policy, random: () => 0 })).toEqual({
      retry: false,
    });
    expect(
      retryDecision({
        error: busy,
        mutating: false,
        attempt: 1,
        policy: { ...policy, maxAttempts: 1 },
        random: () => 0,
      }),
    ).toEqual({ retry: false });
  });

  it("backs off exponentially with equal jitter, capped at maxDelayMs", () => {
    const delays = (random: number): number[] =>
      [1, 2, 3, 4, 5, 6].map((attempt) => {
        const d = retryDecision({
          error: busy,
          mutating: false,
          attempt,
          policy: { ...policy, maxAttempts: 10 },
          random: () => random,
        });
        return d.retry ? d.delayMs : -1;
      });
    // Lowest jitter: half the ceiling; highest: the full ceiling (100, 200, 400, 800, 1000 cap).
    expect(delays(0)).toEqual([50, 100, 200, 400, 500, 500]);
    expect(delays(1)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(delays(0.5)).toEqual([75, 150, 300, 600, 750, 750]);
  });

  it("honours Retry-After (capped at maxRetryAfterMs), never waiting less than the backoff", () => {
    const decide = (retryAfterMs: number): unknown =>
      retryDecision({
        error: api(-429, 429, { retryAfterMs }),
        mutating: true,
        attempt: 1,
        policy,
        random: () => 0.9,
      });
    expect(decide(2000)).toEqual({ retry: true, delayMs: 2000 });
    expect(decide(60_000)).toEqual({ retry: true, delayMs: 5000 });
    // Retry-After: 0 (or anything under the backoff) keeps the backoff: 100 ms ceiling, jitter 0.9 → 95.
    expect(decide(0)).toEqual({ retry: true, delayMs: 95 });
    expect(decide(10)).toEqual({ retry: true, delayMs: 95 });
  });

  it("shares a default policy that no caller can change", () => {
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-01-01T00:00:00Z");
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 1.5 ", now)).toBe(1500);
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Mon, 01 Jan 2023 00:00:10 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
  });
});
