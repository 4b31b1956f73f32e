/**
 * The APIM token service and the per-request signature check, written from docs/ENOS-API.md (independently of the
 * provider's client, so the two check each other).
 *
 * token encryption = hex(sha256(appKey + timestamp + appSecret))
 * apim-signature   = hex(sha256(accessToken + paramsData + rawBody + timestamp + appSecret)),
 *   paramsData = query params sorted by name, each written as name + decoded value.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { type Reply, fail, tokenReply } from "./reply.js";

export interface App {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly orgId: string | null;
}

interface TokenRecord {
  readonly token: string;
  readonly accessKey: string;
  expiresAt: number;
}

/** How far apim-timestamp may be from the simulator clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Seen `encryption` values are remembered this long (replays inside it get 1001). */
const REPLAY_WINDOW_MS = 60 * 60 * 1000;

function sha256Hex(...parts: (string | Buffer)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/** `paramsData` of the signature: query parameters sorted by name (stable for repeats), name + decoded value. */
export function paramsData(query: URLSearchParams): string {
  const pairs = [...query.entries()];
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs.map(([k, v]) => k + v).join("");
}

export function expectedSignature(
  accessToken: string,
  query: URLSearchParams,
  rawBody: Buffer,
  timestamp: string,
  appSecret: string,
): string {
  return sha256Hex(accessToken + paramsData(query), rawBody, timestamp + appSecret);
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A token request whose fields are present and of the right type (not yet authenticated). */
interface TokenRequest {
  readonly appKey: string;
  readonly encryption: string;
  readonly timestamp: string | number;
  /** Present on a refresh. */
  readonly accessToken: string | undefined;
}

/** The body's fields, or the token service's answer to a body that is not JSON, misses one or mistypes one. */
function parseTokenRequest(bodyText: string, refresh: boolean): { request: TokenRequest } | { reply: Reply } {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { reply: tokenReply(1004, "Invalid parameter: the request body is not JSON", null) };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { reply: tokenReply(1004, "Invalid parameter: the request body must be a JSON object", null) };
  }
  const fields = body as Record<string, unknown>;
  const required = refresh
    ? ["appKey", "encryption", "timestamp", "accessToken"]
    : ["appKey", "encryption", "timestamp"];
  for (const name of required) {
    const v = fields[name];
    if (v === undefined || v === null || v === "") {
      return { reply: tokenReply(1202, `Parameter ${name} is empty`, null) };
    }
  }
  const { appKey, encryption, timestamp, accessToken } = fields;
  if (
    typeof appKey !== "string" ||
    typeof encryption !== "string" ||
    (typeof timestamp !== "string" && typeof timestamp !== "number") ||
    (refresh && typeof accessToken !== "string")
  ) {
    return {
      reply: tokenReply(
        1004,
        "Invalid parameter: appKey, encryption and accessToken are strings, timestamp a number",
        null,
      ),
    };
  }
  return {
    request: {
      appKey,
      encryption,
      timestamp,
      accessToken: typeof accessToken === "string" ? accessToken : undefined,
    },
  };
}

export interface TokenServiceOptions {
  readonly clock: () => number;
  readonly ttlSeconds: () => number;
}

/** Issues and checks access tokens; holds the replay memory of `encryption` values. */
export class TokenService {
  private readonly apps = new Map<string, App>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly current = new Map<string, TokenRecord>();
  private readonly seenEncryptions = new Map<string, number>();

  constructor(private readonly options: TokenServiceOptions) {}

  /** Forget every token and replay record and take this set of apps. */
  reset(apps: readonly App[]): void {
    this.apps.clear();
    for (const app of apps) this.apps.set(app.accessKey, app);
    this.tokens.clear();
    this.current.clear();
    this.seenEncryptions.clear();
  }

  appList(): App[] {
    return [...this.apps.values()];
  }

  /** Number of tokens not yet expired. */
  liveTokens(): number {
    const now = this.options.clock();
    return [...this.tokens.values()].filter((t) => t.expiresAt > now).length;
  }

  /** Make every issued token expired now (the next API call with one gets 1203). */
  expireAll(): number {
    const now = this.options.clock();
    let n = 0;
    for (const record of this.tokens.values()) {
      if (record.expiresAt > now) n++;
      record.expiresAt = now;
    }
    return n;
  }

  /** `POST /apim-token-service/v2.0/token/get` (refresh = false) or `/token/refresh`. */
  handleToken(bodyText: string, refresh: boolean): Reply {
    const parsed = parseTokenRequest(bodyText, refresh);
    if ("reply" in parsed) return parsed.reply;
    const { request } = parsed;
    const unsigned = this.checkSignature(request);
    if (unsigned !== undefined) return unsigned;
    const now = this.options.clock();
    const replayed = this.checkReplay(request.encryption, now);
    if (replayed !== undefined) return replayed;
    return refresh ? this.refreshToken(request, now) : this.getToken(request.appKey, now);
  }

  /** 1002 for an unknown app, 1003 for an encryption that is not sha256(appKey + timestamp + secret). */
  private checkSignature({ appKey, encryption, timestamp }: TokenRequest): Reply | undefined {
    const app = this.apps.get(appKey);
    if (app === undefined) {
      return tokenReply(1002, `appKey ${appKey} does not exist`, null);
    }
    if (!sameHex(encryption, sha256Hex(appKey + String(timestamp) + app.secretKey))) {
      return tokenReply(
        1003,
        "Invalid encryption: sha256(appKey + timestamp + appSecret) does not match",
        null,
      );
    }
    return undefined;
  }

  /** 1001 for an `encryption` seen before (a replayed request); otherwise remembers it. */
  private checkReplay(encryption: string, now: number): Reply | undefined {
    this.pruneEncryptions(now);
    if (this.seenEncryptions.has(encryption)) {
      return tokenReply(1001, "Duplicated encryption: this token request was already used (replay)", null);
    }
    this.seenEncryptions.set(encryption, now);
    return undefined;
  }

  /** `token/refresh`: replaces the app's current token, and only that one. */
  private refreshToken({ appKey, accessToken }: TokenRequest, now: number): Reply {
    const existing = this.current.get(appKey);
    const named = accessToken === undefined ? undefined : this.tokens.get(accessToken);
    if (named === undefined || named.accessKey !== appKey || named !== existing) {
      return tokenReply(
        1204,
        "Failed to refresh: the accessToken is not the current token of this appKey",
        null,
      );
    }
    this.tokens.delete(named.token);
    return this.issue(appKey, now);
  }

  /** `token/get`: the app's current token while it lives, else a new one. */
  private getToken(appKey: string, now: number): Reply {
    const existing = this.current.get(appKey);
    if (existing !== undefined && existing.expiresAt > now) {
      return this.answer(existing, now);
    }
    return this.issue(appKey, now);
  }

  private issue(appKey: string, now: number): Reply {
    const previous = this.current.get(appKey);
    if (previous !== undefined) this.tokens.delete(previous.token);
    const record: TokenRecord = {
      token: randomBytes(20).toString("hex"),
      accessKey: appKey,
      expiresAt: now + this.options.ttlSeconds() * 1000,
    };
    this.tokens.set(record.token, record);
    this.current.set(appKey, record);
    return this.answer(record, now);
  }

  private answer(record: TokenRecord, now: number): Reply {
    const expire = Math.max(0, Math.floor((record.expiresAt - now) / 1000));
    return tokenReply(0, "SUCCESS", { accessToken: record.token, expire });
  }

  private pruneEncryptions(now: number): void {
    for (const [value, at] of this.seenEncryptions) {
      if (now - at <= REPLAY_WINDOW_MS) break; // insertion order = time order
      this.seenEncryptions.delete(value);
    }
  }

  /**
   * Check apim-accesstoken / apim-signature / apim-timestamp of an API call. Returns the calling app, or the
   * 401 reply that says why the call was refused.
   */
  verify(
    headers: IncomingHttpHeaders,
    query: URLSearchParams,
    rawBody: Buffer,
    requestId: string,
  ): { app: App } | { reply: Reply } {
    const refuse = (code: number, msg: string): { reply: Reply } => ({
      reply: fail(requestId, code, msg, 401),
    });
    const token = header(headers, "apim-accesstoken");
    const signature = header(headers, "apim-signature");
    const timestamp = header(headers, "apim-timestamp");
    for (const [name, value] of [
      ["apim-accesstoken", token],
      ["apim-signature", signature],
      ["apim-timestamp", timestamp],
    ] as const) {
      if (value === undefined || value === "") {
        return refuse(1202, `Unauthorized: header ${name} is missing`);
      }
    }
    if (token === undefined || signature === undefined || timestamp === undefined) {
      return refuse(1202, "Unauthorized: authentication headers are missing");
    }
    const now = this.options.clock();
    const record = this.tokens.get(token);
    if (record === undefined) {
      return refuse(1203, "Unauthorized: the access token is unknown or was replaced; get a new token");
    }
    if (record.expiresAt <= now) {
      return refuse(1203, "Unauthorized: the access token has expired; get a new token");
    }
    const app = this.apps.get(record.accessKey);
    if (app === undefined) {
      return refuse(1203, "Unauthorized: the access token belongs to an app that no longer exists");
    }
    if (!/^\d{1,16}$/.test(timestamp)) {
      return refuse(1004, "Unauthorized: apim-timestamp must be Unix time in milliseconds");
    }
    const skew = Math.abs(now - Number(timestamp));
    if (skew > MAX_CLOCK_SKEW_MS) {
      return refuse(
        1004,
        `Unauthorized: apim-timestamp is ${Math.round(skew / 1000)} s away from server time (limit ${MAX_CLOCK_SKEW_MS / 1000} s)`,
      );
    }
    if (!sameHex(signature, expectedSignature(token, query, rawBody, timestamp, app.secretKey))) {
      return refuse(
        1003,
        "Unauthorized: apim-signature does not match sha256(accessToken + sorted query + body + timestamp + appSecret)",
      );
    }
    return { app };
  }
}
