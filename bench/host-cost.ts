// What the dynamic-provider host itself costs: start to first answered Check, and the per-call overhead of
// Check and Diff once it is warm (no EnOS call is involved in either).
import { ProviderHost, REPO_ROOT, type Props } from "../test/host/host.js";
import { runProgram, type Program } from "../test/host/program.js";
import { median, quantile, round } from "./stats.js";
import { PIPELINE_TYPE, PROGRAM } from "./world.js";

export interface HostCostRun {
  /** Spawn → gRPC port printed. */
  readonly spawnMs: number;
  readonly configureMs: number;
  /** The first Check (loads the provider implementation from the package). */
  readonly firstCheckMs: number;
  /** Spawn → first Check answered: what a user waits before the first resource is checked. */
  readonly startToFirstCheckMs: number;
  readonly checkMs: number;
  readonly checkP90Ms: number;
  readonly diffMs: number;
  readonly diffP90Ms: number;
}

const CALLS = 200;

/** The one pipeline the repository's program registers for a one-pipeline stack. */
async function registeredPipeline(config: Record<string, string>) {
  const program = await runProgram(PROGRAM, {
    project: "pulumi-enos",
    stack: "host-cost",
    config: {
      ...config,
      "pulumi-enos:pipelines": JSON.stringify([{ name: "p-0001", pipelineId: "sim-pipeline-0001" }]),
      "pulumi-enos:flows": "[]",
    },
    preview: false,
  });
  const registered = program.resources.find((r) => r.type === PIPELINE_TYPE);
  if (!registered) throw new Error("host cost: the program registered no pipeline");
  return registered;
}

/** Milliseconds of each of CALLS calls made one after the other. */
async function timeCalls(call: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i += 1) {
    const s = performance.now();
    await call();
    times.push(performance.now() - s);
  }
  return times;
}

/** One host: start, Configure, first Check, then CALLS sequential Checks and Diffs of a pipeline. */
export async function runHostCost(config: Record<string, string>): Promise<HostCostRun> {
  const registered = await registeredPipeline(config);

  const t0 = performance.now();
  const host = await ProviderHost.start({ cwd: REPO_ROOT, env: { PULUMI_CONFIG: JSON.stringify(config) } });
  try {
    const spawnMs = performance.now() - t0;
    const c0 = performance.now();
    await host.configure(config);
    const configureMs = performance.now() - c0;
    const k0 = performance.now();
    const first = await host.check(registered.urn, {}, registered.inputs);
    const firstCheckMs = performance.now() - k0;
    const startToFirstCheckMs = performance.now() - t0;
    if (first.failures.length > 0)
      throw new Error(`host cost: check failed: ${JSON.stringify(first.failures)}`);

    const checks = await timeCalls(async () => {
      await host.check(registered.urn, first.inputs, registered.inputs);
    });
    // Olds as state would hold them after a create that found the pipeline RUNNING: Diff reports no change.
    const olds: Props = {
      ...first.inputs,
      status: "RUNNING",
      pipelineName: "sim-pipeline-0001",
      schemaVersion: 1,
    };
    const diffs = await timeCalls(async () => {
      const diff = await host.diff(registered.urn, "sim-pipeline-0001", olds, first.inputs, first.inputs);
      if (diff.changes === "some") throw new Error("host cost: the no-change Diff reported changes");
    });
    return {
      spawnMs: round(spawnMs),
      configureMs: round(configureMs),
      firstCheckMs: round(firstCheckMs),
      startToFirstCheckMs: round(startToFirstCheckMs),
      checkMs: round(median(checks), 2),
      checkP90Ms: round(quantile(checks, 0.9), 2),
      diffMs: round(median(diffs), 2),
      diffP90Ms: round(quantile(diffs, 0.9), 2),
    };
  } finally {
    await host.close();
  }
}

/** Spawn → first Check answered, for our pipeline resource and for the bench's trivial resource, in turn. */
export async function runHostStartPair(
  config: Record<string, string>,
  trivialSource: string,
): Promise<{ readonly oursMs: number; readonly trivialMs: number }> {
  const subjects: { program: Program; type: string; config: Record<string, string> }[] = [
    {
      program: PROGRAM,
      type: PIPELINE_TYPE,
      config: {
        ...config,
        "pulumi-enos:pipelines": JSON.stringify([{ name: "p-0001", pipelineId: "sim-pipeline-0001" }]),
        "pulumi-enos:flows": "[]",
      },
    },
    {
      program: { source: trivialSource, name: "trivial" },
      type: "pulumi-nodejs:dynamic/bench:Trivial",
      config: { "trivial:count": "1" },
    },
  ];
  const times: number[] = [];
  for (const subject of subjects) {
    const run = await runProgram(subject.program, {
      project: "pulumi-enos",
      stack: "host-start",
      config: subject.config,
      preview: false,
    });
    const registered = run.resources.find((r) => r.type === subject.type);
    if (!registered) throw new Error(`host start: the program registered no ${subject.type}`);
    const t0 = performance.now();
    const host = await ProviderHost.start({
      cwd: REPO_ROOT,
      env: { PULUMI_CONFIG: JSON.stringify(subject.config) },
    });
    try {
      await host.configure(subject.config);
      const first = await host.check(registered.urn, {}, registered.inputs);
      if (first.failures.length > 0)
        throw new Error(`host start: check failed: ${JSON.stringify(first.failures)}`);
      times.push(round(performance.now() - t0));
    } finally {
      await host.close();
    }
  }
  return { oursMs: times[0] ?? NaN, trivialMs: times[1] ?? NaN };
}
