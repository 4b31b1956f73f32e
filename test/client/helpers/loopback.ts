/**
 * A scripted EnOS stand-in on 127.0.0.1 for client tests (octokit style: real sockets, assertions in handlers).
 *
 * Token calls are answered by `tokenHandler` (default: a fresh token per call); every other call takes the next
 * scripted handler. Each API request is checked against the documented signing scheme with an independent
 * sha256 computation, so tests can assert `signatureOk` without trusting the code under test.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const ACCESS_KEY = "test-access-key";
export const SECRET_KEY = "S3cr3t-secret-key-value";

/** One request as the server received it. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
  /** sha256 hex of the received body bytes, computed here. */
  readonly bodySha256: string;
  /** Whether apim-signature matches an independent computation over what was received. */
  readonly signatureOk: boolean;
}

export type Handler = (req: Received, res: ServerResponse) => void | Promise<void>;
/** A handler that answers synchronously (safe to call from inside another handler without awaiting). */
export type SyncHandler = (req: Received, res: ServerResponse) => void;

export interface Loopback {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  /** API calls (not token calls), in arrival order. */
  readonly received: Received[];
  readonly tokenRequests: Received[];
  /** Requests that found no scripted handler (should stay empty). */
  readonly unexpected: Received[];
  /** Errors thrown by handlers, e.g. failed assertions (should stay empty). */
  readonly handlerErrors: unknown[];
  /** Queue handlers for the next API calls, in order. */
  script(...handlers: Handler[]): void;
  /** Answer every API call whose path matches with `handler` (after the scripted queue is empty). */
  route(match: (req: Received) => boolean, handler: Handler): void;
  tokenHandler: Handler;
  /** The default token handler: a fresh token per call, valid 7200 s. */
  readonly issueToken: SyncHandler;
  /** Tokens issued so far. */
  readonly issued: string[];
  stop(): Promise<void>;
  /** Listen again (same port unless given). */
  start(port?: number): Promise<void>;
  close(): Promise<void>;
}

const sha256 = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");

/** Independent implementation of the documented signature, for the server side of the tests. */
export function expectedSignature(
  token: string,
  query: URLSearchParams,
  body: string,
  timestamp: string,
): string {
  const names = [...new Set(query.keys())].sort();
  const params = names.map((n) => n + (query.get(n) ?? "")).join("");
  return sha256(token + params + body + timestamp + SECRET_KEY);
}

export function send(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** `{code: 0, msg: "OK", requestId, data}` */
export const ok =
  (data?: unknown): SyncHandler =>
  (_req, res) => {
    send(res, 200, { code: 0, msg: "OK", requestId: "req-ok", data: data ?? null });
  };

/** An EnOS error envelope on HTTP 200. */
export const fail =
  (code: number, msg: string, requestId = `req-${code}`): SyncHandler =>
  (_req, res) => {
    send(res, 200, { code, msg, requestId, data: null });
  };

/** Drop the connection without answering. */
export const reset: SyncHandler = (_req, res) => {
  res.socket?.destroy();
};

export async function startLoopback(): Promise<Loopback> {
  const queue: Handler[] = [];
  const routes: { match: (req: Received) => boolean; handler: Handler }[] = [];
  let tokenCount = 0;

  const lb: Loopback = {
    url: "",
    port: 0,
    received: [],
    tokenRequests: [],
    unexpected: [],
    handlerErrors: [],
    issued: [],
    script: (...handlers) => queue.push(...handlers),
    route: (match, handler) => routes.push({ match, handler }),
    tokenHandler: (req, res) => {
      lb.issueToken(req, res);
    },
    issueToken: (_req, res) => {
      tokenCount++;
      const token = `token-${tokenCount}-abcdef`;
      lb.issued.push(token);
      send(res, 200, {
        status: 0,
        msg: "SUCCESS",
        business: "apim-token-service",
        data: { accessToken: token, expire: 7200 },
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
    start: (port) =>
      new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port ?? lb.port, "127.0.0.1", () => {
          server.off("error", reject);
          lb.port = (server.address() as AddressInfo).port;
          lb.url = `http://127.0.0.1:${lb.port}`;
          resolve();
        });
      }),
    close: () => (server.listening ? lb.stop() : Promise.resolve()),
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const body = Buffer.concat(chunks);
      const text = body.toString("utf8");
      const token = String(req.headers["apim-accesstoken"] ?? "");
      const timestamp = String(req.headers["apim-timestamp"] ?? "");
      const received: Received = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        rawQuery: url.search,
        headers: req.headers,
        body,
        text,
        bodySha256: sha256(body),
        signatureOk:
          token !== "" &&
          req.headers["apim-signature"] === expectedSignature(token, url.searchParams, text, timestamp),
      };
      const run = async (): Promise<void> => {
        if (url.pathname.includes("/apim-token-service/")) {
          lb.tokenRequests.push(received);
          await lb.tokenHandler(received, res);
          return;
        }
        lb.received.push(received);
        const handler = queue.shift() ?? routes.find((r) => r.match(received))?.handler;
        if (handler === undefined) {
          lb.unexpected.push(received);
          send(res, 418, "no scripted handler");
          return;
        }
        await handler(received, res);
      };
      run().catch((err: unknown) => {
        // An assertion failing inside a handler must reach the test, not kill the server.
        lb.handlerErrors.push(err);
        if (!res.headersSent) send(res, 418, "handler failed");
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  await lb.start(0);
  return lb;
}
