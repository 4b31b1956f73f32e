// `npm run bench`: the provider against the lower bound EnOS allows, through the real dynamic-provider host
// (the test harness's Engine) and the simulator. Prints a table and writes bench/results.json.
//
//   npm run bench                 full run (rollout of 50, three times; 200 resources; 100 flows)
//   npm run bench -- --quick      smaller and once (under a minute); writes dist/bench/results.quick.json
//   npm run bench -- --n 100      rollout size
//   npm run bench -- --reps 5     rollout repetitions
//   npm run bench -- --out FILE   where to write the JSON
//   npm run bench -- --no-cli     skip the real-CLI section (it runs whenever a Pulumi CLI is found)
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { liveHostPids, REPO_ROOT } from "../test/host/host.js";
import { runCliBench, TRIVIAL_PROGRAM, type CliBench } from "./cli.js";
import { runDriftBench, type DriftBench } from "./drift.js";
import { runHealthGate, type HealthGateFigures } from "./health-gate.js";
import { runHostCost, runHostStartPair, type HostCostRun } from "./host-cost.js";
import { locatePulumiCli } from "../tools/pulumi-cli/locate.js";
import { instrumentHosts, take } from "./instrument.js";
import { report, table, type HostStartPair, type Measurements, type Results } from "./report.js";
import { runRollout, type RolloutRun } from "./rollout.js";
import { runFlows, runScale, type FlowsResult, type ScaleResult } from "./scale.js";
import { loadAverage } from "./stats.js";
import {
  benchSeed,
  credentials,
  DELAYS,
  LATENCY_MS,
  scratchDir,
  startBenchSimulator,
  type BenchSimulator,
} from "./world.js";

interface Options {
  readonly quick: boolean;
  readonly n: number;
  readonly reps: number;
  readonly scaleN: number;
  readonly flowsN: number;
  readonly hostReps: number;
  readonly out: string;
  readonly cli: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      n: { type: "string" },
      reps: { type: "string" },
      out: { type: "string" },
      "no-cli": { type: "boolean", default: false },
    },
    strict: true,
  });
  const quick = values.quick;
  const int = (text: string | undefined, fallback: number, name: string): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return {
    quick,
    n: int(values.n, quick ? 10 : 50, "n"),
    reps: int(values.reps, quick ? 1 : 3, "reps"),
    scaleN: quick ? 50 : 200,
    flowsN: quick ? 20 : 100,
    hostReps: quick ? 1 : 3,
    cli: !values["no-cli"],
    out: path.resolve(
      values.out ??
        (quick
          ? path.join(REPO_ROOT, "dist", "bench", "results.quick.json")
          : path.join(REPO_ROOT, "bench", "results.json")),
    ),
  };
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function killHosts(): void {
  for (const pid of liveHostPids()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

async function measureRollouts(sim: BenchSimulator, dir: string, opts: Options): Promise<RolloutRun[]> {
  const rollouts: RolloutRun[] = [];
  for (let rep = 1; rep <= opts.reps; rep += 1) {
    const run = await runRollout(sim, dir, opts.n, rep);
    rollouts.push(run);
    say(
      `rollout ${rep}/${opts.reps}: ${opts.n} pipelines in ${run.wallMs} ms (×${run.ratio} of bound), ` +
        `${run.calls} calls, gap ${run.startGapMs} ms, detect ${run.detectLagMs} ms, hand-off ${run.handoffMs} ms`,
    );
  }
  return rollouts;
}

async function measureScale(sim: BenchSimulator, dir: string, opts: Options): Promise<ScaleResult> {
  const scale = await runScale(sim, dir, opts.scaleN, opts.reps);
  say(
    `scale ${opts.scaleN}: adopt ${scale.adopt.calls} calls, no-op ${scale.noop.calls} calls / ${scale.noop.mutations} mutations, refresh ${scale.refreshes.map((r) => r.calls).join(", ")} calls (under load ${scale.refreshesUnderLoad.map((r) => r.calls).join(", ")}; direct ${scale.directReadCalls.join(", ")})`,
  );
  return scale;
}

async function measureFlows(sim: BenchSimulator, dir: string, opts: Options): Promise<FlowsResult> {
  const flows = await runFlows(sim, dir, opts.flowsN);
  say(`flows ${opts.flowsN}: ${flows.calls} calls (${flows.callsPerFlow} per flow)`);
  return flows;
}

/** A bare host's start-up and per-call cost, its memory, and its start time against the trivial provider's. */
async function measureHosts(
  sim: BenchSimulator,
  opts: Options,
): Promise<Pick<Measurements, "hostRuns" | "floorRssMb" | "hostPairs">> {
  const hostRuns: HostCostRun[] = [];
  take();
  for (let rep = 1; rep <= opts.hostReps; rep += 1) hostRuns.push(await runHostCost(credentials(sim)));
  // Those hosts served one resource's Check/Diff only: the memory floor to read the 200-resource peak against.
  const floorRssMb = take().memory.map((m) => m.peakRssKb / 1024);
  say(`host: start to first Check ${hostRuns.map((h) => h.startToFirstCheckMs).join(", ")} ms`);
  const hostPairs: HostStartPair[] = [];
  for (let rep = 1; rep <= opts.hostReps; rep += 1)
    hostPairs.push(await runHostStartPair(credentials(sim), TRIVIAL_PROGRAM));
  say(`host start, ours vs trivial: ${hostPairs.map((p) => `${p.oursMs}/${p.trivialMs}`).join(", ")} ms`);
  return { hostRuns, floorRssMb, hostPairs };
}

async function measureHealthGate(
  sim: BenchSimulator,
  dir: string,
  opts: Options,
): Promise<HealthGateFigures> {
  const healthGate = await runHealthGate(sim, dir, { n: 10, stableFor: "2s", reps: opts.quick ? 1 : 3 });
  say(
    `health gate: ${healthGate.offsetLagCallsPerGatedStart} offset-lag calls and ${healthGate.extraCallsPerGatedStart} extra EnOS calls per gated start`,
  );
  return healthGate;
}

/** The real-CLI section, when a Pulumi CLI is found and not turned off. */
async function measureCli(sim: BenchSimulator, opts: Options): Promise<CliBench | undefined> {
  const pulumi = opts.cli ? locatePulumiCli() : undefined;
  if (!pulumi) {
    say(
      opts.cli
        ? "bench: no Pulumi CLI found (npm run pulumi:install builds one): cli section skipped"
        : "bench: --no-cli",
    );
    return undefined;
  }
  say(`bench: real CLI ${pulumi.version} (${pulumi.bin})`);
  return runCliBench(pulumi, sim, {
    n: opts.n,
    scaleN: opts.scaleN,
    reps: opts.quick ? 1 : 3,
    perOrg: opts.quick ? 10 : 25,
  });
}

/** `pulumi-enos drift` of two stacks against their two `pulumi preview --refresh`, when a Pulumi CLI is found. */
async function measureDrift(opts: Options): Promise<DriftBench | undefined> {
  const pulumi = opts.cli ? locatePulumiCli() : undefined;
  if (!pulumi) return undefined;
  const sim = await startBenchSimulator(benchSeed({}));
  try {
    const drift = await runDriftBench(pulumi, sim, {
      perStack: opts.quick ? 10 : 25,
      reps: opts.quick ? 1 : 3,
    });
    say(`drift: ${drift.driftMs} ms vs ${drift.sequentialMs} ms = ×${drift.ratio}`);
    return drift;
  } finally {
    await sim.close();
  }
}

/** The sections in order, each measured side by side with its reference in the same run. */
async function measureAll(sim: BenchSimulator, dir: string, opts: Options): Promise<Measurements> {
  const rollouts = await measureRollouts(sim, dir, opts);
  const scale = await measureScale(sim, dir, opts);
  const flows = await measureFlows(sim, dir, opts);
  const hosts = await measureHosts(sim, opts);
  const healthGate = await measureHealthGate(sim, dir, opts);
  const cli = await measureCli(sim, opts);
  const drift = await measureDrift(opts);
  return {
    quick: opts.quick,
    n: opts.n,
    scaleN: opts.scaleN,
    rollouts,
    scale,
    flows,
    ...hosts,
    healthGate,
    cli,
    drift,
  };
}

function writeResults(results: Results, out: string): void {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(table(results));
  process.stdout.write(`\nwritten: ${path.relative(process.cwd(), out)}\n`);
}

async function main(): Promise<void> {
  const opts = options();
  const loadAtStart = loadAverage();
  instrumentHosts();
  const dir = scratchDir();
  let sim: BenchSimulator | undefined;
  const interrupted = (signal: NodeJS.Signals): void => {
    say(`bench: ${signal}, stopping`);
    killHosts();
    void sim?.close().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const startedAt = performance.now();
  try {
    sim = await startBenchSimulator(benchSeed({}));
    say(`bench: simulator ${sim.url}, latency ${LATENCY_MS} ms, start ${DELAYS.start} ms`);
    const measured = await measureAll(sim, dir, opts);
    writeResults(report(measured, loadAtStart, performance.now() - startedAt), opts.out);
  } finally {
    await sim?.close();
    killHosts();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  killHosts();
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
