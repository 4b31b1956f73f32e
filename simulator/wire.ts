/**
 * Writing replies to the socket, including the deliberately broken ones of the `malformed` fault.
 */
import type { ServerResponse } from "node:http";
import type { MalformedKind } from "./faults.js";
import type { Reply } from "./reply.js";

const JSON_TYPE = "application/json;charset=UTF-8";

/** Every scalar in `data` swapped for a value of another type (strings → numbers, numbers → strings, …). */
export function wrongTypes(value: unknown): unknown {
  if (typeof value === "string") return value === "" ? 0 : 12345;
  if (typeof value === "number") return `n${value}`;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.map(wrongTypes);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrongTypes(v)]));
  }
  return value;
}

function write(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | string,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, "content-length": String(bytes.length) });
  res.end(bytes);
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  write(res, reply.status, { "content-type": JSON_TYPE, ...reply.headers }, JSON.stringify(reply.body));
}

/** Send a broken version of `reply`. */
export function sendMalformed(
  res: ServerResponse,
  reply: Reply,
  kind: MalformedKind,
  hugeBytes: number,
): void {
  const headers = { "content-type": JSON_TYPE, ...reply.headers };
  const text = JSON.stringify(reply.body);
  switch (kind) {
    case "nonJson":
      write(
        res,
        reply.status,
        { ...headers, "content-type": "text/html;charset=UTF-8" },
        "<html><head><title>Gateway</title></head><body><h1>Service temporarily unavailable</h1></body></html>",
      );
      return;
    case "wrongTypes":
      write(res, reply.status, headers, JSON.stringify({ ...reply.body, data: wrongTypes(reply.body.data) }));
      return;
    case "truncated":
      // A complete HTTP message whose JSON stops half way.
      write(res, reply.status, headers, text.slice(0, Math.floor(text.length / 2)));
      return;
    case "cutOff": {
      // Content-Length promises the whole body; the connection dies half way through it.
      const bytes = Buffer.from(text);
      res.writeHead(reply.status, { ...headers, "content-length": String(bytes.length) });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    case "huge": {
      const padding = "x".repeat(hugeBytes);
      write(res, reply.status, headers, `${text.slice(0, -1)},"padding":"${padding}"}`);
      return;
    }
  }
}
