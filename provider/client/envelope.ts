/**
 * Turns one raw HTTP answer into the envelope's `data` or the right error (the factory, after openai-node's
 * `APIError.generate`). Both envelope styles are accepted: `{code, msg, requestId, data}` and the batch v2.0
 * `{status, msg, data}`.
 */
import { STATUS_CODES } from "node:http";
import { z } from "zod";
import { describeEnosCode, ENOS_CODES, type EnosCodeContext } from "./codes.js";
import { EnosApiError, EnosResponseShapeError, redact, type EnosCall } from "./errors.js";
import { isRetryableApiFailure, parseRetryAfter } from "./retry.js";
import { credentialHint, notGatewayHint, type GatewayLabel, type SettingNames } from "./settings-hints.js";

/** An HTTP answer as the transport read it. */
export interface RawResponse {
  readonly status: number;
  /** Lowercased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly text: string;
}

/** What the factory needs to know about the call. */
export interface EnvelopeContext {
  readonly call: EnosCall;
  readonly mutating: boolean;
  /** Clock reading when the answer arrived, for HTTP-date `Retry-After`. */
  readonly nowMs: number;
  /** Values to scrub from anything EnOS echoes back (secret key, token, signature). */
  readonly secrets: readonly (string | undefined)[];
  readonly codeContext?: EnosCodeContext;
  /** The gateway and credential settings as errors name them; without them, messages name no setting. */
  readonly gateway?: GatewayLabel | undefined;
  readonly settingNames?: SettingNames | undefined;
}

/** A successful envelope. */
export interface Envelope {
  readonly data: unknown;
  readonly requestId: string | undefined;
}

const numericCode = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

const envelopeSchema = z
  .looseObject({
    // Lenient per field: a strange `status` must not hide a good `code`, and vice versa.
    code: numericCode.optional().catch(undefined),
    status: numericCode.optional().catch(undefined),
    msg: z.string().nullish().catch(undefined),
    requestId: z
      .union([z.string(), z.number().transform(String)])
      .nullish()
      .catch(undefined),
    data: z.unknown().optional(),
  })
  .transform((e, ctx) => {
    const code = e.code ?? e.status;
    if (code === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "the envelope has neither a numeric code nor a numeric status",
      });
      return z.NEVER;
    }
    return { code, msg: e.msg ?? "", requestId: e.requestId ?? undefined, data: e.data };
  });

type ParsedEnvelope = z.output<typeof envelopeSchema>;

const TOKEN_SERVICE = "/apim-token-service/";

const HTTP_HINTS: Readonly<Record<number, string>> = {
  401: "the gateway rejected the credentials: check the EnOS access key and secret key",
  403: "the gateway refused this client: check the IP allow-list of the application",
  413: "the request body is too large for the gateway",
  429: "the gateway's rate limit was exceeded",
  503: "the gateway or service is unavailable; try again later",
};

type Issue = z.core.$ZodIssue;

/**
 * A union that failed reports only "Invalid input" at its own path. When its alternatives got further than that
 * (e.g. the flow object, or the flow wrapped as `{flow}`), the alternative with the fewest problems names the
 * field that is actually wrong, so report that one's issues instead.
 */
function leafIssues(issue: Issue): Issue[] {
  if (issue.code !== "invalid_union") return [issue];
  const deeper = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
  if (deeper.length === 0) return [issue];
  const best = deeper.reduce((a, b) => (b.length < a.length ? b : a));
  return best.flatMap((i) => leafIssues({ ...i, path: [...issue.path, ...i.path] }));
}

/** Up to `max` zod issues as `path: message`, short enough for an error message; never includes values. */
export function formatIssues(error: z.ZodError, max = 3): string {
  const issues = error.issues.flatMap(leafIssues);
  const parts = issues.slice(0, max).map((issue) => {
    const where = issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".");
    return `${where}: ${issue.message}`;
  });
  const more = issues.length > max ? `; and ${issues.length - max} more` : "";
  return parts.join("; ") + more;
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function snippet(text: string, secrets: EnvelopeContext["secrets"]): string {
  const flat = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  const cut = flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
  return redact(cut, secrets);
}

function apiError(
  raw: RawResponse,
  ctx: EnvelopeContext,
  fields: { code: number; msg: string; requestId: string | undefined; fromEnvelope: boolean },
): EnosApiError {
  const hint = fields.fromEnvelope ? envelopeHint(fields.code, ctx) : httpHint(raw.status, ctx);
  const failure = { code: fields.code, httpStatus: raw.status, fromEnvelope: fields.fromEnvelope };
  return new EnosApiError({
    call: ctx.call,
    code: fields.code,
    msg: redact(fields.msg, ctx.secrets),
    requestId: fields.requestId === undefined ? undefined : redact(fields.requestId, ctx.secrets),
    httpStatus: raw.status,
    retryable: isRetryableApiFailure(failure, ctx.mutating),
    fromEnvelope: fields.fromEnvelope,
    retryAfterMs: parseRetryAfter(raw.headers["retry-after"], ctx.nowMs),
    hint,
  });
}

/** The code's meaning and what to do; a credential code names the setting to fix when the caller named them. */
function envelopeHint(code: number, ctx: EnvelopeContext): string | undefined {
  const meaning = ENOS_CODES[code]?.meaning;
  const credentials = ctx.settingNames === undefined ? undefined : credentialHint(code, ctx.settingNames);
  if (meaning !== undefined && credentials !== undefined) return `${meaning}: ${credentials}`;
  return describeEnosCode(code, ctx.codeContext);
}

function httpHint(status: number, ctx: EnvelopeContext): string | undefined {
  const names = ctx.settingNames;
  if (status === 401 && names !== undefined) {
    return `the gateway rejected the credentials: check ${names.accessKey} and ${names.secretKey}`;
  }
  return HTTP_HINTS[status];
}

/** An answer that is not the APIM gateway's, in one sentence, or undefined (see notGatewayHint). */
function notGateway(raw: RawResponse, ctx: EnvelopeContext): string | undefined {
  return ctx.gateway === undefined
    ? undefined
    : notGatewayHint(raw.status, raw.headers["content-type"], raw.text, ctx.gateway);
}

function bodyDescription(raw: RawResponse): string {
  return `${Buffer.byteLength(raw.text)} bytes, ${raw.headers["content-type"] ?? "no content-type"}`;
}

function httpError(
  raw: RawResponse,
  ctx: EnvelopeContext,
  envelope: ParsedEnvelope | undefined,
): EnosApiError {
  const reason = STATUS_CODES[raw.status] ?? "HTTP error";
  const stranger = envelope === undefined ? notGateway(raw, ctx) : undefined;
  if (stranger !== undefined) {
    // Not the gateway: its page would only bury the one sentence that matters.
    return new EnosApiError({
      call: ctx.call,
      code: -raw.status,
      msg: `${reason} (${bodyDescription(raw)})`,
      requestId: undefined,
      httpStatus: raw.status,
      retryable: isRetryableApiFailure(
        { code: -raw.status, httpStatus: raw.status, fromEnvelope: false },
        ctx.mutating,
      ),
      fromEnvelope: false,
      retryAfterMs: parseRetryAfter(raw.headers["retry-after"], ctx.nowMs),
      hint: stranger,
    });
  }
  const detail =
    envelope?.msg !== undefined && envelope.msg !== "" ? envelope.msg : snippet(raw.text, ctx.secrets);
  return apiError(raw, ctx, {
    // Negated HTTP status: an HTTP failure without an EnOS code, never confused with one.
    code: -raw.status,
    msg: detail === "" ? reason : `${reason}: ${detail}`,
    requestId: envelope?.requestId,
    fromEnvelope: false,
  });
}

/**
 * The envelope's `data` for a successful answer; otherwise throws {@link EnosApiError} (non-zero code, or an
 * HTTP error status) or {@link EnosResponseShapeError} (a 2xx that is not a JSON envelope).
 */
export function parseEnvelope(raw: RawResponse, ctx: EnvelopeContext): Envelope {
  const json = tryJson(raw.text);
  const parsed = json.ok ? envelopeSchema.safeParse(json.value) : undefined;
  const envelope = parsed?.success === true ? parsed.data : undefined;
  const ok2xx = raw.status >= 200 && raw.status < 300;

  if (!ok2xx) {
    if (envelope !== undefined && envelope.code !== 0) {
      throw apiError(raw, ctx, { ...envelope, fromEnvelope: true });
    }
    throw httpError(raw, ctx, envelope);
  }
  if (!json.ok) {
    // A page instead of a token is the signature of a wrong gateway URL; on a later call, a one-off bad answer.
    const stranger = ctx.call.path.startsWith(TOKEN_SERVICE) ? notGateway(raw, ctx) : undefined;
    throw new EnosResponseShapeError(
      ctx.call,
      raw.status,
      `the body is not JSON (${bodyDescription(raw)})${stranger === undefined ? "" : `; ${stranger}`}`,
    );
  }
  if (envelope === undefined) {
    const issues = parsed === undefined || parsed.success ? "not an envelope" : formatIssues(parsed.error);
    throw new EnosResponseShapeError(ctx.call, raw.status, `not an EnOS envelope: ${issues}`);
  }
  if (envelope.code !== 0) {
    throw apiError(raw, ctx, { ...envelope, fromEnvelope: true });
  }
  return { data: envelope.data, requestId: envelope.requestId };
}
