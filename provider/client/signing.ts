/**
 * The EnOS API gateway signing scheme (docs/ENOS-API.md, "Authentication"), as pure functions.
 *
 * Split like smithy's signature-v4 helpers so each step can be tested on its own and the simulator can verify
 * requests with the very same code.
 */
import { createHash } from "node:crypto";

/**
 * Query parameters as signed: decoded names and values. A string or URLSearchParams is decoded first
 * (`+` and percent escapes), which is what the gateway sees.
 */
export type SigningQuery = Readonly<Record<string, string>> | URLSearchParams | string;

/** Inputs of {@link apimSignature}. */
export interface ApimSignatureInput {
  readonly accessToken: string;
  readonly appSecret: string;
  /** Unix epoch milliseconds, the value sent in the `apim-timestamp` header. */
  readonly timestamp: number | string;
  /** Query parameters of the request (decoded); omitted or empty when there are none. */
  readonly query?: SigningQuery;
  /** The exact JSON text sent as the body, or undefined when there is no body. */
  readonly body?: string;
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function queryEntries(query: SigningQuery | undefined): [string, string][] {
  if (query === undefined) {
    return [];
  }
  if (typeof query === "string" || query instanceof URLSearchParams) {
    const params = typeof query === "string" ? new URLSearchParams(query) : query;
    const entries = [...params.entries()];
    const names = new Set(entries.map(([name]) => name));
    // The docs leave repeated keys undefined; signing one guess would fail in a way nobody could debug.
    if (names.size !== entries.length) {
      throw new TypeError("EnOS signing: repeated query parameter names are not supported");
    }
    return entries;
  }
  return Object.entries(query);
}

/**
 * The query part of the signed text: parameters sorted by name in code-unit (ASCII) order, each written as
 * `name + value` with no separators.
 */
export function paramsData(query?: SigningQuery): string {
  return queryEntries(query)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => name + value)
    .join("");
}

/** `apim-signature` header value: `hex(sha256(accessToken + paramsData + body + timestamp + appSecret))`. */
export function apimSignature(input: ApimSignatureInput): string {
  const signed = paramsData(input.query) + (input.body ?? "");
  return sha256Hex(input.accessToken + signed + String(input.timestamp) + input.appSecret);
}

/** `encryption` field of the token requests: `hex(sha256(appKey + timestampMs + appSecret))`. */
export function tokenEncryption(appKey: string, timestampMs: number, appSecret: string): string {
  return sha256Hex(appKey + String(timestampMs) + appSecret);
}
