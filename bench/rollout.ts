// Rollout: N pipelines PUBLISHED → RUNNING in one org through `up`, against the lower bound EnOS allows.
//
// EnOS runs one start at a time per org, so no client can do better than N × start time, plus one round trip
// to send the first start. Everything above that is the provider's: how soon a poll sees each start finish,
// and how soon the next start follows.
import type { RequestLogEntry } from "../simulator/index.js";
import { take } from "./instrument.js";
import { mean, round } from "./stats.js";
import {
  benchSeed,
  DELAYS,
  LATENCY_MS,
  measureTraffic,
  mustSucceed,
  newStack,
  PIPELINE_TYPE,
  pipelineEntries,
  PROGRAM,
  type BenchSimulator,
} from "./world.js";

/** One rollout, with where its time went. */
export interface RolloutRun {
  /** First Create sent → last Create answered. */
  readonly wallMs: number;
  /** The whole `up`: program, host start, Configure, Check, Create. */
  readonly upMs: number;
  readonly ratio: number;
  readonly calls: number;
  readonly polls: number;
  readonly byEndpoint: Readonly<Record<string, number>>;
  /** Starts refused with 61121 (another start in progress in the org): 0 when the provider queues its own. */
  readonly orgBusyRefusals: number;
  /**
   * Mean time between consecutive accepted starts (arrival at the simulator) once the start duration has been
   * learned (from the second gap on); the floor is the start delay. gap = delay + detect + hand-off.
   */
  readonly startGapMs: number;
  /** Mean time from a start completing to the arrival of the first poll that could see it (warm). */
  readonly detectLagMs: number;
  /** Mean time from that poll's arrival to the next start's arrival: the start's latency + the provider (warm). */
  readonly handoffMs: number;
  /** The first gap: the first start's wait knows nothing yet and backs off from 50 ms. */
  readonly coldGapMs: number;
  /** First Create sent → first start arrived (adoption read, first listing, token). */
  readonly headMs: number;
  /** Last start complete → last Create answered. */
  readonly tailMs: number;
  readonly providerBytes: number;
}

export function rolloutBound(n: number): number {
  return n * DELAYS.start + LATENCY_MS;
}

export async function runRollout(
  sim: BenchSimulator,
  dir: string,
  n: number,
  rep: number,
): Promise<RolloutRun> {
  await sim.admin.reset(benchSeed({ pipelines: n, pipelineStatus: "PUBLISHED" }));
  const engine = newStack(sim, dir, `rollout-${n}-${rep}`, { pipelines: pipelineEntries(n) });
  take();
  const { result: up, traffic } = await measureTraffic(sim, () => engine.up(PROGRAM));
  mustSucceed("rollout up", up);
  const { spans } = take();
  const creates = spans.filter((s) => s.method === "create");
  if (creates.length !== n) throw new Error(`rollout: expected ${n} Create calls, saw ${creates.length}`);
  const state = await sim.admin.state();
  const running = state.pipelines.filter((p) => p.status === "RUNNING").length;
  if (running !== n) throw new Error(`rollout: ${running} of ${n} pipelines RUNNING after up`);

  const wallMs = Math.max(...creates.map((s) => s.answered)) - Math.min(...creates.map((s) => s.sent));
  const firstSent = Math.min(...creates.map((s) => s.sentEpoch));
  const lastAnswered = Math.max(...creates.map((s) => s.answeredEpoch));
  const timeline = startTimeline(traffic.log);
  const lastStart = timeline.starts.at(-1) ?? firstSent;
  const polls = traffic.counts.byEndpoint.listPipelines ?? 0;
  return {
    wallMs: round(wallMs),
    upMs: round(up.timings.totalMs),
    ratio: round(wallMs / rolloutBound(n), 3),
    calls: traffic.counts.total,
    polls,
    byEndpoint: traffic.counts.byEndpoint,
    orgBusyRefusals: traffic.log.filter((e) => e.endpoint === "startPipeline" && e.code === 61121).length,
    startGapMs: round(mean(timeline.gaps.slice(1))),
    detectLagMs: round(mean(timeline.detectLags.slice(1))),
    handoffMs: round(mean(timeline.handoffs.slice(1))),
    coldGapMs: timeline.gaps[0] ?? 0,
    headMs: (timeline.starts[0] ?? firstSent) - firstSent,
    // The start takes effect after the simulator's latency and completes DELAYS.start later.
    tailMs: lastAnswered - (lastStart + LATENCY_MS + DELAYS.start),
    providerBytes: up.providerBytes[PIPELINE_TYPE] ?? 0,
  };
}

/**
 * Where the time between starts goes, from the simulator's request log (arrival times; every call waits the
 * same latency before it is handled, so arrival order is handling order). A start arriving at `a` completes
 * at `a + latency + delay`; a poll arriving at `p` is handled at `p + latency`, so it can see the completion
 * only if `p >= a + delay`.
 */
export function startTimeline(log: readonly RequestLogEntry[]): {
  starts: number[];
  gaps: number[];
  detectLags: number[];
  handoffs: number[];
} {
  const starts = log
    .filter((e) => e.endpoint === "startPipeline" && e.code === 0)
    .map((e) => e.at)
    .sort((a, b) => a - b);
  const lists = log
    .filter((e) => e.endpoint === "listPipelines")
    .map((e) => e.at)
    .sort((a, b) => a - b);
  const gaps: number[] = [];
  const detectLags: number[] = [];
  const handoffs: number[] = [];
  for (let k = 0; k + 1 < starts.length; k += 1) {
    const at = starts[k] ?? 0;
    const next = starts[k + 1] ?? 0;
    gaps.push(next - at);
    // Gaps without a sighting before the next start are left out of both, so the means stay comparable.
    const seen = lists.find((p) => p >= at + DELAYS.start);
    detectLags.push(seen !== undefined && seen <= next ? seen - (at + DELAYS.start) : NaN);
    handoffs.push(seen !== undefined && seen <= next ? next - seen : NaN);
  }
  return { starts, gaps, detectLags, handoffs };
}
