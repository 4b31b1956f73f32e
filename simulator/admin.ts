/**
 * The admin API under `/__sim/`: unsigned JSON, loopback peers only. Changes the world as a console user
 * would, injects faults, exposes the request log, counts and config. See README.md for the endpoint list.
 */
import { z } from "zod";
import type { TokenService } from "./auth.js";
import type { FaultStore } from "./faults.js";
import type { RequestLog } from "./log.js";
import { seedSchema } from "./seed.js";
import { type SimState, nextVersion } from "./state.js";
import type { SimulatorConfig, SimulatorStateSnapshot } from "./types.js";

export interface AdminHost {
  readonly state: SimState;
  readonly tokens: TokenService;
  readonly faults: FaultStore;
  readonly log: RequestLog;
  config(): SimulatorConfig;
  setConfig(patch: ConfigPatch): SimulatorConfig;
  /** Back to the seed (or to a new one), forgetting tokens, faults, log, counts and config changes. */
  reset(seed?: unknown): void;
  snapshot(): SimulatorStateSnapshot;
}

export interface AdminReply {
  readonly status: number;
  readonly json: unknown;
}

const nonNegative = z.number().int().nonnegative();

export const configPatchSchema = z
  .object({
    delays: z
      .object({ start: nonNegative, pause: nonNegative, stop: nonNegative, release: nonNegative })
      .partial()
      .strict()
      .optional(),
    latencyMs: nonNegative.optional(),
    tokenTtlSeconds: z.number().int().positive().optional(),
  })
  .strict();
export type ConfigPatch = z.infer<typeof configPatchSchema>;

const statusBody = z.object({ status: z.string().min(1) });
const draftBody = z.object({ version: z.union([z.string().min(1), z.number()]).optional() });
const flowBody = z
  .object({
    active: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
    locked: z.boolean().optional(),
    owner: z.string().optional(),
    visitor: z.string().optional(),
  })
  .strict();
const userBody = z.object({ locked: z.boolean() }).strict();
const quotaBody = z
  .object({
    standalone: z.number().nonnegative().nullable().optional(),
    cluster: z.number().nonnegative().nullable().optional(),
  })
  .strict();
// `{"rules": [...]}`, or one bare rule (what a person types on a command line); rules are validated by the store.
const faultsBody = z.union(
  [
    z.object({ rules: z.array(z.unknown()) }).strict(),
    z.looseObject({ kind: z.unknown() }).transform((rule) => ({ rules: [rule as unknown] })),
  ],
  { error: 'must be {"rules": [<rule>, ...]} or one rule {"kind": ..., ...}' },
);
const resetBody = z.object({ seed: z.unknown().optional() });

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseBody<T>(schema: z.ZodType<T>, text: string): T {
  let json: unknown;
  try {
    json = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new AdminError(400, "body is not JSON");
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new AdminError(
      400,
      result.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
    );
  }
  return result.data;
}

/** True for peers the admin API serves. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

export function handleAdmin(
  host: AdminHost,
  method: string,
  path: string,
  query: URLSearchParams,
  bodyText: string,
): AdminReply {
  try {
    return route(
      host,
      method,
      path.slice("/__sim/".length).split("/").map(decodeURIComponent),
      query,
      bodyText,
    );
  } catch (err) {
    if (err instanceof AdminError) return { status: err.status, json: { error: err.message } };
    return { status: 400, json: { error: err instanceof Error ? err.message : String(err) } };
  }
}

/** One admin request, as the route sections see it. */
interface AdminRequest {
  readonly host: AdminHost;
  /** `METHOD head[/:id][/sub]`, e.g. `POST pipelines/:id/status`. */
  readonly key: string;
  readonly id: string | undefined;
  readonly query: URLSearchParams;
  readonly bodyText: string;
}

const done = (json: unknown): AdminReply => ({ status: 200, json });

function route(
  host: AdminHost,
  method: string,
  parts: string[],
  query: URLSearchParams,
  bodyText: string,
): AdminReply {
  const [head, id, sub] = parts;
  const key =
    head === "tokens"
      ? `${method} tokens/${id ?? ""}`
      : `${method} ${head ?? ""}${id === undefined ? "" : "/:id"}${sub === undefined ? "" : `/${sub}`}`;
  const request: AdminRequest = { host, key, id, query, bodyText };
  const reply =
    worldRoutes(request) ?? pipelineRoutes(request) ?? peopleRoutes(request) ?? recordRoutes(request);
  if (reply === undefined) {
    throw new AdminError(404, `no admin endpoint ${method} /__sim/${parts.join("/")}`);
  }
  return reply;
}

/** Health, reset, snapshot. */
function worldRoutes({ host, key, bodyText }: AdminRequest): AdminReply | undefined {
  switch (key) {
    case "GET health":
      return done({ ok: true });
    case "POST reset": {
      const body = parseBody(resetBody, bodyText);
      if (body.seed !== undefined) {
        const parsed = seedSchema.safeParse(body.seed);
        if (!parsed.success) {
          throw new AdminError(
            400,
            parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
          );
        }
      }
      host.reset(body.seed);
      return done({ ok: true });
    }
    case "GET state":
      return done(host.snapshot());
    default:
      return undefined;
  }
}

/** Pipelines: create, read, change status, hold and let go of transitions, drafts, delete. */
function pipelineRoutes({ host, key, id, bodyText }: AdminRequest): AdminReply | undefined {
  const { state } = host;
  const pipeline = () => {
    const p = id === undefined ? undefined : state.pipelines.get(id);
    if (!p) throw new AdminError(404, `no pipeline ${String(id)}`);
    return p;
  };
  switch (key) {
    case "POST pipelines": {
      // Validate with the seed schema, against the orgs that exist now.
      const orgs = [...state.orgs.keys()].map((orgId) => ({ orgId }));
      const parsed = parseBody(seedSchema, JSON.stringify({ orgs, pipelines: [parseJson(bodyText)] }));
      const seedPipeline = parsed.pipelines[0];
      if (!seedPipeline) throw new AdminError(400, "no pipeline in body");
      return done(state.pipelineState(state.upsertPipeline(seedPipeline)));
    }
    case "GET pipelines/:id":
      return done(state.pipelineState(pipeline()));
    case "POST pipelines/:id/status": {
      const p = pipeline();
      state.forceStatus(p, parseBody(statusBody, bodyText).status);
      return done(state.pipelineState(p));
    }
    case "POST pipelines/:id/draft": {
      const p = pipeline();
      const { version } = parseBody(draftBody, bodyText);
      p.draftVersion = version === undefined ? nextVersion(p.draftVersion) : String(version);
      return done(state.pipelineState(p));
    }
    case "DELETE pipelines/:id":
      pipeline();
      state.deletePipeline(id ?? "");
      return done({ deleted: true });
    case "POST pipelines/:id/hold": {
      const p = pipeline();
      state.hold(p);
      return done(state.pipelineState(p));
    }
    case "POST pipelines/:id/proceed": {
      const p = pipeline();
      state.proceed(p);
      return done(state.pipelineState(p));
    }
    default:
      return undefined;
  }
}

/** Flows, users and org quotas, changed as a console user would. */
function peopleRoutes({ host, key, id, bodyText }: AdminRequest): AdminReply | undefined {
  const { state } = host;
  switch (key) {
    case "POST flows/:id": {
      const f = state.flows.get(Number(id));
      if (!f) throw new AdminError(404, `no flow ${String(id)}`);
      const body = parseBody(flowBody, bodyText);
      if (body.active !== undefined) f.active = body.active === true || body.active === 1 ? 1 : 0;
      if (body.locked !== undefined) f.locked = body.locked;
      if (body.owner !== undefined) f.owner = body.owner;
      if (body.visitor !== undefined) f.visitor = body.visitor;
      return done(state.flowState(f));
    }
    case "POST users/:id": {
      const u = id === undefined ? undefined : state.users.get(id);
      if (!u) throw new AdminError(404, `no user ${String(id)}`);
      u.locked = parseBody(userBody, bodyText).locked;
      return done(state.userState(u));
    }
    case "POST orgs/:id/quotas": {
      const org = id === undefined ? undefined : state.orgs.get(id);
      if (!org) throw new AdminError(404, `no org ${String(id)}`);
      const body = parseBody(quotaBody, bodyText);
      if (body.standalone !== undefined) org.quotas.standalone = body.standalone;
      if (body.cluster !== undefined) org.quotas.cluster = body.cluster;
      return done(state.orgState(org));
    }
    default:
      return undefined;
  }
}

/** Faults, the request log and counts, runtime config, tokens. */
function recordRoutes({ host, key, id, query, bodyText }: AdminRequest): AdminReply | undefined {
  switch (key) {
    case "GET faults":
      return done({ rules: host.faults.list() });
    case "POST faults": {
      const body = parseBody(faultsBody, bodyText);
      const ids = host.faults.add(body.rules);
      return done({ ids });
    }
    case "DELETE faults":
      host.faults.clear();
      return done({ ok: true });
    case "DELETE faults/:id":
      return done({ deleted: host.faults.remove(id ?? "") });
    case "GET requests": {
      const since = Number(query.get("since") ?? "0");
      return done({ requests: host.log.list(Number.isFinite(since) ? since : 0) });
    }
    case "DELETE requests":
      host.log.clear();
      return done({ ok: true });
    case "GET counts":
      return done(host.log.counts());
    case "GET config":
      return done(host.config());
    case "POST config":
      return done(host.setConfig(parseBody(configPatchSchema, bodyText)));
    case "POST tokens/expire":
      return done({ expired: host.tokens.expireAll() });
    default:
      return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AdminError(400, "body is not JSON");
  }
}
