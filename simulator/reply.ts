/**
 * What a handler answers: an HTTP status and a JSON envelope. Serialisation (and any malformed-response fault)
 * happens later, in one place.
 */

export type Envelope = Record<string, unknown>;

export interface Reply {
  readonly status: number;
  readonly body: Envelope;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Streaming/batch success: `{"code":0,"msg":"OK","requestId":…,"data":…}`. */
export function ok(requestId: string, data: unknown = ""): Reply {
  return { status: 200, body: { code: 0, msg: "OK", requestId, data } };
}

/** Business error: HTTP 200 with a non-zero `code` and `data: null` (how EnOS reports them). */
export function fail(requestId: string, code: number, msg: string, status = 200): Reply {
  return { status, body: { code, msg, requestId, data: null } };
}

/** Token-service answers use `status` and carry `business`. */
export function tokenReply(status: number, msg: string, data: unknown): Reply {
  return { status: 200, body: { status, msg, business: "apim-token-service", data } };
}

/** The result code of an envelope (`code`, else `status`), or null. */
export function envelopeCode(body: Envelope): number | null {
  const code = body.code ?? body.status;
  return typeof code === "number" ? code : null;
}
