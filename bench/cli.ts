// The same figures through the real Pulumi CLI, and the engine's own floor beside them: the same commands on
// trivial dynamic resources whose provider does nothing, so our overhead over the engine is a ratio measured in
// one run. Every project is a user's project with the packed package installed (tools/pulumi-cli/project.ts).
import type { PulumiCli } from "../tools/pulumi-cli/locate.js";
import { promotionProgram, UserProject, type CliResult } from "../tools/pulumi-cli/project.js";
import type { Seed } from "../simulator/index.js";
import { LOAD_WORKERS, underLoad } from "./load.js";
import { median, round } from "./stats.js";
import { benchSeed, credentials, DELAYS, LATENCY_MS, pipelineEntries, type BenchSimulator } from "./world.js";

/** 200 (or `count`) dynamic resources whose provider answers without doing anything. */
export const TRIVIAL_PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const provider = {
  async create(inputs) { return { id: inputs.name, outs: inputs }; },
  async diff() { return { changes: false }; },
  async read(id, props) { return { id, props }; },
  async delete() {},
};
class Trivial extends pulumi.dynamic.Resource {
  constructor(name, args) { super(provider, name, args, undefined, "bench", "Trivial"); }
}
const count = Number(new pulumi.Config("trivial").require("count"));
for (let i = 0; i < count; i++) new Trivial("t-" + String(i + 1).padStart(4, "0"), { name: "t-" + i });
`;

/** Wall time of one command, and the EnOS traffic it caused. */
export interface CliVerb {
  readonly wallMs: number;
  readonly calls: number;
  readonly mutations: number;
}

export interface CliBench {
  readonly cli: { readonly version: string; readonly source: string };
  readonly rollout: {
    readonly n: number;
    readonly boundMs: number;
    /** First EnOS call → last start done (its arrival + the start delay): what the harness's `wallMs` measures. */
    readonly applyMs: number;
    readonly ratio: number;
    /** The whole `pulumi up` command: CLI start, language host, program, provider host, apply. */
    readonly upMs: number;
    readonly callsPerPipeline: number;
  };
  readonly scale: {
    readonly n: number;
    readonly reps: number;
    readonly ours: Readonly<Record<"noopUp" | "preview" | "refresh", CliVerb>>;
    readonly trivial: Readonly<Record<"noopUp" | "preview" | "refresh", CliVerb>>;
    /** ours / trivial wall time, per command (goal ≤ 1.5 for no-op up and preview). */
    readonly ratio: Readonly<Record<"noopUp" | "preview" | "refresh", number>>;
    readonly goalRatio: number;
    /** `pulumi refresh` of ours again, `reps` times, with `workers` busy loops beside it: calls must not grow. */
    readonly refreshUnderLoad: {
      readonly workers: number;
      readonly calls: number;
      readonly allCalls: readonly number[];
    };
  };
  readonly orgs: {
    readonly perOrg: number;
    /** Apply windows (as `rollout.applyMs`) of each org alone and of both in one `pulumi up`. */
    readonly aloneMs: readonly [number, number];
    readonly bothMs: number;
    /** both / the slower org alone (goal ≤ 1.1: the orgs run in parallel). */
    readonly ratio: number;
    readonly goalRatio: number;
  };
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function must(what: string, result: CliResult): CliResult {
  if (result.code !== 0)
    throw new Error(
      `${what} failed (exit ${String(result.code)}):\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}`,
    );
  return result;
}

async function ourProject(
  cli: PulumiCli,
  sim: BenchSimulator,
  pipelines: readonly unknown[],
): Promise<UserProject> {
  // The bench's stack config, the secret key set as a secret, as a user would.
  const { "enos:secretKey": secretKey = "", ...plain } = credentials(sim);
  const project = new UserProject(cli, promotionProgram(), { name: "pulumi-enos" });
  await project.init(
    { ...plain, "pulumi-enos:pipelines": pipelines, "pulumi-enos:flows": [] },
    { "enos:secretKey": secretKey },
  );
  return project;
}

/** Runs `step` with the simulator's log cleared; returns its wall time and EnOS traffic. */
async function timed(
  sim: BenchSimulator,
  what: string,
  step: () => Promise<CliResult>,
): Promise<CliVerb & { log: Awaited<ReturnType<BenchSimulator["admin"]["requests"]>> }> {
  await sim.admin.clearRequests();
  const t0 = performance.now();
  must(what, await step());
  const wallMs = round(performance.now() - t0);
  const log = await sim.admin.requests();
  return { wallMs, calls: log.length, mutations: log.filter((r) => r.mutation).length, log };
}

/** First EnOS call → the last accepted start done, from the simulator's own clock. */
function applyWindow(log: readonly { at: number; endpoint: string; code: number | null }[]): number {
  const starts = log.filter((r) => r.endpoint === "startPipeline" && r.code === 0);
  const first = log[0]?.at;
  const last = starts.at(-1)?.at;
  if (first === undefined || last === undefined) throw new Error("no accepted start in the log");
  return last + DELAYS.start - first;
}

async function rollout(cli: PulumiCli, sim: BenchSimulator, n: number): Promise<CliBench["rollout"]> {
  await sim.admin.reset(benchSeed({ pipelines: n, pipelineStatus: "PUBLISHED" }));
  const project = await ourProject(cli, sim, pipelineEntries(n));
  try {
    const up = await timed(sim, "cli rollout up", () => project.up());
    const applyMs = applyWindow(up.log);
    const boundMs = n * DELAYS.start + LATENCY_MS;
    return {
      n,
      boundMs,
      applyMs,
      ratio: round(applyMs / boundMs, 3),
      upMs: up.wallMs,
      callsPerPipeline: round(up.calls / n, 2),
    };
  } finally {
    project.dispose();
  }
}

type Verbs = Record<"noopUp" | "preview" | "refresh", CliVerb>;

/** One no-op `pulumi up`, `pulumi preview` and `pulumi refresh` of `project`. */
async function verbs(sim: BenchSimulator, project: UserProject): Promise<Verbs> {
  const strip = ({ wallMs, calls, mutations }: CliVerb): CliVerb => ({ wallMs, calls, mutations });
  return {
    noopUp: strip(await timed(sim, "no-op up", () => project.up("--expect-no-changes"))),
    preview: strip(await timed(sim, "preview", () => project.preview("--expect-no-changes"))),
    refresh: strip(await timed(sim, "refresh", () => project.refresh())),
  };
}

/** Medians of wall time and calls over `runs`; the most mutations any run made. */
function medians(runs: readonly Verbs[]): Verbs {
  const pick = (verb: keyof Verbs): CliVerb => ({
    wallMs: round(median(runs.map((r) => r[verb].wallMs))),
    calls: median(runs.map((r) => r[verb].calls)),
    mutations: Math.max(...runs.map((r) => r[verb].mutations)),
  });
  return { noopUp: pick("noopUp"), preview: pick("preview"), refresh: pick("refresh") };
}

async function scale(
  cli: PulumiCli,
  sim: BenchSimulator,
  n: number,
  reps: number,
): Promise<CliBench["scale"]> {
  await sim.admin.reset(benchSeed({ pipelines: n, pipelineStatus: "RUNNING" }));
  const ours = await ourProject(cli, sim, pipelineEntries(n));
  const trivial = new UserProject(cli, { "index.js": TRIVIAL_PROGRAM }, { name: "trivial" });
  try {
    await trivial.init({ "trivial:count": String(n) });
    must("adopt up", await ours.up());
    must("trivial up", await trivial.up());
    // Side by side, interleaved per repetition, so load changes hit both alike.
    const oursRuns: Verbs[] = [];
    const trivialRuns: Verbs[] = [];
    for (let rep = 0; rep < reps; rep += 1) {
      const o = await verbs(sim, ours);
      const t = await verbs(sim, trivial);
      oursRuns.push(o);
      trivialRuns.push(t);
      say(
        `cli scale ${n} rep ${rep + 1} (ours vs trivial): no-op up ${o.noopUp.wallMs} vs ${t.noopUp.wallMs} ms, ` +
          `preview ${o.preview.wallMs} vs ${t.preview.wallMs} ms, refresh ${o.refresh.wallMs} vs ${t.refresh.wallMs} ms`,
      );
    }
    const loadedCalls: number[] = [];
    for (let rep = 0; rep < reps; rep += 1)
      loadedCalls.push((await underLoad(() => timed(sim, "refresh under load", () => ours.refresh()))).calls);
    say(`cli refresh ${n} with ${LOAD_WORKERS} busy loops: ${loadedCalls.join(", ")} EnOS calls`);
    const o = medians(oursRuns);
    const t = medians(trivialRuns);
    const ratio = (verb: keyof Verbs): number => round(o[verb].wallMs / t[verb].wallMs, 3);
    return {
      n,
      reps,
      ours: o,
      trivial: t,
      ratio: { noopUp: ratio("noopUp"), preview: ratio("preview"), refresh: ratio("refresh") },
      goalRatio: 1.5,
      refreshUnderLoad: { workers: LOAD_WORKERS, calls: median(loadedCalls), allCalls: loadedCalls },
    };
  } finally {
    ours.dispose();
    trivial.dispose();
  }
}

/** Two orgs of `perOrg` PUBLISHED pipelines each, one app allowed in both. */
function twoOrgSeed(perOrg: number): Seed {
  const base = benchSeed({});
  const pipelines = ["a", "b"].flatMap((org) =>
    Array.from({ length: perOrg }, (_, i) => ({
      pipelineId: `${org}-pipeline-${String(i + 1).padStart(4, "0")}`,
      orgId: `o-${org}`,
      status: "PUBLISHED" as const,
      draftVersion: "1",
    })),
  );
  return {
    ...base,
    orgs: ["a", "b"].map((org) => ({
      orgId: `o-${org}`,
      name: `Org ${org}`,
      quotas: { standalone: 32 + 4 * perOrg },
    })),
    apps: [{ accessKey: "demo-access-key", secretKey: "demo-secret-key" }],
    users: [],
    pipelines,
    flows: [],
  };
}

export async function orgs(cli: PulumiCli, sim: BenchSimulator, perOrg: number): Promise<CliBench["orgs"]> {
  const entries = (org: string) =>
    Array.from({ length: perOrg }, (_, i) => {
      const id = `${org}-pipeline-${String(i + 1).padStart(4, "0")}`;
      return { name: id, pipelineId: id, orgId: `o-${org}` };
    });
  const applyOf = async (pipelines: readonly unknown[]): Promise<number> => {
    await sim.admin.reset(twoOrgSeed(perOrg));
    const project = await ourProject(cli, sim, pipelines);
    try {
      return applyWindow((await timed(sim, "two-org up", () => project.up())).log);
    } finally {
      project.dispose();
    }
  };
  const a = await applyOf(entries("a"));
  const b = await applyOf(entries("b"));
  const both = await applyOf([...entries("a"), ...entries("b")]);
  return { perOrg, aloneMs: [a, b], bothMs: both, ratio: round(both / Math.max(a, b), 3), goalRatio: 1.1 };
}

/** Everything in the `cli` section of bench/results.json. */
export async function runCliBench(
  cli: PulumiCli,
  sim: BenchSimulator,
  options: { readonly n: number; readonly scaleN: number; readonly reps: number; readonly perOrg: number },
): Promise<CliBench> {
  const r = await rollout(cli, sim, options.n);
  say(`cli rollout ${options.n}: apply ${r.applyMs} ms (×${r.ratio} of bound), whole pulumi up ${r.upMs} ms`);
  const s = await scale(cli, sim, options.scaleN, options.reps);
  const o = await orgs(cli, sim, options.perOrg);
  say(`cli 2 orgs × ${options.perOrg}: alone ${o.aloneMs.join(" / ")} ms, both ${o.bothMs} ms (×${o.ratio})`);
  return { cli: { version: cli.version, source: cli.source }, rollout: r, scale: s, orgs: o };
}
