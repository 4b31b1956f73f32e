/**
 * The simulator's HTTP server: reads a request, applies latency and faults, authenticates, dispatches to the
 * token service, streaming or batch API (or the admin API), logs, and answers.
 */
import { randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type AdminHost, type ConfigPatch, handleAdmin, isLoopback } from "./admin.js";
import { SimulatorAdmin } from "./admin-client.js";
import { TokenService } from "./auth.js";
import { BatchApi } from "./batch.js";
import { type FaultRule, type FaultSubject, FaultStore } from "./faults.js";
import { RequestLog, redactBody } from "./log.js";
import { type Reply, envelopeCode, fail } from "./reply.js";
import { type Route, classify } from "./route.js";
import { type ParsedSeed, type Seed, defaultSeed, parseSeed } from "./seed.js";
import { SimState } from "./state.js";
import { type ApiCall, StreamingApi } from "./streaming.js";
import type { Delays, RequestLogEntry, SimulatorConfig, SimulatorStateSnapshot } from "./types.js";
import { sendMalformed, sendReply } from "./wire.js";

/** Transition delays when none are given (the CLI uses these too). */
export const DEFAULT_DELAYS: Delays = { start: 1500, pause: 500, stop: 500, release: 500 };
export const DEFAULT_TOKEN_TTL_SECONDS = 7200;

export interface StartSimulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** World to start with (default {@link defaultSeed}); validated with `seedSchema`. */
  readonly seed?: Seed;
  /** Transition delays in ms (default start 1500, pause/stop/release 500). */
  readonly delays?: Partial<Delays>;
  /** Latency added to every EnOS call (default 0). */
  readonly latencyMs?: number;
  /** Access-token lifetime (default 7200 s). */
  readonly tokenTtlSeconds?: number;
  /** Clock for tokens, timestamps and update times (default Date.now). Delays always use real timers. */
  readonly clock?: () => number;
  /** Random source for fault probabilities (default Math.random). */
  readonly random?: () => number;
  /** Request-log capacity; older entries drop off (default 10000). */
  readonly maxLogEntries?: number;
  /** Bodies above this get HTTP 413 (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:38123` — use it as the EnOS API gateway. */
  readonly url: string;
  readonly port: number;
  /** Client for the admin API of this simulator. */
  readonly admin: SimulatorAdmin;
  /** Stop listening, drop open connections and cancel pending transitions. */
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

type GatewayFault = Extract<FaultRule, { kind: "serverError" | "rateLimit" | "reset" | "malformed" }>;

/** A request as read off the wire. */
interface Incoming {
  readonly method: string;
  readonly path: string;
  readonly route: Route;
  readonly query: URLSearchParams;
  readonly raw: Buffer;
  readonly bodyText: string;
  readonly requestId: string;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) reject(new BodyTooLarge());
      else resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** What went out on the wire: the HTTP status and the envelope's code (null: none, or no answer). */
interface Sent {
  readonly httpStatus: number;
  readonly code: number | null;
}

/** The request-log entry of an EnOS call (the body redacted). */
function logEntry(
  incoming: Incoming,
  at: number,
  sent: Sent,
  fired: readonly string[],
): Omit<RequestLogEntry, "seq"> {
  const { method, path, query, bodyText, route, requestId } = incoming;
  return {
    at,
    method,
    path,
    query: Object.fromEntries(query.entries()),
    body: redactBody(bodyText, route),
    endpoint: route.endpoint,
    httpStatus: sent.httpStatus,
    code: sent.code,
    mutation: route.mutation,
    ...(route.pipelineId === undefined ? {} : { pipelineId: route.pipelineId }),
    ...(route.flowId === undefined ? {} : { flowId: route.flowId }),
    ...(route.action === undefined ? {} : { action: route.action }),
    ...(route.orgId === undefined ? {} : { orgId: route.orgId }),
    faults: fired,
    requestId,
  };
}

function gatewayError(requestId: string, status: number, msg: string): Reply {
  return fail(requestId, status, msg, status);
}

class Simulator implements AdminHost {
  readonly state: SimState;
  readonly tokens: TokenService;
  readonly faults: FaultStore;
  readonly log: RequestLog;
  private readonly streaming: StreamingApi;
  private readonly batch: BatchApi;
  private cfg: SimulatorConfig;
  private closed = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private seed: ParsedSeed,
    private readonly initialConfig: SimulatorConfig,
    private readonly clock: () => number,
    random: () => number,
    maxLogEntries: number,
    private readonly maxBodyBytes: number,
  ) {
    this.cfg = initialConfig;
    this.state = new SimState(clock);
    this.tokens = new TokenService({ clock, ttlSeconds: () => this.cfg.tokenTtlSeconds });
    this.faults = new FaultStore(random);
    this.log = new RequestLog(maxLogEntries);
    this.streaming = new StreamingApi({
      state: this.state,
      faults: this.faults,
      config: () => this.cfg,
      clock,
    });
    this.batch = new BatchApi(this.state, clock);
    this.reset();
  }

  config(): SimulatorConfig {
    return this.cfg;
  }

  setConfig(patch: ConfigPatch): SimulatorConfig {
    this.cfg = {
      delays: { ...this.cfg.delays, ...patch.delays },
      latencyMs: patch.latencyMs ?? this.cfg.latencyMs,
      tokenTtlSeconds: patch.tokenTtlSeconds ?? this.cfg.tokenTtlSeconds,
    };
    return this.cfg;
  }

  reset(seed?: unknown): void {
    if (seed !== undefined) this.seed = parseSeed(seed);
    this.state.load(this.seed);
    this.tokens.reset(
      this.seed.apps.map((a) => ({ accessKey: a.accessKey, secretKey: a.secretKey, orgId: a.orgId ?? null })),
    );
    this.faults.clear();
    this.log.clear();
    this.cfg = this.initialConfig;
  }

  snapshot(): SimulatorStateSnapshot {
    const { state } = this;
    return {
      orgs: [...state.orgs.values()].map((o) => state.orgState(o)),
      apps: this.tokens.appList().map((a) => ({ accessKey: a.accessKey, orgId: a.orgId })),
      users: [...state.users.values()].map((u) => state.userState(u)),
      pipelines: [...state.pipelines.values()].map((p) => state.pipelineState(p)),
      flows: [...state.flows.values()].map((f) => state.flowState(f)),
      faults: this.faults.list(),
      config: this.cfg,
      tokens: { live: this.tokens.liveTokens() },
    };
  }

  close(): void {
    this.closed = true;
    this.state.clearTimers();
    this.faults.clear();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://enos-sim");
    const { pathname: path, searchParams: query } = url;
    const raw = await this.readBodyOrRefuse(req, res);
    if (raw === undefined) return;
    const bodyText = raw.toString("utf8");

    if (path === "/__sim" || path.startsWith("/__sim/")) {
      this.serveAdmin(req, res, { method, path, query, bodyText });
      return;
    }

    const requestId = randomUUID().replaceAll("-", "");
    const at = this.clock();
    const route = classify(method, path, query, bodyText);
    this.log.count(route);
    const incoming: Incoming = { method, path, route, query, raw, bodyText, requestId };
    const fired: string[] = [];
    await this.delayAsFaultsSay(incoming, fired);
    if (this.closed) {
      res.destroy();
      return;
    }
    const sent = this.answer(req, res, incoming, fired);
    this.log.record(logEntry(incoming, at, sent, fired));
  }

  /** The body, or undefined once the request has been answered 413 (too large) or dropped (read error). */
  private async readBodyOrRefuse(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
    try {
      return await readBody(req, this.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        sendReply(res, gatewayError(randomUUID().replaceAll("-", ""), 413, "Request body too large"));
      } else {
        res.destroy();
      }
      return undefined;
    }
  }

  /** The admin API (`/__sim/...`), for loopback peers only; not logged, no latency or faults. */
  private serveAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    { method, path, query, bodyText }: Pick<Incoming, "method" | "path" | "query" | "bodyText">,
  ): void {
    const admin = isLoopback(req.socket.remoteAddress)
      ? handleAdmin(this, method, path, query, bodyText)
      : { status: 403, json: { error: "the admin API serves loopback peers only" } };
    const text = JSON.stringify(admin.json);
    res.writeHead(admin.status, {
      "content-type": "application/json;charset=UTF-8",
      "content-length": String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  /** The configured latency plus any latency faults, then any hold fault until it is removed. */
  private async delayAsFaultsSay(subject: FaultSubject, fired: string[]): Promise<void> {
    const latency = this.faults.takeAll(["latency"], subject);
    if (latency.length > 0) fired.push("latency");
    const wait = this.cfg.latencyMs + latency.reduce((sum, rule) => sum + rule.latencyMs, 0);
    if (wait > 0) await this.sleep(wait);
    const holds = this.faults.takeAll(["hold"], subject);
    if (holds.length > 0) {
      fired.push("hold");
      await this.faults.whenRemoved(holds);
    }
  }

  /**
   * Answers the call. Gateway faults "before" replace the call; "after" ones replace its answer once it took
   * effect. Returns what went out, for the log.
   */
  private answer(req: IncomingMessage, res: ServerResponse, incoming: Incoming, fired: string[]): Sent {
    const { requestId } = incoming;
    const before = this.faults.takeFirst(
      ["serverError", "rateLimit", "reset", "malformed"],
      incoming,
      "before",
    );
    if (before !== undefined) {
      fired.push(before.kind);
      const emptyOk: Reply = { status: 200, body: { code: 0, msg: "OK", requestId, data: "" } };
      return this.sendFault(res, before, emptyOk, requestId);
    }
    const reply = this.dispatch(req, incoming, fired);
    const after = this.faults.takeFirst(["serverError", "reset", "malformed"], incoming, "after");
    if (after !== undefined) {
      fired.push(after.kind);
      return this.sendFault(res, after, reply, requestId);
    }
    sendReply(res, reply);
    return { httpStatus: reply.status, code: envelopeCode(reply.body) };
  }

  /** Answer (or not) as a gateway fault says; returns what went out, for the log. */
  private sendFault(res: ServerResponse, rule: GatewayFault, reply: Reply, requestId: string): Sent {
    switch (rule.kind) {
      case "reset":
        res.socket?.destroy();
        return { httpStatus: 0, code: null };
      case "rateLimit": {
        const limited: Reply = {
          ...gatewayError(requestId, 429, "Rate limit exceeded"),
          headers: { "retry-after": String(rule.retryAfterSeconds) },
        };
        sendReply(res, limited);
        return { httpStatus: 429, code: 429 };
      }
      case "serverError":
        if (rule.body !== undefined) {
          this.sendText(res, rule.status, rule.body);
          return { httpStatus: rule.status, code: null };
        }
        sendReply(res, gatewayError(requestId, rule.status, `Simulated server error ${rule.status}`));
        return { httpStatus: rule.status, code: rule.status };
      case "malformed":
        sendMalformed(res, reply, rule.malformed, rule.hugeBytes);
        return {
          httpStatus: reply.status,
          code: rule.malformed === "nonJson" ? null : envelopeCode(reply.body),
        };
    }
  }

  private sendText(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, {
      "content-type": "text/plain;charset=UTF-8",
      "content-length": String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  private dispatch(req: IncomingMessage, incoming: Incoming, fired: string[]): Reply {
    const { method, path, route, query, raw, bodyText, requestId } = incoming;
    if (route.service === "token")
      return this.tokens.handleToken(bodyText, route.endpoint === "tokenRefresh");
    if (route.service === "none") return fail(requestId, 99404, `No such API: ${method} ${path}`, 404);
    const auth = this.tokens.verify(req.headers, query, raw, requestId);
    if ("reply" in auth) return auth.reply;
    const orgId = query.get("orgId") ?? "";
    if (orgId === "") {
      return fail(
        requestId,
        route.service === "batch" ? 62102 : 99400,
        "Invalid parameter: orgId is required",
      );
    }
    if (auth.app.orgId !== null && auth.app.orgId !== orgId) {
      return fail(requestId, 99403, `No permission: the app is not registered in organization ${orgId}`);
    }
    const call: ApiCall = { requestId, method, path, query, bodyText, route, orgId };
    if (this.faults.takeFirst(["startLock"], call) !== undefined) {
      fired.push("startLock");
      return fail(
        requestId,
        61121,
        "Another user in the organization is starting a stream processing job. Please try again later.",
      );
    }
    return route.service === "streaming" ? this.streaming.handle(call) : this.batch.handle(call);
  }
}

/** Start a simulator; resolves once it listens. */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const config: SimulatorConfig = {
    delays: { ...DEFAULT_DELAYS, ...options.delays },
    latencyMs: options.latencyMs ?? 0,
    tokenTtlSeconds: options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
  };
  const sim = new Simulator(
    parseSeed(options.seed ?? defaultSeed),
    config,
    options.clock ?? Date.now,
    options.random ?? Math.random,
    options.maxLogEntries ?? 10_000,
    options.maxBodyBytes ?? 1024 * 1024,
  );
  const server: Server = createServer((req, res) => {
    sim.handle(req, res).catch((err: unknown) => {
      // A simulator bug: answer like a gateway would rather than hang the caller.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendReply(
        res,
        fail("", 99500, `enos-sim internal error: ${err instanceof Error ? err.message : String(err)}`, 500),
      );
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    admin: new SimulatorAdmin(url),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        sim.close();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
