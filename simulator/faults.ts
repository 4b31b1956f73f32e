/**
 * Fault injection. A rule names a kind, an optional match (method, path, endpoint, action, pipelineId, flowId,
 * orgId), and limits: `skip` (the first N matches pass), `count` (fires at most N times) and `probability`
 * (each matching request fires with that chance). Rules are kept in insertion order; exhausted rules stay listed with `remaining: 0`.
 */
import { z } from "zod";
import type { Route } from "./route.js";

export const MALFORMED_KINDS = ["nonJson", "wrongTypes", "truncated", "cutOff", "huge"] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

const matchSchema = z
  .object({
    method: z.string().optional(),
    /** Exact path, or a prefix when it ends with `*`. */
    path: z.string().optional(),
    endpoint: z.string().optional(),
    action: z.string().optional(),
    pipelineId: z.string().optional(),
    flowId: z.number().int().optional(),
    orgId: z.string().optional(),
  })
  .strict();

const base = {
  id: z.string().min(1).optional(),
  match: matchSchema.default({}),
  count: z.number().int().positive().optional(),
  /** Let the first N matching requests through untouched, then start firing. */
  skip: z.number().int().nonnegative().default(0),
  probability: z.number().min(0).max(1).default(1),
};
const phase = z.enum(["before", "after"]);

/** zod schema of one fault rule (the body of `POST /__sim/faults` is `{ rules: FaultRuleInput[] }`). */
export const faultRuleSchema = z.discriminatedUnion("kind", [
  /** Extra latency before the request is handled. */
  z.object({ ...base, kind: z.literal("latency"), latencyMs: z.number().int().nonnegative() }).strict(),
  /** An HTTP 5xx. `before` (default): nothing happened; `after`: the call took effect, the answer is lost. */
  z
    .object({
      ...base,
      kind: z.literal("serverError"),
      status: z.number().int().min(500).max(599).default(503),
      phase: phase.default("before"),
      /** Raw body text to send instead of the JSON envelope (e.g. an HTML error page). */
      body: z.string().optional(),
    })
    .strict(),
  /** The connection is destroyed without an answer, before or after the call took effect. */
  z.object({ ...base, kind: z.literal("reset"), phase: phase.default("before") }).strict(),
  /** HTTP 429 with `Retry-After` (seconds); nothing happened. */
  z
    .object({
      ...base,
      kind: z.literal("rateLimit"),
      retryAfterSeconds: z.number().int().nonnegative().default(1),
    })
    .strict(),
  /** 61121 "another user in the organization is starting a job" (matches start calls unless told otherwise). */
  z.object({ ...base, kind: z.literal("startLock") }).strict(),
  /** The transition started by a matching call never completes (the status stays transitional). */
  z.object({ ...base, kind: z.literal("stuck") }).strict(),
  /** A matching start is accepted but ends in RUN_ERROR instead of RUNNING. */
  z.object({ ...base, kind: z.literal("startError") }).strict(),
  /** The next run of a matching start: its consumer lag grows by `lagPerSecond` records each second RUNNING. */
  z
    .object({
      ...base,
      kind: z.literal("lagGrowth"),
      lagPerSecond: z.number().int().positive().default(1000),
    })
    .strict(),
  /** The next run of a matching start: its offset never moves (the consumer is stuck; lag grows at kafkaRate). */
  z.object({ ...base, kind: z.literal("offsetStall") }).strict(),
  /**
   * The next run of a matching start turns to `status` (default RUN_ERROR) `afterMs` ms after reaching RUNNING,
   * or once `afterSamples` offset-lag answers have been served in that run (no timer: tests use this one).
   */
  z
    .object({
      ...base,
      kind: z.literal("crash"),
      afterMs: z.number().int().nonnegative().optional(),
      afterSamples: z.number().int().nonnegative().optional(),
      status: z.string().min(1).default("RUN_ERROR"),
    })
    .strict()
    .refine((rule) => (rule.afterMs === undefined) !== (rule.afterSamples === undefined), {
      message: "give exactly one of afterMs and afterSamples",
    }),
  /** Matching requests are held, unanswered, until the rule is removed (DELETE /__sim/faults/:id) or cleared. */
  z.object({ ...base, kind: z.literal("hold") }).strict(),
  /** A broken answer. `after` (default): the call took effect first. */
  z
    .object({
      ...base,
      kind: z.literal("malformed"),
      malformed: z.enum(MALFORMED_KINDS),
      phase: phase.default("after"),
      /** Size of the padding for `huge` (default 8 MiB). */
      hugeBytes: z
        .number()
        .int()
        .positive()
        .default(8 * 1024 * 1024),
    })
    .strict(),
]);

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
type ParsedRule = z.output<typeof faultRuleSchema>;
export type FaultKind = ParsedRule["kind"];
export type FaultMatch = z.output<typeof matchSchema>;

/** A stored rule: the parsed input plus its id, what is left of its count, and how often it fired. */
export type FaultRule = ParsedRule & {
  readonly id: string;
  remaining: number | null;
  fired: number;
  /** Matching requests still to let through (from `skip`). */
  toSkip: number;
};

/** What a request looks like to the matcher. */
export interface FaultSubject {
  readonly method: string;
  readonly path: string;
  readonly route: Route;
}

/** Kinds that act on a start (and the run it begins): their match defaults to the start endpoint. */
const START_KINDS: readonly FaultKind[] = ["startLock", "startError", "lagGrowth", "offsetStall", "crash"];

function matches(match: FaultMatch, kind: FaultKind, subject: FaultSubject): boolean {
  const { route } = subject;
  if (match.method !== undefined && match.method.toUpperCase() !== subject.method) return false;
  if (match.path !== undefined) {
    const ok = match.path.endsWith("*")
      ? subject.path.startsWith(match.path.slice(0, -1))
      : subject.path === match.path;
    if (!ok) return false;
  }
  // startLock/startError only make sense for starts; default their match to the start endpoint.
  const endpoint =
    match.endpoint ??
    (match.action === undefined && START_KINDS.includes(kind) ? "startPipeline" : undefined);
  if (endpoint !== undefined && endpoint !== route.endpoint) return false;
  if (match.action !== undefined && match.action !== route.action) return false;
  if (match.pipelineId !== undefined && match.pipelineId !== route.pipelineId) return false;
  if (match.flowId !== undefined && match.flowId !== route.flowId) return false;
  if (match.orgId !== undefined && match.orgId !== route.orgId) return false;
  return true;
}

export class FaultStore {
  private rules: FaultRule[] = [];
  private nextId = 1;
  /** Requests held by `hold` rules, by rule id: woken when the rule goes. */
  private readonly held = new Map<string, Set<() => void>>();

  constructor(private readonly random: () => number) {}

  /** Validate and append rules; returns their ids. Throws a zod error on an invalid rule. */
  add(inputs: readonly unknown[]): string[] {
    const parsed = inputs.map((input) => faultRuleSchema.parse(input));
    return parsed.map((rule) => {
      const id = rule.id ?? `fault-${this.nextId++}`;
      this.rules = this.rules.filter((r) => r.id !== id);
      this.release(id);
      this.rules.push({ ...rule, id, remaining: rule.count ?? null, fired: 0, toSkip: rule.skip });
      return id;
    });
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    this.release(id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    for (const id of [...this.held.keys()]) this.release(id);
  }

  /** Resolves once every one of these `hold` rules has been removed (or the store cleared). */
  whenRemoved(rules: readonly FaultRule[]): Promise<void> {
    return Promise.all(
      rules.map(
        (rule) =>
          new Promise<void>((resolve) => {
            if (!this.rules.some((r) => r.id === rule.id)) {
              resolve();
              return;
            }
            const waiting = this.held.get(rule.id) ?? new Set();
            waiting.add(resolve);
            this.held.set(rule.id, waiting);
          }),
      ),
    ).then(() => undefined);
  }

  private release(id: string): void {
    const waiting = this.held.get(id);
    this.held.delete(id);
    for (const wake of waiting ?? []) wake();
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Every live rule of these kinds that matches and wins its probability draw; each one fired is consumed. */
  takeAll<K extends FaultKind>(
    kinds: readonly K[],
    subject: FaultSubject,
    phaseName?: "before" | "after",
  ): Extract<FaultRule, { kind: K }>[] {
    return this.take(kinds, subject, phaseName, Infinity);
  }

  /** The first live rule of these kinds that fires (consumed), or undefined. */
  takeFirst<K extends FaultKind>(
    kinds: readonly K[],
    subject: FaultSubject,
    phaseName?: "before" | "after",
  ): Extract<FaultRule, { kind: K }> | undefined {
    return this.take(kinds, subject, phaseName, 1)[0];
  }

  private take<K extends FaultKind>(
    kinds: readonly K[],
    subject: FaultSubject,
    phaseName: "before" | "after" | undefined,
    limit: number,
  ): Extract<FaultRule, { kind: K }>[] {
    const fired: Extract<FaultRule, { kind: K }>[] = [];
    for (const rule of this.rules) {
      if (fired.length >= limit) break;
      if (!(kinds as readonly FaultKind[]).includes(rule.kind)) continue;
      if (phaseName !== undefined && "phase" in rule && rule.phase !== phaseName) continue;
      if (rule.remaining === 0) continue;
      if (!matches(rule.match, rule.kind, subject)) continue;
      if (rule.toSkip > 0) {
        rule.toSkip--;
        continue;
      }
      if (rule.probability < 1 && this.random() >= rule.probability) continue;
      if (rule.remaining !== null) rule.remaining--;
      rule.fired++;
      fired.push(rule as Extract<FaultRule, { kind: K }>);
    }
    return fired;
  }
}
