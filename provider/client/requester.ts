/**
 * EnosRequester: one signed, retried, validated call to the EnOS gateway, with the process-wide token cache.
 * EnosClient adds the typed calls on top.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Dispatcher } from "undici";
import type { z } from "zod";
import { isOrgBusy, type EnosCodeContext } from "./codes.js";
import { formatIssues, parseEnvelope } from "./envelope.js";
import { ANSWER_GRACE_MS, remainingMs, withinDeadline, withoutDeadline } from "./deadline.js";
import {
  EnosApiError,
  EnosDeadlineError,
  EnosResponseShapeError,
  EnosTimeoutError,
  type EnosCall,
} from "./errors.js";
import type {
  EnosCallEvent,
  EnosClientOptions,
  EnosCredentials,
  EnosHttpMethod,
  EnosQuery,
  EnosRequest,
} from "./options.js";
import { DEFAULT_RETRY_POLICY, retryDecision, type RetryPolicy } from "./retry.js";
import { tokenDataSchema } from "./schemas.js";
import { apimSignature, tokenEncryption } from "./signing.js";
import {
  accessToken,
  credentialKey,
  invalidateToken,
  tokenSlot,
  type IssuedToken,
  type TokenSlot,
} from "./token.js";
import { FIELD_NAMES, type GatewayLabel, type SettingNames } from "./settings-hints.js";
import { sendOnce, sharedDispatcher } from "./transport.js";

const TOKEN = "/apim-token-service/v2.0/token";

interface Exchange {
  readonly call: EnosCall;
  readonly method: EnosHttpMethod;
  readonly mutating: boolean;
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  readonly secrets: readonly (string | undefined)[];
  readonly codeContext?: EnosCodeContext | undefined;
  readonly kind: "api" | "token";
}

function normaliseQuery(query: EnosQuery | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) {
      out[name] = String(value);
    }
  }
  return out;
}

function queryString(query: Readonly<Record<string, string>>): string {
  const parts = Object.keys(query)
    .sort()
    .map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(query[name] ?? "")}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

function outcomeOf(err: unknown): EnosCallEvent["outcome"] {
  if (EnosApiError.isInstance(err)) return "api-error";
  if (EnosTimeoutError.isInstance(err)) return "timeout";
  if (EnosResponseShapeError.isInstance(err)) return "shape-error";
  return "transport-error";
}

/** The generic part of the client: `request` and everything under it. */
export class EnosRequester {
  /** Normalised gateway URL (no trailing slash); part of the token and coalescing keys. */
  readonly apiGateway: string;
  readonly accessKey: string;
  /** This client's {@link credentialKey}: the key of every process-wide cache of its answers and its token. */
  protected readonly credentialKey: string;
  /** The injected clock (epoch ms). */
  protected readonly clock: () => number;
  // A private field: the secret never shows in JSON.stringify or util.inspect of the client.
  readonly #secretKey: string;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #policy: RetryPolicy;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onCall: ((event: EnosCallEvent) => void) | undefined;
  readonly #tokens: TokenSlot;
  readonly #settingNames: SettingNames;
  readonly #namedSettings: SettingNames | undefined;
  readonly #gateway: GatewayLabel;

  constructor(credentials: EnosCredentials, options: EnosClientOptions = {}) {
    const url = parseGateway(credentials.apiGateway);
    if (typeof credentials.accessKey !== "string" || credentials.accessKey === "") {
      throw new TypeError("EnosClient: accessKey must be a non-empty string");
    }
    if (typeof credentials.secretKey !== "string" || credentials.secretKey === "") {
      throw new TypeError("EnosClient: secretKey must be a non-empty string");
    }
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.apiGateway = this.#origin + this.#basePath;
    this.accessKey = credentials.accessKey;
    this.#secretKey = credentials.secretKey;
    this.credentialKey = credentialKey(this.apiGateway, this.accessKey, credentials.secretKey);
    this.#timeoutMs = positive(options.requestTimeoutMs, 30_000, "requestTimeoutMs");
    this.#maxResponseBytes = positive(options.maxResponseBytes, 4 * 1024 * 1024, "maxResponseBytes");
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#dispatcher = options.dispatcher;
    this.clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#onCall = options.onCall;
    this.#tokens = tokenSlot(this.credentialKey);
    this.#settingNames = { ...FIELD_NAMES, ...options.settingNames };
    this.#namedSettings = options.settingNames === undefined ? undefined : this.#settingNames;
    this.#gateway = { setting: this.#settingNames.apiGateway, url: this.apiGateway, host: url.host };
  }

  /**
   * One signed call; resolves the envelope's `data`, checked by `schema` when given (unchecked `unknown`
   * otherwise). Retries per the retry table, renews the token once on 1203, and otherwise throws an
   * {@link EnosError} subclass.
   */
  request(req: EnosRequest & { readonly schema?: undefined }): Promise<unknown>;
  request<T>(req: EnosRequest<T> & { readonly schema: z.ZodType<T> }): Promise<T>;
  async request<T>(req: EnosRequest<T>): Promise<unknown> {
    if (!req.path.startsWith("/")) {
      throw new TypeError("EnosClient.request: path must start with '/'");
    }
    const call: EnosCall = { method: req.method, path: req.path };
    const mutating = req.mutating ?? req.method !== "GET";
    const query = normaliseQuery(req.query);
    const bodyText = req.body === undefined ? undefined : JSON.stringify(req.body);
    const body = bodyText === undefined ? undefined : Buffer.from(bodyText, "utf8");
    const pathAndQuery = this.#basePath + req.path + queryString(query);
    let renewedToken = false;

    for (let attempt = 1; ; attempt++) {
      this.#refuseAfterDeadline(call, mutating);
      const token = await this.#accessToken();
      this.#refuseAfterDeadline(call, mutating);
      const signed = this.#signedHeaders(token, query, bodyText);
      const exchange: Exchange = {
        call,
        method: req.method,
        mutating,
        pathAndQuery,
        headers: signed.headers,
        body,
        secrets: [this.#secretKey, token, signed.signature],
        codeContext: req.codeContext,
        kind: "api",
      };
      try {
        return await this.#exchange(exchange, attempt, req.schema);
      } catch (err) {
        // An expired token is refused by the gateway before anything happens, so even a mutation may repeat.
        if (!renewedToken && EnosApiError.isInstance(err) && err.fromEnvelope && err.code === 1203) {
          renewedToken = true;
          invalidateToken(this.#tokens, token);
          attempt--;
          continue;
        }
        if (req.retryOrgBusy === false && isOrgBusy(err)) throw err;
        await this.#backoffOrThrow(err, mutating, attempt);
      }
    }
  }

  /**
   * A mutation is never sent once the operation's deadline has passed; a read (a listing page, the read that
   * records a failed operation's final status) not once its grace of ANSWER_GRACE_MS after it has.
   */
  #refuseAfterDeadline(call: EnosCall, mutating: boolean): void {
    const left = remainingMs(this.clock);
    if (left !== undefined && left <= (mutating ? 0 : -ANSWER_GRACE_MS)) throw new EnosDeadlineError(call);
  }

  /**
   * This attempt's timeout: the configured one, or what is left of the deadline plus ANSWER_GRACE_MS when that is
   * shorter. The grace lets a mutation sent just before the deadline get its answer (an unknown outcome costs a
   * re-read) and lets the read that records a failed operation's final status finish.
   */
  #attemptTimeout(): number {
    const left = remainingMs(this.clock);
    return left === undefined
      ? this.#timeoutMs
      : Math.max(1, Math.min(this.#timeoutMs, left + ANSWER_GRACE_MS));
  }

  /** The apim headers for one attempt; the timestamp is fresh per attempt, so is the signature. */
  #signedHeaders(
    token: string,
    query: Readonly<Record<string, string>>,
    bodyText: string | undefined,
  ): { headers: Record<string, string>; signature: string } {
    const timestamp = this.clock();
    const signature = apimSignature({
      accessToken: token,
      appSecret: this.#secretKey,
      timestamp,
      query,
      body: bodyText,
    });
    const headers: Record<string, string> = {
      accept: "application/json",
      "apim-accesstoken": token,
      "apim-signature": signature,
      "apim-timestamp": String(timestamp),
    };
    if (bodyText !== undefined) {
      headers["content-type"] = "application/json;charset=UTF-8";
    }
    return { headers, signature };
  }

  /** The shared token; its fetch runs outside any one operation's deadline, and each caller bounds its wait. */
  #accessToken(): Promise<string> {
    const shared = accessToken(this.#tokens, this.clock, (kind, current) =>
      withoutDeadline(() => this.#fetchToken(kind, current)),
    );
    return withinDeadline(shared, this.clock, () => new EnosDeadlineError({ method: "POST", path: TOKEN }));
  }

  /** One token call with its own retries; token calls change nothing a retry could duplicate. */
  async #fetchToken(kind: "get" | "refresh", current: string | undefined): Promise<IssuedToken> {
    const call: EnosCall = { method: "POST", path: `${TOKEN}/${kind}` };
    for (let attempt = 1; ; attempt++) {
      // A fresh timestamp per attempt: the token service refuses a replayed encryption (1001).
      const timestamp = this.clock();
      const encryption = tokenEncryption(this.accessKey, timestamp, this.#secretKey);
      const payload =
        kind === "get"
          ? { appKey: this.accessKey, encryption, timestamp }
          : { appKey: this.accessKey, encryption, timestamp, accessToken: current };
      const exchange: Exchange = {
        call,
        method: "POST",
        mutating: false,
        pathAndQuery: this.#basePath + call.path,
        headers: { accept: "application/json", "content-type": "application/json;charset=UTF-8" },
        body: Buffer.from(JSON.stringify(payload), "utf8"),
        secrets: [this.#secretKey, encryption, current],
        kind: "token",
      };
      try {
        const data = await this.#exchange(exchange, attempt, tokenDataSchema);
        return { accessToken: data.accessToken, expireSeconds: data.expire };
      } catch (err) {
        await this.#backoffOrThrow(err, false, attempt);
      }
    }
  }

  async #backoffOrThrow(err: unknown, mutating: boolean, attempt: number): Promise<void> {
    const decision = retryDecision({
      error: err,
      mutating,
      attempt,
      policy: this.#policy,
      random: this.#random,
    });
    // A pause that would end after the deadline is no retry: the caller gets the failure while it has time left.
    const left = remainingMs(this.clock);
    if (!decision.retry || (left !== undefined && decision.delayMs >= left)) {
      throw err;
    }
    await this.#sleep(decision.delayMs);
  }

  /** Send, parse the envelope, validate `data`; report the exchange to `onCall`. */
  async #exchange<T>(ex: Exchange, attempt: number, schema: z.ZodType<T> | undefined): Promise<T> {
    try {
      const raw = await sendOnce(this.#dispatcher ?? sharedDispatcher(), {
        call: ex.call,
        method: ex.method,
        origin: this.#origin,
        pathAndQuery: ex.pathAndQuery,
        headers: ex.headers,
        body: ex.body,
        timeoutMs: this.#attemptTimeout(),
        maxResponseBytes: this.#maxResponseBytes,
        gateway: this.#gateway,
      });
      const envelope = parseEnvelope(raw, {
        call: ex.call,
        mutating: ex.mutating,
        nowMs: this.clock(),
        secrets: ex.secrets,
        codeContext: ex.codeContext,
        gateway: this.#gateway,
        // Only names the caller chose: without them, the codes' own wording ("the EnOS access key") reads better.
        settingNames: this.#namedSettings,
      });
      const data = validate(ex.call, raw.status, envelope.data, schema);
      this.#emit({
        method: ex.method,
        path: ex.call.path,
        attempt,
        outcome: "ok",
        httpStatus: raw.status,
        kind: ex.kind,
      });
      return data;
    } catch (err) {
      this.#emit({
        method: ex.method,
        path: ex.call.path,
        attempt,
        outcome: outcomeOf(err),
        ...(EnosApiError.isInstance(err) ? { code: err.code, httpStatus: err.httpStatus } : {}),
        kind: ex.kind,
      });
      throw err;
    }
  }

  #emit(event: EnosCallEvent): void {
    try {
      this.#onCall?.(event);
    } catch {
      // A faulty observer must not change the outcome of a call.
    }
  }
}

function validate<T>(call: EnosCall, httpStatus: number, data: unknown, schema: z.ZodType<T> | undefined): T {
  if (schema === undefined) {
    return data as T;
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new EnosResponseShapeError(call, httpStatus, `data does not match: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

function parseGateway(apiGateway: string): URL {
  let url: URL;
  try {
    url = new URL(apiGateway);
  } catch {
    throw new TypeError("EnosClient: apiGateway must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError("EnosClient: apiGateway must be an absolute http(s) URL");
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new TypeError("EnosClient: apiGateway must not contain a query, fragment or credentials");
  }
  return url;
}

/** A positive number option, or its default. */
export function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`EnosClient: ${name} must be a positive number`);
  }
  return value;
}
