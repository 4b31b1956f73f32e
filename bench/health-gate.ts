// The health gate's cost: the same rollout of N pipelines (PUBLISHED → RUNNING in one org) with and without a
// `healthCheck`, side by side in one run against the bench simulator, through the real dynamic-provider host.
// Reports the gate's EnOS calls per gated start (offset-lag reads and the extra status listings) and the wall
// time it adds, which should be about one `stableFor` (windows overlap: starts stay serialised, gates do not).
//
//   import { runHealthGate } from "./health-gate.js";  const figures = await runHealthGate(sim, dir);
//   node dist/bench/health-gate.js [--n 10] [--stable-for 2s]     (standalone: starts its own simulator)
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { median, round } from "./stats.js";
import {
  benchSeed,
  measureTraffic,
  mustSucceed,
  newStack,
  pipelineEntries,
  PROGRAM,
  scratchDir,
  startBenchSimulator,
  type BenchSimulator,
} from "./world.js";

/** One rollout's EnOS traffic and time. */
export interface GateRolloutFigures {
  readonly wallMs: number;
  readonly calls: number;
  readonly listings: number;
  readonly offsetLagCalls: number;
}

export interface HealthGateFigures {
  readonly n: number;
  readonly stableFor: string;
  readonly reps: number;
  /** Medians over the repetitions. */
  readonly gated: GateRolloutFigures;
  readonly ungated: GateRolloutFigures;
  /** Get Pipeline Offset and Lag calls per gated start (the design reads three per window). */
  readonly offsetLagCallsPerGatedStart: number;
  /** Status listings the gates add, per gated start (shared listings: one serves every pipeline polled at once). */
  readonly extraListingsPerGatedStart: number;
  /** Every EnOS call the gate adds, per gated start. */
  readonly extraCallsPerGatedStart: number;
  /** Wall time the gate adds to the rollout, and the ratio to stableFor. */
  readonly addedWallMs: number;
  readonly addedWallPerStableFor: number;
}

async function rollout(
  sim: BenchSimulator,
  dir: string,
  n: number,
  name: string,
  healthCheck: Record<string, unknown> | undefined,
): Promise<GateRolloutFigures> {
  await sim.admin.reset(benchSeed({ pipelines: n, pipelineStatus: "PUBLISHED" }));
  const entries = pipelineEntries(n).map((entry) => (healthCheck ? { ...entry, healthCheck } : entry));
  const engine = newStack(sim, dir, name, { pipelines: entries });
  const { result: up, traffic } = await measureTraffic(sim, () => engine.up(PROGRAM));
  mustSucceed(`${name} up`, up);
  return {
    wallMs: round(up.timings.totalMs),
    calls: traffic.counts.total,
    listings: traffic.counts.byEndpoint.listPipelines ?? 0,
    offsetLagCalls: traffic.counts.byEndpoint.getOffsetLag ?? 0,
  };
}

const medianOf = (runs: readonly GateRolloutFigures[]): GateRolloutFigures => ({
  wallMs: round(median(runs.map((r) => r.wallMs))),
  calls: median(runs.map((r) => r.calls)),
  listings: median(runs.map((r) => r.listings)),
  offsetLagCalls: median(runs.map((r) => r.offsetLagCalls)),
});

/** Gated and ungated rollouts alternated `reps` times (so machine load hits both alike); medians compared. */
export async function runHealthGate(
  sim: BenchSimulator,
  dir: string,
  options: { n?: number; stableFor?: string; reps?: number } = {},
): Promise<HealthGateFigures> {
  const n = options.n ?? 10;
  const stableFor = options.stableFor ?? "2s";
  const reps = options.reps ?? 1;
  const gatedRuns: GateRolloutFigures[] = [];
  const ungatedRuns: GateRolloutFigures[] = [];
  for (let rep = 0; rep < reps; rep += 1) {
    ungatedRuns.push(await rollout(sim, dir, n, `gate-off-${n}-${rep}`, undefined));
    gatedRuns.push(await rollout(sim, dir, n, `gate-on-${n}-${rep}`, { stableFor }));
  }
  const gated = medianOf(gatedRuns);
  const ungated = medianOf(ungatedRuns);
  const stableMs = Number(/^(\d+)s$/.exec(stableFor)?.[1] ?? Number.NaN) * 1_000;
  return {
    n,
    stableFor,
    reps,
    gated,
    ungated,
    offsetLagCallsPerGatedStart: round(gated.offsetLagCalls / n, 2),
    extraListingsPerGatedStart: round((gated.listings - ungated.listings) / n, 2),
    extraCallsPerGatedStart: round((gated.calls - ungated.calls) / n, 2),
    addedWallMs: round(gated.wallMs - ungated.wallMs),
    addedWallPerStableFor: round((gated.wallMs - ungated.wallMs) / stableMs, 2),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: "string", default: "10" },
      "stable-for": { type: "string", default: "2s" },
      reps: { type: "string", default: "1" },
    },
    strict: true,
  });
  const sim = await startBenchSimulator(benchSeed({ pipelines: Number(values.n) }));
  const dir = scratchDir();
  try {
    const figures = await runHealthGate(sim, dir, {
      n: Number(values.n),
      stableFor: values["stable-for"],
      reps: Number(values.reps),
    });
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
