import { describe, expect, it } from "vitest";
import { EnosApiError, EnosResponseShapeError } from "../../../provider/client/index.js";
import { parseEnvelope, type RawResponse } from "../../../provider/client/envelope.js";

const call = { method: "GET", path: "/streaming/v2.0/streaming/pipelines" };
const ctx = { call, mutating: false, nowMs: 0, secrets: ["TOPSECRET-value", "token-abcdef"] };

function raw(status: number, body: unknown, headers: Record<string, string> = {}): RawResponse {
  return { status, headers, text: typeof body === "string" ? body : JSON.stringify(body) };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("parseEnvelope: success", () => {
  it("accepts the code style", () => {
    expect(parseEnvelope(raw(200, { code: 0, msg: "OK", requestId: "r1", data: { a: 1 } }), ctx)).toEqual({
      data: { a: 1 },
      requestId: "r1",
    });
  });
  it("accepts the status style (batch v2.0, token service)", () => {
    expect(parseEnvelope(raw(200, { status: 0, msg: "Success", data: "" }), ctx)).toEqual({
      data: "",
      requestId: undefined,
    });
  });
  it("accepts no data, no msg, a numeric string code and extra fields", () => {
    expect(parseEnvelope(raw(200, { code: "0", extra: true }), ctx).data).toBeUndefined();
  });
  it("prefers code when status is something else", () => {
    expect(parseEnvelope(raw(200, { code: 0, status: "RUNNING", data: 1 }), ctx).data).toBe(1);
  });
});

describe("parseEnvelope: EnOS errors", () => {
  it("maps a non-zero code to EnosApiError", () => {
    const err = thrown(() =>
      parseEnvelope(raw(200, { code: 61108, msg: "job not exist", requestId: "r9" }), ctx),
    );
    expect(EnosApiError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      code: 61108,
      msg: "job not exist",
      requestId: "r9",
      httpStatus: 200,
      fromEnvelope: true,
    });
  });
  it("maps a non-zero status", () => {
    expect(thrown(() => parseEnvelope(raw(200, { status: 62103, msg: "no privilege" }), ctx))).toMatchObject({
      code: 62103,
      msg: "no privilege",
    });
  });
  it("keeps the EnOS code of an HTTP error with an envelope", () => {
    const err = thrown(() => parseEnvelope(raw(400, { code: 99400, msg: "bad param" }), ctx));
    expect(err).toMatchObject({ code: 99400, httpStatus: 400, fromEnvelope: true, retryable: false });
  });
  it("marks retryable per call kind", () => {
    const busy = raw(200, { code: 61121, msg: "busy" });
    expect(thrown(() => parseEnvelope(busy, { ...ctx, mutating: true }))).toMatchObject({ retryable: true });
    const gateway = raw(502, "<html>Bad Gateway</html>");
    expect(thrown(() => parseEnvelope(gateway, ctx))).toMatchObject({ retryable: true });
    expect(thrown(() => parseEnvelope(gateway, { ...ctx, mutating: true }))).toMatchObject({
      retryable: false,
    });
  });
  it("redacts secrets EnOS echoes back", () => {
    const err = thrown(() =>
      parseEnvelope(
        raw(200, { code: 1003, msg: "bad TOPSECRET-value for token-abcdef", requestId: "r" }),
        ctx,
      ),
    ) as EnosApiError;
    expect(err.msg).toBe("bad [redacted] for [redacted]");
    expect(err.message).not.toContain("TOPSECRET");
  });
});

describe("parseEnvelope: HTTP errors without an envelope", () => {
  it("uses the negated HTTP status as code and fromEnvelope false", () => {
    const err = thrown(() => parseEnvelope(raw(503, "<html><body>Service down</body></html>"), ctx));
    expect(EnosApiError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      code: -503,
      httpStatus: 503,
      fromEnvelope: false,
      msg: "Service Unavailable: Service down",
    });
    expect((err as Error).message).toContain("EnOS HTTP 503 on GET /streaming/v2.0/streaming/pipelines");
  });
  it("treats an HTTP error whose envelope says 0 as an HTTP error", () => {
    expect(thrown(() => parseEnvelope(raw(500, { code: 0, msg: "weird" }), ctx))).toMatchObject({
      code: -500,
      msg: "Internal Server Error: weird",
      fromEnvelope: false,
    });
  });
  it("reads Retry-After", () => {
    expect(thrown(() => parseEnvelope(raw(429, "", { "retry-after": "2" }), ctx))).toMatchObject({
      code: -429,
      retryAfterMs: 2000,
      msg: "Too Many Requests",
    });
  });
  it("treats a redirect as an HTTP error", () => {
    expect(thrown(() => parseEnvelope(raw(302, ""), ctx))).toMatchObject({ code: -302 });
  });
  it("shortens and redacts a long body", () => {
    const err = thrown(() =>
      parseEnvelope(raw(500, `token-abcdef ${"x".repeat(1000)}`), ctx),
    ) as EnosApiError;
    expect(err.msg.length).toBeLessThan(260);
    expect(err.msg).not.toContain("token-abcdef");
  });
});

describe("parseEnvelope: malformed answers", () => {
  it.each([
    ["HTML", "<html>hello</html>"],
    ["truncated JSON", '{"code":0,"data":{"pipel'],
    ["empty body", ""],
  ])("%s on 200 → EnosResponseShapeError", (_name, text) => {
    const err = thrown(() => parseEnvelope(raw(200, text), ctx));
    expect(EnosResponseShapeError.isInstance(err)).toBe(true);
    expect((err as EnosResponseShapeError).issues).toMatch(/not JSON/);
  });
  it.each([
    ["null", null],
    ["an array", [1, 2]],
    ["a number", 42],
    ["no code or status", { msg: "OK", data: {} }],
    ["a non-numeric code", { code: "zero" }],
  ])("%s → EnosResponseShapeError", (_name, body) => {
    const err = thrown(() => parseEnvelope(raw(200, body), ctx));
    expect(EnosResponseShapeError.isInstance(err)).toBe(true);
    expect((err as EnosResponseShapeError).issues).toMatch(/not an EnOS envelope/);
  });
});
