// What `npm run bench` writes: the figures of one run as bench/results.json records them (medians over the
// repetitions, ratios to the bound or to the trivial provider measured in the same run), and the table it prints.
import type { CliBench } from "./cli.js";
import type { DriftBench } from "./drift.js";
import type { HealthGateFigures } from "./health-gate.js";
import type { HostCostRun } from "./host-cost.js";
import { LOAD_WORKERS } from "./load.js";
import { rolloutBound, type RolloutRun } from "./rollout.js";
import type { FlowsResult, ScaleResult } from "./scale.js";
import { machineInfo, median, round } from "./stats.js";
import { DELAYS, LATENCY_MS, PAGE_SIZE } from "./world.js";

/** Spawn → first Check answered, our provider's host and the trivial one's, measured in turn. */
export interface HostStartPair {
  readonly oursMs: number;
  readonly trivialMs: number;
}

/** Everything one run measured, section by section. */
export interface Measurements {
  readonly quick: boolean;
  /** Rollout size. */
  readonly n: number;
  readonly rollouts: readonly RolloutRun[];
  /** Resources in the scale stack (adopt, no-op, refresh, memory). */
  readonly scaleN: number;
  readonly scale: ScaleResult;
  readonly flows: FlowsResult;
  readonly hostRuns: readonly HostCostRun[];
  /** Peak RSS (MB) of hosts that served one resource: the floor to read the scale stack's peak against. */
  readonly floorRssMb: readonly number[];
  readonly hostPairs: readonly HostStartPair[];
  readonly healthGate: HealthGateFigures;
  readonly cli: CliBench | undefined;
  readonly drift: DriftBench | undefined;
}

export type Results = ReturnType<typeof report>;

export function report(measured: Measurements, loadAtStart: readonly number[], benchMs: number) {
  return {
    version: 1,
    quick: measured.quick,
    measuredAt: new Date().toISOString(),
    benchMs: Math.round(benchMs),
    machine: machineInfo(loadAtStart),
    simulator: { latencyMs: LATENCY_MS, delays: DELAYS, pageSize: PAGE_SIZE },
    rollout: rolloutFigures(measured.rollouts, measured.n),
    refresh: refreshFigures(measured.scale, measured.scaleN),
    noop: noopFigures(measured.scale),
    adopt: adoptFigures(measured.scale),
    flows: flowFigures(measured.flows),
    host: hostFigures(measured),
    hostStart: hostStartFigures(measured.hostPairs),
    healthGate: measured.healthGate,
    cli: measured.cli ?? null,
    drift: measured.drift ?? null,
    memory: memoryFigures(measured),
  };
}

function rolloutFigures(rollouts: readonly RolloutRun[], n: number) {
  const boundMs = rolloutBound(n);
  const med = (pick: (r: RolloutRun) => number): number => round(median(rollouts.map(pick)), 3);
  const wallMs = med((r) => r.wallMs);
  return {
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
  };
}

function refreshFigures(scale: ScaleResult, n: number) {
  const calls = median(scale.refreshes.map((r) => r.calls));
  return {
    n,
    reps: scale.refreshes.length,
    calls,
    boundCalls: scale.refreshBoundCalls,
    ratio: round(calls / scale.refreshBoundCalls, 2),
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
  };
}

function noopFigures({ noop }: ScaleResult) {
  return {
    n: noop.n,
    calls: noop.calls,
    mutations: noop.mutations,
    wallMs: noop.wallMs,
    hostCalls: noop.hostCalls,
  };
}

function adoptFigures({ adopt }: ScaleResult) {
  return {
    n: adopt.n,
    calls: adopt.calls,
    callsPerPipeline: round(adopt.calls / adopt.n, 2),
    mutations: adopt.mutations,
    wallMs: adopt.wallMs,
    byEndpoint: adopt.byEndpoint,
  };
}

function flowFigures(flows: FlowsResult) {
  return {
    n: flows.n,
    callsPerFlow: flows.callsPerFlow,
    calls: flows.calls,
    mutations: flows.mutations,
    wallMs: flows.wallMs,
    byEndpoint: flows.byEndpoint,
  };
}

function hostFigures({ rollouts, flows, hostRuns }: Measurements) {
  const med = (pick: (h: HostCostRun) => number): number => round(median(hostRuns.map(pick)), 2);
  return {
    providerBytes: { pipeline: rollouts[0]?.providerBytes ?? 0, flow: flows.providerBytes },
    goalProviderBytes: 2048,
    startMs: med((h) => h.startToFirstCheckMs),
    goalStartMs: 1000,
    spawnMs: med((h) => h.spawnMs),
    configureMs: med((h) => h.configureMs),
    firstCheckMs: med((h) => h.firstCheckMs),
    checkMs: med((h) => h.checkMs),
    diffMs: med((h) => h.diffMs),
    runs: hostRuns,
  };
}

function hostStartFigures(pairs: readonly HostStartPair[]) {
  return {
    oursMs: round(median(pairs.map((p) => p.oursMs))),
    trivialMs: round(median(pairs.map((p) => p.trivialMs))),
    ratio: round(median(pairs.map((p) => p.oursMs / p.trivialMs)), 3),
    runs: pairs,
  };
}

function memoryFigures({ scale, scaleN, floorRssMb }: Measurements) {
  const refreshPeaks = scale.refreshes.map((r) => r.peakRssMb).filter((v): v is number => v !== undefined);
  const refreshPeak = refreshPeaks.length > 0 ? Math.max(...refreshPeaks) : undefined;
  const peaks = [scale.adopt.peakRssMb, scale.noop.peakRssMb, refreshPeak].filter(
    (v): v is number => v !== undefined,
  );
  return {
    n: scaleN,
    peakRssMb: peaks.length > 0 ? Math.max(...peaks) : null,
    oneResourceRssMb: floorRssMb.length > 0 ? round(median(floorRssMb)) : null,
    byVerb: {
      adopt: scale.adopt.peakRssMb ?? null,
      noop: scale.noop.peakRssMb ?? null,
      refresh: refreshPeak ?? null,
    },
  };
}

/** A table row: figure, measured, bound or goal. */
type Row = [string, string, string];

export function table(r: Results): string {
  const rows: Row[] = [
    ["figure", "measured", "bound / goal"],
    ...rolloutRows(r.rollout),
    ...scaleRows(r),
    ...hostRows(r),
    ...(r.cli ? cliRows(r.cli) : []),
    ...(r.drift ? driftRows(r.drift) : []),
  ];
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

function rolloutRows(rollout: Results["rollout"]): Row[] {
  return [
    [
      `rollout ${rollout.n} (apply, median of ${rollout.reps})`,
      `${rollout.wallMs} ms = ×${rollout.ratio}`,
      `${rollout.boundMs} ms; ≤ ×${rollout.goalRatio}`,
    ],
    ["  runs (apply ms)", rollout.runs.map((x) => x.wallMs).join(", "), ""],
    ["  whole up (program + host + apply)", `${rollout.upMs} ms`, ""],
    ["  EnOS calls / pipeline", `${rollout.callsPerPipeline}`, ""],
    ["  of which polls (listings) / pipeline", `${rollout.pollsPerPipeline}`, ""],
    [
      "  per start (mean): gap = delay + detect + hand-off",
      `${rollout.startGapMs} = ${DELAYS.start} + ${rollout.detectLagMs} + ${rollout.handoffMs} ms`,
      `${DELAYS.start} + 0 + ${LATENCY_MS} ms`,
    ],
    [
      "  first gap (nothing learnt) / head / tail",
      `${rollout.coldGapMs} / ${rollout.headMs} / ${rollout.tailMs} ms`,
      "",
    ],
    ["  61121 refusals", `${rollout.orgBusyRefusals}`, "0"],
  ];
}

/** Refresh, no-op up, adoption and flows over the scale stack. */
function scaleRows(r: Results): Row[] {
  return [
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
  ];
}

/** The provider host: `__provider` size, start-up, per-call cost, memory; the health gate's extra calls. */
function hostRows(r: Results): Row[] {
  return [
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
    [
      "host start, ours / trivial provider",
      `${r.hostStart.oursMs} / ${r.hostStart.trivialMs} ms = ×${r.hostStart.ratio}`,
      "",
    ],
    [
      `health gate (${r.healthGate.n} starts, stableFor ${r.healthGate.stableFor}): EnOS calls per gated start`,
      `${r.healthGate.extraCallsPerGatedStart} more (${r.healthGate.offsetLagCallsPerGatedStart} offset-lag reads)`,
      "",
    ],
  ];
}

/** The real Pulumi CLI: rollout, our provider against the trivial one per verb, two orgs side by side. */
function cliRows(c: CliBench): Row[] {
  const verbNames = { noopUp: "no-op pulumi up", preview: "pulumi preview", refresh: "pulumi refresh" };
  return [
    [
      `real CLI ${c.cli.version}: pulumi up, rollout ${c.rollout.n}`,
      `apply ${c.rollout.applyMs} ms = ×${c.rollout.ratio}; whole up ${c.rollout.upMs} ms`,
      `${c.rollout.boundMs} ms`,
    ],
    ...(["noopUp", "preview", "refresh"] as const).map((verb): Row => [
      `  ${verbNames[verb]} ${c.scale.n}: ours / trivial`,
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
  ];
}

/** `pulumi-enos drift` of two stacks against their `pulumi preview --refresh` one after the other. */
function driftRows(d: DriftBench): Row[] {
  return [
    [
      `pulumi-enos drift, ${d.stacks} stacks × ${d.pipelinesPerStack}: drift / two previews`,
      `${d.driftMs} / ${d.sequentialMs} ms = ×${d.ratio} (${d.driftCalls} EnOS calls, ${d.mutations} mutations)`,
      `≤ ×${d.goalRatio}`,
    ],
    [`  List Pipelines calls per stack in one drift run`, `${d.listingsPerStack}`, "1"],
  ];
}
