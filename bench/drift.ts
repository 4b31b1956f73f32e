// `pulumi-enos drift` over two stacks against what a user would otherwise run: `pulumi preview --refresh` of each
// stack, one after the other. Both through the real CLI in the same user's project, interleaved per repetition.
import { execFile } from "node:child_process";
import * as path from "node:path";
import type { PulumiCli } from "../tools/pulumi-cli/locate.js";
import { promotionProgram, UserProject, type CliResult } from "../tools/pulumi-cli/project.js";
import { median, round } from "./stats.js";
import { benchSeed, credentials, pipelineEntries, type BenchSimulator } from "./world.js";

export interface DriftBench {
  readonly stacks: number;
  readonly pipelinesPerStack: number;
  readonly reps: number;
  /** One `pulumi-enos drift` of both stacks (median wall time). */
  readonly driftMs: number;
  /** `pulumi preview --refresh` of one stack, then of the other (median of the pair's wall time). */
  readonly sequentialMs: number;
  /** driftMs / sequentialMs (goal ≤ 0.8). */
  readonly ratio: number;
  readonly goalRatio: number;
  readonly allDriftMs: readonly number[];
  readonly allSequentialMs: readonly number[];
  /** EnOS calls of one drift run (median), its List Pipelines calls per stack, and mutations (must be 0). */
  readonly driftCalls: number;
  readonly listingsPerStack: number;
  readonly mutations: number;
  /** EnOS calls of the two previews (median). */
  readonly sequentialCalls: number;
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** `pulumi-enos drift` in the project as a user runs it; resolves with its exit code. */
function runDrift(project: UserProject): Promise<number> {
  const bin = path.join(project.installedPackage, "dist", "provider", "import", "cli.js");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, "drift", "--format", "json"],
      { cwd: project.dir, env: project.environment, maxBuffer: 64 << 20 },
      (error, _stdout, stderr) => {
        const code = error ? error.code : 0;
        if (code === 0) resolve(0);
        else reject(new Error(`pulumi-enos drift exited ${String(code)}:\n${stderr.slice(-2000)}`));
      },
    );
  });
}

function must(what: string, result: CliResult): void {
  if (result.code !== 0)
    throw new Error(`${what} failed (exit ${String(result.code)}):\n${result.stderr.slice(-2000)}`);
}

async function twoStacks(cli: PulumiCli, sim: BenchSimulator, perStack: number): Promise<UserProject> {
  const { "enos:secretKey": secretKey = "", ...plain } = credentials(sim);
  const entries = pipelineEntries(2 * perStack);
  const project = new UserProject(cli, promotionProgram(), { name: "pulumi-enos" });
  for (const [stack, pipelines] of [
    ["dev", entries.slice(0, perStack)],
    ["prod", entries.slice(perStack)],
  ] as const) {
    await project
      .use(stack)
      .init(
        { ...plain, "pulumi-enos:pipelines": pipelines, "pulumi-enos:flows": [] },
        { "enos:secretKey": secretKey },
      );
    must(`adopt up ${stack}`, await project.up());
  }
  return project;
}

/** Wall time and the simulator's request log of `step`. */
async function measured(sim: BenchSimulator, step: () => Promise<unknown>) {
  await sim.admin.clearRequests();
  const t0 = performance.now();
  await step();
  const wallMs = round(performance.now() - t0);
  return { wallMs, log: await sim.admin.requests() };
}

export async function runDriftBench(
  cli: PulumiCli,
  sim: BenchSimulator,
  options: { readonly perStack: number; readonly reps: number },
): Promise<DriftBench> {
  const { perStack, reps } = options;
  await sim.admin.reset(benchSeed({ pipelines: 2 * perStack, pipelineStatus: "RUNNING" }));
  const project = await twoStacks(cli, sim, perStack);
  try {
    const drift: Awaited<ReturnType<typeof measured>>[] = [];
    const sequential: Awaited<ReturnType<typeof measured>>[] = [];
    const previews = async (): Promise<void> => {
      for (const stack of ["dev", "prod"])
        must(`preview --refresh ${stack}`, await project.use(stack).preview("--refresh"));
    };
    for (let rep = 0; rep < reps; rep += 1) {
      // Alternate which goes first, so a warm cache or a load change favours neither.
      const pair = rep % 2 === 0 ? [true, false] : [false, true];
      for (const isDrift of pair) {
        if (isDrift) drift.push(await measured(sim, () => runDrift(project)));
        else sequential.push(await measured(sim, previews));
      }
      say(
        `drift 2 × ${perStack} rep ${rep + 1}: drift ${drift.at(-1)?.wallMs} ms vs two previews ${sequential.at(-1)?.wallMs} ms`,
      );
    }
    const driftMs = round(median(drift.map((d) => d.wallMs)));
    const sequentialMs = round(median(sequential.map((s) => s.wallMs)));
    return {
      stacks: 2,
      pipelinesPerStack: perStack,
      reps,
      driftMs,
      sequentialMs,
      ratio: round(driftMs / sequentialMs, 3),
      goalRatio: 0.8,
      allDriftMs: drift.map((d) => d.wallMs),
      allSequentialMs: sequential.map((s) => s.wallMs),
      driftCalls: median(drift.map((d) => d.log.length)),
      listingsPerStack: median(
        drift.map((d) => d.log.filter((r) => r.endpoint === "listPipelines").length / 2),
      ),
      mutations: Math.max(...drift.map((d) => d.log.filter((r) => r.mutation).length)),
      sequentialCalls: median(sequential.map((s) => s.log.length)),
    };
  } finally {
    project.dispose();
  }
}
