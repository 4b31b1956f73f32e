/**
 * One HTTP exchange over undici: send, read the whole body, map failures to transport and timeout errors.
 * No retries, no envelope logic.
 */
import type { Dispatcher } from "undici";
import { processGlobal } from "../registry.js";
import { EnosResponseShapeError, EnosTimeoutError, EnosTransportError, type EnosCall } from "./errors.js";
import type { RawResponse } from "./envelope.js";
import { connectFailureHint, type GatewayLabel } from "./settings-hints.js";

/**
 * The process's keep-alive dispatcher, shared by every client that was not given one. Never installed as the
 * global dispatcher: the user's own fetch calls keep theirs.
 */
export function sharedDispatcher(): Dispatcher {
  return processGlobal("pulumi-enos.client.dispatcher.v1", () => {
    // Loaded on the first request, not with the package: a Pulumi program and the policy pack import
    // pulumi-enos for the resource classes and never send a request, and loading undici takes measurable time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Agent } = require("undici") as typeof import("undici");
    return new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connect: { timeout: 10_000 } });
  });
}

/** One request, fully formed (signed headers, exact body bytes). */
export interface OutgoingRequest {
  readonly call: EnosCall;
  readonly method: Dispatcher.HttpMethod;
  readonly origin: string;
  /** Path and query as they go on the wire (already percent-encoded). */
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  readonly timeoutMs: number;
  /** Largest body accepted; a larger one is an EnosResponseShapeError. */
  readonly maxResponseBytes: number;
  /** The gateway as errors name it (setting and value), when a failure points at it. */
  readonly gateway?: GatewayLabel | undefined;
}

/** Failures that prove the request never left: nothing can have happened at EnOS. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function errorCodeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) {
    return undefined;
  }
  const record = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === "string") {
    return record.code;
  }
  // Happy-eyeballs connects fail with an AggregateError; undici sometimes wraps the socket error as `cause`.
  if (Array.isArray(record.errors) && record.errors.length > 0) {
    return errorCodeOf(record.errors[0]);
  }
  return record.cause === undefined ? undefined : errorCodeOf(record.cause);
}

function shortMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
  }
  return out;
}

/** Map whatever undici threw to the client's error types. */
export function transportFailure(
  err: unknown,
  call: EnosCall,
  timeoutMs: number,
  signal: AbortSignal,
  gateway?: GatewayLabel,
): EnosTransportError | EnosTimeoutError {
  const code = errorCodeOf(err);
  const isAbortTimeout = signal.aborted || (err instanceof Error && err.name === "TimeoutError");
  if (isAbortTimeout || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new EnosTimeoutError(call, timeoutMs, err);
  }
  const sent = code === undefined || !NOT_SENT_CODES.has(code);
  const detail = code === undefined ? shortMessage(err) : `${code}: ${shortMessage(err)}`;
  const hint = gateway === undefined ? undefined : connectFailureHint(code, gateway);
  return new EnosTransportError(call, sent, code, detail, err, hint);
}

/** Send one request and read the whole answer; never retries. */
export async function sendOnce(dispatcher: Dispatcher, req: OutgoingRequest): Promise<RawResponse> {
  // One deadline for connect + headers + body; undici's own timeouts catch a stalled socket as well.
  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await dispatcher.request({
      origin: req.origin,
      path: req.pathAndQuery,
      method: req.method,
      headers: req.headers,
      body: req.body,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      signal,
    });
    const headers = flattenHeaders(res.headers);
    const text = await readCapped(res.body, res.statusCode, headers, req);
    return { status: res.statusCode, headers, text };
  } catch (err) {
    if (EnosResponseShapeError.isInstance(err)) throw err;
    throw transportFailure(err, req.call, req.timeoutMs, signal, req.gateway);
  }
}

/**
 * The whole body as UTF-8 text, refusing one larger than `maxResponseBytes`: no EnOS answer the client reads is
 * anywhere near it, and an unbounded body would be held in memory in full (the provider host shares it with
 * every resource of the deployment).
 */
async function readCapped(
  body: Dispatcher.ResponseData["body"],
  status: number,
  headers: Readonly<Record<string, string>>,
  req: OutgoingRequest,
): Promise<string> {
  const limit = req.maxResponseBytes;
  const tooLarge = (): EnosResponseShapeError => {
    body.destroy();
    return new EnosResponseShapeError(
      req.call,
      status,
      `the body is larger than ${limit} bytes, the most one EnOS answer may be`,
    );
  };
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}
