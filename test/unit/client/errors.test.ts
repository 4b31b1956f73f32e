import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ENOS_CODES,
  EnosApiError,
  EnosError,
  EnosResponseShapeError,
  EnosTimeoutError,
  EnosTransportError,
  describeEnosCode,
} from "../../../provider/client/index.js";
import { redact } from "../../../provider/client/errors.js";

const call = { method: "POST", path: "/streaming/v2.0/streaming/pipeline/p1" };

function apiError(code: number, requestId: string | null = "r-1"): EnosApiError {
  return new EnosApiError({
    call,
    code,
    msg: "the vendor message",
    requestId: requestId ?? undefined,
    httpStatus: 200,
    retryable: false,
    fromEnvelope: true,
    hint: describeEnosCode(code),
  });
}

describe("brand checks", () => {
  const errors = [
    apiError(61108),
    new EnosTransportError(call, true, "ECONNRESET", "reset"),
    new EnosTimeoutError(call, 10),
    new EnosResponseShapeError(call, 200, "bad"),
  ];

  it("recognise each class and the base, and nothing else", () => {
    const checks = [EnosApiError, EnosTransportError, EnosTimeoutError, EnosResponseShapeError];
    errors.forEach((err, i) => {
      expect(EnosError.isInstance(err)).toBe(true);
      checks.forEach((cls, j) => {
        expect(cls.isInstance(err)).toBe(i === j);
      });
    });
    for (const cls of [EnosError, ...checks]) {
      expect(cls.isInstance(new Error("x"))).toBe(false);
      expect(cls.isInstance(null)).toBe(false);
      expect(cls.isInstance("EnosError")).toBe(false);
    }
  });

  it("work for an error made by another copy of the package (same Symbol.for brand)", () => {
    const foreign = Object.create(null) as Record<symbol, unknown>;
    Object.defineProperty(foreign, Symbol.for("pulumi-enos.EnosError"), { value: true });
    Object.defineProperty(foreign, Symbol.for("pulumi-enos.EnosApiError"), { value: true });
    expect(EnosApiError.isInstance(foreign)).toBe(true);
    expect(EnosTimeoutError.isInstance(foreign)).toBe(false);
  });

  it("keep brands out of JSON", () => {
    expect(Object.keys(errors[0]!)).not.toContain("Symbol(pulumi-enos.EnosError)");
    expect(JSON.stringify(errors[0])).not.toContain("pulumi-enos");
  });
});

describe("EnosApiError", () => {
  it("carries the documented fields and message format", () => {
    const err = apiError(61126);
    expect(err).toMatchObject({
      name: "EnosApiError",
      code: 61126,
      msg: "the vendor message",
      requestId: "r-1",
      httpStatus: 200,
      retryable: false,
      fromEnvelope: true,
      call,
    });
    expect(err.message).toBe(
      "EnOS 61126 on POST /streaming/v2.0/streaming/pipeline/p1: the vendor message (requestId r-1) — " +
        "the allocated resource is not enough: lower resourceConfig or free CUs in this org",
    );
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      code: 61126,
      msg: "the vendor message",
      requestId: "r-1",
    });
  });

  it("leaves out an absent requestId and hint", () => {
    expect(apiError(12345, null).message).toBe(
      "EnOS 12345 on POST /streaming/v2.0/streaming/pipeline/p1: the vendor message",
    );
  });

  it("says HTTP for gateway errors without an envelope", () => {
    const err = new EnosApiError({
      call,
      code: -503,
      msg: "Service Unavailable",
      requestId: undefined,
      httpStatus: 503,
      retryable: true,
      fromEnvelope: false,
    });
    expect(err.message).toBe(
      "EnOS HTTP 503 on POST /streaming/v2.0/streaming/pipeline/p1: Service Unavailable",
    );
  });
});

describe("other errors", () => {
  it("transport errors say whether the request was sent", () => {
    const notSent = new EnosTransportError(call, false, "ECONNREFUSED", "ECONNREFUSED: connect failed");
    expect(notSent).toMatchObject({ sent: false, errorCode: "ECONNREFUSED", call });
    expect(notSent.message).toContain("request not sent");
    expect(new EnosTransportError(call, true, undefined, "x").message).not.toContain("not sent");
  });
  it("timeouts carry timeoutMs", () => {
    expect(new EnosTimeoutError(call, 1500)).toMatchObject({ timeoutMs: 1500, call });
  });
  it("shape errors carry short issues", () => {
    expect(new EnosResponseShapeError(call, 200, "data.pipelines: expected array")).toMatchObject({
      issues: "data.pipelines: expected array",
      httpStatus: 200,
    });
  });
});

describe("describeEnosCode", () => {
  // Every EnOS code the API reference names (token 1001-1299, streaming 61xxx, batch 62xxx, common 99xxx), read
  // from the reference itself rather than restated here.
  const reference = readFileSync(path.join(__dirname, "..", "..", "..", "docs", "ENOS-API.md"), "utf8");
  const documented = [
    ...new Set(
      [...reference.matchAll(/\b(100[1-9]|1[12]\d\d|6[12]\d{3}|99\d{3})\b/g)].map((m) => Number(m[1])),
    ),
  ].sort((a, b) => a - b);

  it("finds the codes in the API reference", () => {
    expect(documented.length).toBeGreaterThan(20);
  });

  it.each(documented)("knows %i", (code) => {
    expect(ENOS_CODES[code]).toBeDefined();
    expect(describeEnosCode(code)).toMatch(/^[a-z].{5,}/);
  });

  it("has the hints people act on", () => {
    expect(describeEnosCode(61126)).toContain("lower resourceConfig or free CUs in this org");
    expect(describeEnosCode(61128, { executionMode: "CLUSTER" })).toContain(
      "request cluster resources for this org, or use STANDALONE",
    );
    expect(describeEnosCode(61128)).toContain("request cluster resources for this org, or use STANDALONE");
    expect(describeEnosCode(61128, { executionMode: "STANDALONE" })).toContain(
      "request standalone resources",
    );
    expect(describeEnosCode(61121)).toContain("try again later");
    expect(describeEnosCode(61108)).toContain("does not exist");
  });

  it("returns undefined for unknown codes", () => {
    expect(describeEnosCode(0)).toBeUndefined();
    expect(describeEnosCode(424242)).toBeUndefined();
  });
});

describe("redact", () => {
  it("replaces every occurrence of each secret of useful length", () => {
    expect(redact("a SECRET-1 b SECRET-1 TOKEN-22", ["SECRET-1", "TOKEN-22", undefined, "ab"])).toBe(
      "a [redacted] b [redacted] [redacted]",
    );
  });
});
