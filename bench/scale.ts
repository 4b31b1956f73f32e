// Many resources in one host: adopting N running pipelines, a no-op `up`, a refresh, and the host's memory;
// and N flows whose schedule is toggled.
import type { Engine } from "../test/host/engine.js";
import { ProviderHost, REPO_ROOT } from "../test/host/host.js";
import { take, type HostMemory } from "./instrument.js";
import { underLoad } from "./load.js";
import { round } from "./stats.js";
import {
  benchSeed,
  FLOW_TYPE,
  measureTraffic,
  mustSucceed,
  newStack,
  PAGE_SIZE,
  pipelineEntries,
  PROGRAM,
  type Traffic,
  type BenchSimulator,
} from "./world.js";

type RefreshFigures = VerbFigures & { readonly listingCalls: number };

/** EnOS traffic and cost of one verb over the N-resource stack. */
export interface VerbFigures {
  readonly n: number;
  readonly wallMs: number;
  readonly calls: number;
  readonly mutations: number;
  readonly byEndpoint: Readonly<Record<string, number>>;
  readonly hostCalls: Readonly<Record<string, number>>;
  readonly peakRssMb: number | undefined;
}

export interface ScaleResult {
  readonly adopt: VerbFigures;
  readonly noop: VerbFigures;
  /** One entry per refresh (each in its own host, as `pulumi refresh` runs). */
  readonly refreshes: readonly RefreshFigures[];
  /** The same refreshes with the CPUs busy (bench/load.ts): the calls must not grow with load. */
  readonly refreshesUnderLoad: readonly RefreshFigures[];
  /** EnOS calls of N concurrent Read RPCs sent straight to a fresh host, once per refresh repetition. */
  readonly directReadCalls: readonly number[];
  readonly refreshBoundCalls: number;
}

function figures(
  n: number,
  wallMs: number,
  traffic: Traffic,
  hostCalls: Record<string, number>,
): VerbFigures {
  const { memory } = take();
  return {
    n,
    wallMs: round(wallMs),
    calls: traffic.counts.total,
    mutations: traffic.counts.mutations,
    byEndpoint: traffic.counts.byEndpoint,
    hostCalls,
    peakRssMb: peakMb(memory),
  };
}

function peakMb(memory: readonly HostMemory[]): number | undefined {
  if (memory.length === 0) return undefined;
  return round(Math.max(...memory.map((m) => m.peakRssKb)) / 1024);
}

function countCalls(calls: readonly { method: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[c.method] = (out[c.method] ?? 0) + 1;
  return out;
}

/** Adopt N RUNNING pipelines, `up` again with nothing changed, then refresh; one host per verb, as Pulumi does. */
export async function runScale(
  sim: BenchSimulator,
  dir: string,
  n: number,
  refreshReps: number,
): Promise<ScaleResult> {
  await sim.admin.reset(benchSeed({ pipelines: n, pipelineStatus: "RUNNING" }));
  const engine = newStack(sim, dir, `scale-${n}`, { pipelines: pipelineEntries(n) });
  take();

  const adopted = await measureTraffic(sim, () => engine.up(PROGRAM));
  mustSucceed("adopt up", adopted.result);
  const adopt = figures(
    n,
    adopted.result.timings.totalMs,
    adopted.traffic,
    countCalls(adopted.result.timings.calls),
  );

  const second = await measureTraffic(sim, () => engine.up(PROGRAM));
  mustSucceed("no-op up", second.result);
  const changed = second.result.steps.filter((s) => s.op !== "same");
  if (changed.length > 0)
    throw new Error(`no-op up changed ${changed.length} resources, e.g. ${changed[0]?.urn ?? ""}`);
  const noop = figures(
    n,
    second.result.timings.totalMs,
    second.traffic,
    countCalls(second.result.timings.calls),
  );

  const refreshes: RefreshFigures[] = [];
  for (let rep = 0; rep < refreshReps; rep += 1) refreshes.push(await refresh(sim, engine, n));
  const refreshesUnderLoad: RefreshFigures[] = [];
  for (let rep = 0; rep < refreshReps; rep += 1)
    refreshesUnderLoad.push(await underLoad(() => refresh(sim, engine, n)));
  const direct: number[] = [];
  for (let rep = 0; rep < refreshReps; rep += 1) direct.push(await directReads(sim, engine));
  return {
    adopt,
    noop,
    refreshes,
    refreshesUnderLoad,
    directReadCalls: direct,
    refreshBoundCalls: Math.ceil(n / PAGE_SIZE),
  };
}

/** One refresh of the adopted stack, in its own host; nothing may have drifted. */
async function refresh(sim: BenchSimulator, engine: Engine, n: number): Promise<RefreshFigures> {
  const refreshed = await measureTraffic(sim, () => engine.refresh());
  mustSucceed("refresh", refreshed.result);
  const drifted = refreshed.result.steps.filter((s) => s.detail !== "same");
  if (drifted.length > 0) throw new Error(`refresh saw drift on ${drifted.length} resources`);
  return {
    ...figures(
      n,
      refreshed.result.timings.totalMs,
      refreshed.traffic,
      countCalls(refreshed.result.timings.calls),
    ),
    listingCalls: refreshed.traffic.counts.byEndpoint.listPipelines ?? 0,
  };
}

/**
 * The refresh's Read RPCs without the rest of the harness: all N sent at once to a fresh host. Engine.refresh
 * checkpoints the whole state file after every Read in the bench's own process; on a loaded machine that
 * stalls the sending of the later Reads (HTTP/2 flow control needs this process to run), so they can reach
 * the host after the shared listing has finished. This is the figure without that stall, as the Go engine
 * sends them; both are reported.
 */
async function directReads(sim: BenchSimulator, engine: Engine): Promise<number> {
  const state = engine.state();
  const config = engine.getConfig();
  const host = await ProviderHost.start({ cwd: REPO_ROOT, env: { PULUMI_CONFIG: JSON.stringify(config) } });
  try {
    await host.configure(config);
    const { result: reads, traffic } = await measureTraffic(sim, () =>
      Promise.all(state.resources.map((r) => host.read(r.urn, r.id, r.outputs, r.inputs))),
    );
    const gone = reads.filter((r) => r.id === "").length;
    if (gone > 0) throw new Error(`direct reads: ${gone} resources reported gone`);
    return traffic.counts.total;
  } finally {
    await host.close();
    take();
  }
}

export interface FlowsResult {
  readonly n: number;
  readonly wallMs: number;
  readonly calls: number;
  readonly callsPerFlow: number;
  readonly mutations: number;
  readonly byEndpoint: Readonly<Record<string, number>>;
  readonly providerBytes: number;
}

/** N flows, half active and half not, each adopted with the opposite schedule state: every flow is toggled. */
export async function runFlows(sim: BenchSimulator, dir: string, n: number): Promise<FlowsResult> {
  const seed = benchSeed({ flows: n });
  await sim.admin.reset(seed);
  const flows = (seed.flows ?? []).map((f) => ({
    name: `f-${f.flowId}`,
    flowId: f.flowId,
    enabled: f.active !== 1,
  }));
  const engine = newStack(sim, dir, `flows-${n}`, { flows });
  take();
  const { result: up, traffic } = await measureTraffic(sim, () => engine.up(PROGRAM));
  mustSucceed("flows up", up);
  take();
  const state = await sim.admin.state();
  const wanted = new Map(flows.map((f) => [f.flowId, f.enabled ? 1 : 0]));
  const toggled = state.flows.filter((f) => wanted.get(f.flowId) === f.active).length;
  if (toggled !== n) throw new Error(`flows: ${toggled} of ${n} flows reached the wanted state`);
  return {
    n,
    wallMs: round(up.timings.totalMs),
    calls: traffic.counts.total,
    callsPerFlow: round(traffic.counts.total / n, 2),
    mutations: traffic.counts.mutations,
    byEndpoint: traffic.counts.byEndpoint,
    providerBytes: up.providerBytes[FLOW_TYPE] ?? 0,
  };
}
