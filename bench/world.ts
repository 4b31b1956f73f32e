// The benchmark's EnOS (the simulator) and its stacks (the test harness's Engine), set up the same way for
// every scenario: loopback only, port 0, fixed latency, and an org that holds exactly the benchmark's objects.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import {
  makeSeed,
  SimulatorAdmin,
  type CallCounts,
  type Delays,
  type RequestLogEntry,
  type Seed,
} from "../simulator/index.js";
import { Engine, type VerbResult } from "../test/host/engine.js";

/** The repository's own Pulumi program (built into dist/): resources come from stack config. */
export const PROGRAM = "dist/program/index.js";
export const PIPELINE_TYPE = "pulumi-nodejs:dynamic/enos:EnosPipelineDeployment";
export const FLOW_TYPE = "pulumi-nodejs:dynamic/enos:EnosFlowSchedule";
/** EnOS round trip the simulator adds to every call (the rollout setting; used everywhere). */
export const LATENCY_MS = 20;
/** The client's List Pipelines page size (EnosClient default). */
export const PAGE_SIZE = 100;
export const DELAYS: Delays = { start: 300, pause: 20, stop: 20, release: 20 };

const ORG = "o-demo";

/** A seed whose org holds only `pipelines` pipelines (all in `status`) and `flows` flows. */
export function benchSeed(options: {
  pipelines?: number;
  flows?: number;
  pipelineStatus?: "PUBLISHED" | "RUNNING";
}): Seed {
  const seed = makeSeed({
    pipelines: options.pipelines ?? 0,
    flows: options.flows ?? 0,
    pipelineStatus: options.pipelineStatus ?? "PUBLISHED",
  });
  // The default seed's demo objects would add a listing page and skew the per-object figures.
  return {
    ...seed,
    pipelines: (seed.pipelines ?? []).filter((p) => p.pipelineId.startsWith("sim-pipeline-")),
    flows: (seed.flows ?? []).filter((f) => f.flowId > 100_000),
  };
}

/** The simulator as the bench uses it: in its own process (see sim-process.ts). */
export interface BenchSimulator {
  readonly url: string;
  readonly admin: SimulatorAdmin;
  readonly pid: number;
  /** Stops the simulator process (SIGTERM, then SIGKILL after 2 s). Safe to call twice. */
  close(): Promise<void>;
}

/** Starts the simulator process with the bench's delays and latency; `seed` is loaded before it returns. */
export async function startBenchSimulator(seed: Seed): Promise<BenchSimulator> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, "sim-process.js"), JSON.stringify({ delays: DELAYS, latencyMs: LATENCY_MS })],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("the simulator process did not start");
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      resolve();
    }),
  );
  // Last line of defence: the simulator never outlives the bench.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener("exit", killOnExit);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error("the simulator process printed no URL within 20 s"));
      }, 20_000);
      readline.createInterface({ input: child.stdout }).once("line", (line) => {
        clearTimeout(timer);
        const match = /^listening (http:\/\/\S+)$/.exec(line);
        if (match?.[1]) resolve(match[1]);
        else reject(new Error(`the simulator process printed ${JSON.stringify(line)}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the simulator process exited (${String(code)}) before printing its URL`));
      });
    });
    const admin = new SimulatorAdmin(url);
    await admin.reset(seed);
    return { url, admin, pid, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Pipeline entries for the program's `pulumi-enos:pipelines` config. */
export function pipelineEntries(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const id = String(i + 1).padStart(4, "0");
    return { name: `p-${id}`, pipelineId: `sim-pipeline-${id}`, desiredState: "RUNNING" };
  });
}

/** Stack config that points the provider at `sim` with the default seed's app and user. */
export function credentials(sim: BenchSimulator): Record<string, string> {
  return {
    "enos:apiGateway": sim.url,
    "enos:accessKey": "demo-access-key",
    "enos:secretKey": "demo-secret-key",
    "enos:orgId": ORG,
    "enos:userId": "u-demo",
  };
}

/** A fresh stack (own state file) against `sim`, running the repository's program with these entries. */
export function newStack(
  sim: BenchSimulator,
  dir: string,
  stack: string,
  resources: { pipelines?: readonly unknown[]; flows?: readonly unknown[] },
): Engine {
  return new Engine({
    stateFile: path.join(dir, `${stack}.json`),
    project: "pulumi-enos",
    stack,
    config: {
      ...credentials(sim),
      "pulumi-enos:pipelines": JSON.stringify(resources.pipelines ?? []),
      "pulumi-enos:flows": JSON.stringify(resources.flows ?? []),
    },
    secretKeys: ["enos:secretKey"],
  });
}

/** A verb that reported errors is not a measurement: stop with the provider's messages. */
export function mustSucceed(verb: string, result: VerbResult): VerbResult {
  if (result.errors.length > 0) {
    const lines = result.errors.slice(0, 5).map((e) => `  ${e.phase} ${e.urn ?? ""}: ${e.message}`);
    const more = result.errors.length > 5 ? `\n  … and ${result.errors.length - 5} more` : "";
    throw new Error(
      `${verb} failed:\n${lines.join("\n")}${more}\nhost logs:\n${result.logs.slice(-20).join("\n")}`,
    );
  }
  return result;
}

/** EnOS traffic of one measured step, from the simulator's request log and counters. */
export interface Traffic {
  readonly log: RequestLogEntry[];
  readonly counts: CallCounts;
}

/** Clears the simulator's log and counters, runs `step`, and returns its EnOS traffic with the result. */
export async function measureTraffic<T>(
  sim: BenchSimulator,
  step: () => Promise<T>,
): Promise<{ result: T; traffic: Traffic }> {
  await sim.admin.clearRequests();
  const result = await step();
  const [log, counts] = await Promise.all([sim.admin.requests(), sim.admin.counts()]);
  return { result, traffic: { log, counts } };
}

/** A scratch directory for state files, removed by the caller. */
export function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-bench-"));
}
