/** Construction options and request shapes of the EnOS client. */
import type { Dispatcher } from "undici";
import type { z } from "zod";
import type { EnosCodeContext } from "./codes.js";
import type { RetryPolicy } from "./retry.js";
import type { SettingNames } from "./settings-hints.js";

/** Where and as whom to call EnOS. Users configure the same two values as in the vendor's SDK. */
export interface EnosCredentials {
  /** Gateway base URL, e.g. `https://apim-gateway.example.com`. A path prefix is kept. */
  readonly apiGateway: string;
  /** The application's access key (the vendor's `appKey`). */
  readonly accessKey: string;
  /** The application's secret key (the vendor's `appSecret`). Never logged or put in an error. */
  readonly secretKey: string;
}

/** What happened in one HTTP exchange, for tests, benchmarks and tracing. Holds no secrets. */
export interface EnosCallEvent {
  readonly method: string;
  /** Gateway-relative path, without query. */
  readonly path: string;
  /** 1-based attempt of this call. */
  readonly attempt: number;
  readonly outcome: "ok" | "api-error" | "transport-error" | "timeout" | "shape-error";
  /** EnOS code (or negated HTTP status) of an api-error. */
  readonly code?: number;
  readonly httpStatus?: number;
  /** "token" for token service calls, "api" otherwise. */
  readonly kind: "api" | "token";
}

/** Options of {@link EnosClient}; every one has a default suitable for production. */
export interface EnosClientOptions {
  /** Deadline of one HTTP exchange (connect, headers and body), in ms. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Largest response body read, in bytes; a larger one fails as EnosResponseShapeError. Default 4 MiB. */
  readonly maxResponseBytes?: number;
  /** Overrides of DEFAULT_RETRY_POLICY (retry.ts). */
  readonly retry?: Partial<RetryPolicy>;
  /** undici dispatcher to use instead of the process's shared keep-alive Agent. */
  readonly dispatcher?: Dispatcher;
  /** Epoch-ms clock used for signing timestamps, token expiry and coalescing. Default `Date.now`. */
  readonly clock?: () => number;
  /** Uniform random in [0, 1) for retry jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Page size of List Pipelines. Default 100. */
  readonly pageSize?: number;
  /** How retries wait. Default a real timer; tests inject an instant one. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called after every HTTP exchange, including token calls. Exceptions from it are ignored. */
  readonly onCall?: (event: EnosCallEvent) => void;
  /**
   * What the user calls each credential where they set it (e.g. `enos:apiGateway`), named in errors a wrong
   * value causes: nothing listening at the gateway, DNS or TLS failures, a server that is not the APIM gateway,
   * refused keys. Default: the field names of {@link EnosCredentials}.
   */
  readonly settingNames?: Partial<SettingNames>;
}

/** HTTP methods the client sends. */
export type EnosHttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/** Query values; undefined entries are left out, numbers and booleans are written as text. */
export type EnosQuery = Readonly<Record<string, string | number | boolean | undefined>>;

/** A generic EnOS call for {@link EnosClient.request}. */
export interface EnosRequest<T = unknown> {
  readonly method: EnosHttpMethod;
  /** Gateway-relative path starting with `/`, already percent-encoded, without query. */
  readonly path: string;
  readonly query?: EnosQuery;
  /** JSON value; serialised once, and those exact bytes are signed and sent. */
  readonly body?: unknown;
  /** Whether the call changes EnOS state (limits retries). Default: every method but GET. */
  readonly mutating?: boolean;
  /** Schema of the envelope's `data`; without one, `data` is returned unchecked. */
  readonly schema?: z.ZodType<T>;
  /** Sharpens error hints, e.g. the execution mode of a start. */
  readonly codeContext?: EnosCodeContext;
  /**
   * Retry EnOS 61121 (another start in progress in the org) here, a few times (default true). A caller that
   * waits the org out itself, with its own deadline and backoff, sets false so the two do not multiply.
   */
  readonly retryOrgBusy?: boolean;
}
