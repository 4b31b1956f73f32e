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
import { runHealthGate, type HealthGateFigures } from "./health-gate.js";
import { runHostCost, runHostStartPair, type HostCostRun } from "./host-cost.js";
import { locatePulumiCli } from "../tools/pulumi-cli/locate.js";
import { instrumentHosts, take } from "./instrument.js";
import { LOAD_WORKERS } from "./load.js";
import { rolloutBound, runRollout, type RolloutRun } from "./rollout.js";
import { runFlows, runScale } from "./scale.js";
import { loadAverage, machineInfo, median, round } from "./stats.js";
import {
  benchSeed,
  credentials,
  DELAYS,
  LATENCY_MS,
  PAGE_SIZE,
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

    const rollouts: RolloutRun[] = [];
    for (let rep = 1; rep <= opts.reps; rep += 1) {
      const run = await runRollout(sim, dir, opts.n, rep);
      rollouts.push(run);
      say(
        `rollout ${rep}/${opts.reps}: ${opts.n} pipelines in ${run.wallMs} ms (×${run.ratio} of bound), ` +
          `${run.calls} calls, gap ${run.startGapMs} ms, detect ${run.detectLagMs} ms, hand-off ${run.handoffMs} ms`,
      );
    }
    const scale = await runScale(sim, dir, opts.scaleN, opts.reps);
    say(
      `scale ${opts.scaleN}: adopt ${scale.adopt.calls} calls, no-op ${scale.noop.calls} calls / ${scale.noop.mutations} mutations, refresh ${scale.refreshes.map((r) => r.calls).join(", ")} calls (under load ${scale.refreshesUnderLoad.map((r) => r.calls).join(", ")}; direct ${scale.directReadCalls.join(", ")})`,
    );
    const flows = await runFlows(sim, dir, opts.flowsN);
    say(`flows ${opts.flowsN}: ${flows.calls} calls (${flows.callsPerFlow} per flow)`);
    const hostRuns: HostCostRun[] = [];
    take();
    for (let rep = 1; rep <= opts.hostReps; rep += 1) hostRuns.push(await runHostCost(credentials(sim)));
    // Those hosts served one resource's Check/Diff only: the memory floor to read the 200-resource peak against.
    const floorRssMb = take().memory.map((m) => m.peakRssKb / 1024);
    say(`host: start to first Check ${hostRuns.map((h) => h.startToFirstCheckMs).join(", ")} ms`);
    const hostPairs: { oursMs: number; trivialMs: number }[] = [];
    for (let rep = 1; rep <= opts.hostReps; rep += 1)
      hostPairs.push(await runHostStartPair(credentials(sim), TRIVIAL_PROGRAM));
    say(`host start, ours vs trivial: ${hostPairs.map((p) => `${p.oursMs}/${p.trivialMs}`).join(", ")} ms`);

    const healthGate = await runHealthGate(sim, dir, { n: 10, stableFor: "2s", reps: opts.quick ? 1 : 3 });
    say(
      `health gate: ${healthGate.offsetLagCallsPerGatedStart} offset-lag calls and ${healthGate.extraCallsPerGatedStart} extra EnOS calls per gated start`,
    );

    const pulumi = opts.cli ? locatePulumiCli() : undefined;
    let cli: CliBench | undefined;
    if (pulumi) {
      say(`bench: real CLI ${pulumi.version} (${pulumi.bin})`);
      cli = await runCliBench(pulumi, sim, {
        n: opts.n,
        scaleN: opts.scaleN,
        reps: opts.quick ? 1 : 3,
        perOrg: opts.quick ? 10 : 25,
      });
    } else {
      say(
        opts.cli
          ? "bench: no Pulumi CLI found (npm run pulumi:install builds one): cli section skipped"
          : "bench: --no-cli",
      );
    }

    const results = report(
      opts,
      rollouts,
      scale,
      flows,
      hostRuns,
      floorRssMb,
      loadAtStart,
      performance.now() - startedAt,
      { hostPairs, cli, healthGate },
    );
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(table(results));
    process.stdout.write(`\nwritten: ${path.relative(process.cwd(), opts.out)}\n`);
  } finally {
    await sim?.close();
    killHosts();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type Results = ReturnType<typeof report>;

function report(
  opts: Options,
  rollouts: readonly RolloutRun[],
  scale: Awaited<ReturnType<typeof runScale>>,
  flows: Awaited<ReturnType<typeof runFlows>>,
  hostRuns: readonly HostCostRun[],
  floorRssMb: readonly number[],
  loadAtStart: readonly number[],
  benchMs: number,
  extra: {
    hostPairs: readonly { oursMs: number; trivialMs: number }[];
    cli: CliBench | undefined;
    healthGate: HealthGateFigures;
  },
) {
  const n = opts.n;
  const boundMs = rolloutBound(n);
  const med = (pick: (r: RolloutRun) => number): number => round(median(rollouts.map(pick)), 3);
  const wallMs = med((r) => r.wallMs);
  const hostMed = (pick: (h: HostCostRun) => number): number => round(median(hostRuns.map(pick)), 2);
  const refreshPeaks = scale.refreshes.map((r) => r.peakRssMb).filter((v): v is number => v !== undefined);
  const refreshPeak = refreshPeaks.length > 0 ? Math.max(...refreshPeaks) : undefined;
  const peaks = [scale.adopt.peakRssMb, scale.noop.peakRssMb, refreshPeak].filter(
    (v): v is number => v !== undefined,
  );
  const refreshCalls = median(scale.refreshes.map((r) => r.calls));
  return {
    version: 1,
    quick: opts.quick,
    measuredAt: new Date().toISOString(),
    benchMs: Math.round(benchMs),
    machine: machineInfo(loadAtStart),
    simulator: { latencyMs: LATENCY_MS, delays: DELAYS, pageSize: PAGE_SIZE },
    rollout: {
      n,
      reps: rollouts.length,
      wallMs,
      boundMs,
      ratio: round(wallMs / boundMs, 3),
      allWallMs: rollouts.map((r) => r.wallMs),
      allRatios: rollouts.map((r) => r.ratio),
      goalRatio: 1.15,
      upMs: med((r) => r.upMs),
      callsPerPipeline: med((r) => r.calls / n),
      pollsPerPipeline: med((r) => r.polls / n),
      startGapMs: med((r) => r.startGapMs),
      detectLagMs: med((r) => r.detectLagMs),
      handoffMs: med((r) => r.handoffMs),
      coldGapMs: med((r) => r.coldGapMs),
      headMs: med((r) => r.headMs),
      tailMs: med((r) => r.tailMs),
      orgBusyRefusals: med((r) => r.orgBusyRefusals),
      runs: rollouts,
    },
    refresh: {
      n: opts.scaleN,
      reps: scale.refreshes.length,
      calls: refreshCalls,
      boundCalls: scale.refreshBoundCalls,
      ratio: round(refreshCalls / scale.refreshBoundCalls, 2),
      goalRatio: 2,
      allCalls: scale.refreshes.map((r) => r.calls),
      directReadCalls: median(scale.directReadCalls),
      allDirectReadCalls: scale.directReadCalls,
      listingCalls: median(scale.refreshes.map((r) => r.listingCalls)),
      underLoad: {
        workers: LOAD_WORKERS,
        calls: median(scale.refreshesUnderLoad.map((r) => r.calls)),
        allCalls: scale.refreshesUnderLoad.map((r) => r.calls),
        wallMs: round(median(scale.refreshesUnderLoad.map((r) => r.wallMs))),
      },
      wallMs: round(median(scale.refreshes.map((r) => r.wallMs))),
      byEndpoint: scale.refreshes[0]?.byEndpoint ?? {},
    },
    noop: {
      n: scale.noop.n,
      calls: scale.noop.calls,
      mutations: scale.noop.mutations,
      wallMs: scale.noop.wallMs,
      hostCalls: scale.noop.hostCalls,
    },
    adopt: {
      n: scale.adopt.n,
      calls: scale.adopt.calls,
      callsPerPipeline: round(scale.adopt.calls / scale.adopt.n, 2),
      mutations: scale.adopt.mutations,
      wallMs: scale.adopt.wallMs,
      byEndpoint: scale.adopt.byEndpoint,
    },
    flows: {
      n: flows.n,
      callsPerFlow: flows.callsPerFlow,
      calls: flows.calls,
      mutations: flows.mutations,
      wallMs: flows.wallMs,
      byEndpoint: flows.byEndpoint,
    },
    host: {
      providerBytes: { pipeline: rollouts[0]?.providerBytes ?? 0, flow: flows.providerBytes },
      goalProviderBytes: 2048,
      startMs: hostMed((h) => h.startToFirstCheckMs),
      goalStartMs: 1000,
      spawnMs: hostMed((h) => h.spawnMs),
      configureMs: hostMed((h) => h.configureMs),
      firstCheckMs: hostMed((h) => h.firstCheckMs),
      checkMs: hostMed((h) => h.checkMs),
      diffMs: hostMed((h) => h.diffMs),
      runs: hostRuns,
    },
    hostStart: {
      oursMs: round(median(extra.hostPairs.map((p) => p.oursMs))),
      trivialMs: round(median(extra.hostPairs.map((p) => p.trivialMs))),
      ratio: round(median(extra.hostPairs.map((p) => p.oursMs / p.trivialMs)), 3),
      runs: extra.hostPairs,
    },
    healthGate: extra.healthGate,
    cli: extra.cli ?? null,
    memory: {
      n: opts.scaleN,
      peakRssMb: peaks.length > 0 ? Math.max(...peaks) : null,
      oneResourceRssMb: floorRssMb.length > 0 ? round(median(floorRssMb)) : null,
      byVerb: {
        adopt: scale.adopt.peakRssMb ?? null,
        noop: scale.noop.peakRssMb ?? null,
        refresh: refreshPeak ?? null,
      },
    },
  };
}

function table(r: Results): string {
  const rows: [string, string, string][] = [
    ["figure", "measured", "bound / goal"],
    [
      `rollout ${r.rollout.n} (apply, median of ${r.rollout.reps})`,
      `${r.rollout.wallMs} ms = ×${r.rollout.ratio}`,
      `${r.rollout.boundMs} ms; ≤ ×${r.rollout.goalRatio}`,
    ],
    ["  runs (apply ms)", r.rollout.runs.map((x) => x.wallMs).join(", "), ""],
    ["  whole up (program + host + apply)", `${r.rollout.upMs} ms`, ""],
    ["  EnOS calls / pipeline", `${r.rollout.callsPerPipeline}`, ""],
    ["  of which polls (listings) / pipeline", `${r.rollout.pollsPerPipeline}`, ""],
    [
      "  per start (mean): gap = delay + detect + hand-off",
      `${r.rollout.startGapMs} = ${DELAYS.start} + ${r.rollout.detectLagMs} + ${r.rollout.handoffMs} ms`,
      `${DELAYS.start} + 0 + ${LATENCY_MS} ms`,
    ],
    [
      "  first gap (nothing learnt) / head / tail",
      `${r.rollout.coldGapMs} / ${r.rollout.headMs} / ${r.rollout.tailMs} ms`,
      "",
    ],
    ["  61121 refusals", `${r.rollout.orgBusyRefusals}`, "0"],
    [
      `refresh ${r.refresh.n}: EnOS calls`,
      `${r.refresh.calls} (${r.refresh.listingCalls} listing pages; runs ${r.refresh.allCalls.join(", ")})`,
      `${r.refresh.boundCalls}; ≤ ×${r.refresh.goalRatio}`,
    ],
    [
      `  the same with ${r.refresh.underLoad.workers} busy loops beside it`,
      `${r.refresh.underLoad.calls} (runs ${r.refresh.underLoad.allCalls.join(", ")})`,
      `${r.refresh.calls}`,
    ],
    [
      `  ${r.refresh.n} Reads sent straight to a host`,
      `${r.refresh.directReadCalls} (runs ${r.refresh.allDirectReadCalls.join(", ")})`,
      "",
    ],
    [`no-op up ${r.noop.n}: mutations / calls`, `${r.noop.mutations} / ${r.noop.calls}`, "0 / –"],
    [`adopt ${r.adopt.n} running: calls / pipeline`, `${r.adopt.callsPerPipeline}`, ""],
    [`flows ${r.flows.n} toggled: calls / flow`, `${r.flows.callsPerFlow}`, ""],
    [
      "__provider bytes: pipeline / flow",
      `${r.host.providerBytes.pipeline} / ${r.host.providerBytes.flow}`,
      `≤ ${r.host.goalProviderBytes}`,
    ],
    ["host start → first Check", `${r.host.startMs} ms`, `≤ ${r.host.goalStartMs} ms`],
    [
      "  spawn / Configure / first Check",
      `${r.host.spawnMs} / ${r.host.configureMs} / ${r.host.firstCheckMs} ms`,
      "",
    ],
    ["Check / Diff per call (median)", `${r.host.checkMs} / ${r.host.diffMs} ms`, ""],
    [
      `host peak RSS, ${r.memory.n} resources (1 resource)`,
      `${r.memory.peakRssMb ?? "n/a"} MB (${r.memory.oneResourceRssMb ?? "n/a"} MB)`,
      "",
    ],
  ];
  rows.push([
    "host start, ours / trivial provider",
    `${r.hostStart.oursMs} / ${r.hostStart.trivialMs} ms = ×${r.hostStart.ratio}`,
    "",
  ]);
  rows.push([
    `health gate (${r.healthGate.n} starts, stableFor ${r.healthGate.stableFor}): EnOS calls per gated start`,
    `${r.healthGate.extraCallsPerGatedStart} more (${r.healthGate.offsetLagCallsPerGatedStart} offset-lag reads)`,
    "",
  ]);
  const c = r.cli;
  if (c) {
    rows.push(
      [
        `real CLI ${c.cli.version}: pulumi up, rollout ${c.rollout.n}`,
        `apply ${c.rollout.applyMs} ms = ×${c.rollout.ratio}; whole up ${c.rollout.upMs} ms`,
        `${c.rollout.boundMs} ms`,
      ],
      ...(["noopUp", "preview", "refresh"] as const).map((verb): [string, string, string] => [
        `  ${{ noopUp: "no-op pulumi up", preview: "pulumi preview", refresh: "pulumi refresh" }[verb]} ${c.scale.n}: ours / trivial`,
        `${c.scale.ours[verb].wallMs} / ${c.scale.trivial[verb].wallMs} ms = ×${c.scale.ratio[verb]} (${c.scale.ours[verb].calls} EnOS calls)`,
        verb === "refresh" ? "" : `≤ ×${c.scale.goalRatio}`,
      ]),
      [
        `  pulumi refresh ${c.scale.n} with ${c.scale.refreshUnderLoad.workers} busy loops beside it`,
        `${c.scale.refreshUnderLoad.calls} EnOS calls (runs ${c.scale.refreshUnderLoad.allCalls.join(", ")})`,
        `${c.scale.ours.refresh.calls}`,
      ],
      [
        `  2 orgs × ${c.orgs.perOrg}: both / slower alone`,
        `${c.orgs.bothMs} / ${Math.max(...c.orgs.aloneMs)} ms = ×${c.orgs.ratio}`,
        `≤ ×${c.orgs.goalRatio}`,
      ],
    );
  }
  const width = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => cell.padEnd(width[i] ?? 0))
      .join("  ")
      .trimEnd();
  const m = r.machine;
  return [
    line(rows[0] ?? ["", "", ""]),
    width.map((w) => "-".repeat(w)).join("  "),
    ...rows.slice(1).map(line),
    "",
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.totalMemoryMb} MB, node ${m.node}, load ${m.loadAverage.start.join(" ")} → ${m.loadAverage.end.join(" ")}`,
    "",
  ].join("\n");
}

main().catch((error: unknown) => {
  killHosts();
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
