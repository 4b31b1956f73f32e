// Shared fixture of the reliability suite: one simulator per test file (reset before every test), stacks driven
// through the engine-boundary harness (real dynamic-provider host), and small readers for the three things every
// row asserts: the final EnOS state, the final Pulumi state and the EnOS calls the run made.
// Needs `npm run build` (the host loads pulumi-enos from dist/).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import {
  defaultSeed,
  startSimulator,
  type Delays,
  type RequestLogEntry,
  type RunningSimulator,
  type Seed,
  type SimulatorStateSnapshot,
} from "../../simulator/index.js";
import {
  Engine,
  type EngineOptions,
  type ResourceState,
  type StackState,
  type VerbResult,
} from "../host/engine.js";
import { liveHostPids } from "../host/host.js";

/** The root promotion program: pipelines and flows come from stack config. */
export const PROGRAM = "dist/program/index.js";
export const ACCESS_KEY = "demo-access-key";
export const SECRET_KEY = "demo-secret-key";
export const ORG = "o-demo";
export const USER = "u-demo";
export const P1 = "demo-pipeline-1";
export const P2 = "demo-pipeline-2";
export const P3 = "demo-pipeline-3";

/** Short transitions: long enough to see STARTING/PAUSING, short enough to keep the suite fast. */
export const FAST_DELAYS: Delays = { start: 60, pause: 30, stop: 30, release: 30 };

export type Entry = Record<string, unknown>;

export interface Suite {
  readonly sim: RunningSimulator;
  /** Temporary directory of this file's state files. */
  readonly dir: string;
  /** A new stack (own state file, own host per verb) with the simulator's credentials and `config` on top. */
  stack(config?: Record<string, string>, options?: Partial<EngineOptions>): Engine;
}

/**
 * One simulator for the file, reset to `seed` (and its delays) before every test; state files in a temp dir;
 * after every test no host may be left running.
 */
export function useSuite(seed: Seed = defaultSeed, delays: Delays = FAST_DELAYS): Suite {
  let sim: RunningSimulator | undefined;
  let dir: string | undefined;
  let stacks = 0;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, host: "127.0.0.1", seed, delays });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "enos-reliability-"));
  });
  beforeEach(async (context) => {
    // Back to the seed: state, tokens, faults, request log and config (the delays given at start).
    await sim!.admin.reset(seed);
    context.onTestFinished(() => {
      expect(liveHostPids()).toEqual([]);
    });
  });
  afterAll(async () => {
    await sim?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get sim() {
      if (!sim) throw new Error("simulator not started");
      return sim;
    },
    get dir() {
      if (!dir) throw new Error("suite not started");
      return dir;
    },
    stack(config = {}, options = {}) {
      const name = `rel${++stacks}`;
      return new Engine({
        stateFile: path.join(dir!, `${name}-${process.pid}.json`),
        project: "pulumi-enos",
        stack: name,
        config: { ...credentials(sim!), ...config },
        secretKeys: ["enos:secretKey"],
        ...options,
      });
    },
  };
}

/** Stack config that points the provider at the simulator. */
export function credentials(sim: RunningSimulator): Record<string, string> {
  return {
    "enos:apiGateway": sim.url,
    "enos:accessKey": ACCESS_KEY,
    "enos:secretKey": SECRET_KEY,
    "enos:orgId": ORG,
    "enos:userId": USER,
  };
}

/** Config of the root program: the environment's pipelines and flows. */
export function environment(pipelines: Entry[], flows: Entry[] = []): Record<string, string> {
  return { "pulumi-enos:pipelines": JSON.stringify(pipelines), "pulumi-enos:flows": JSON.stringify(flows) };
}

/** The live (not pending-delete) state entry of the resource named `name`. */
export function resourceNamed(engine: Engine, name: string): ResourceState | undefined {
  return engine.state().resources.find((r) => r.urn.endsWith(`::${name}`) && !r.delete);
}

/** Outputs of `name` in the state file ({} when it is not in state). */
export function outputsOf(engine: Engine, name: string): Record<string, unknown> {
  return resourceNamed(engine, name)?.outputs ?? {};
}

/** Names of the resources in the state file, sorted. */
export function stateNames(engine: Engine): string[] {
  return engine
    .state()
    .resources.map((r) => r.urn.split("::").pop() ?? "")
    .sort();
}

/** Every error message of a verb, one per line. */
export function errorText(result: VerbResult): string {
  return result.errors.map((e) => e.message).join("\n");
}

/** Fails with every error and the host log when the verb reported any error. */
export function expectOk(result: VerbResult): VerbResult {
  if (result.errors.length > 0) {
    throw new Error(
      `expected no errors, got:\n${result.errors.map((e) => `${e.phase} ${e.urn ?? ""}: ${e.message}`).join("\n")}\nhost logs:\n${result.logs.join("\n")}`,
    );
  }
  return result;
}

/** `op name` of each step that changed something (`op name (failed)` when it failed), sorted. */
export function changes(result: VerbResult): string[] {
  return result.steps
    .filter((s) => s.op !== "same" && !(s.op === "refresh" && s.detail === "same"))
    .map((s) => `${s.op} ${s.urn.split("::").pop() ?? ""}${s.ok ? "" : " (failed)"}`)
    .sort();
}

/** The EnOS request log since `since` (exclusive). */
export async function callsSince(sim: RunningSimulator, since = 0): Promise<RequestLogEntry[]> {
  return sim.admin.requests(since);
}

/** The sequence number of the last logged EnOS request (0 when none). */
export async function mark(sim: RunningSimulator): Promise<number> {
  return (await sim.admin.requests()).at(-1)?.seq ?? 0;
}

/** What a logged call got: its EnOS code, `reset` for a dropped connection, or `http<status>` without a code. */
export function outcome(e: RequestLogEntry): string {
  if (e.httpStatus === 0) return "reset";
  return e.code === null ? `http${e.httpStatus}` : String(e.code);
}

/** Mutating calls as `endpoint pipelineId|flowId outcome`, in order. */
export function mutations(entries: readonly RequestLogEntry[]): string[] {
  return entries
    .filter((e) => e.mutation)
    .map((e) => `${e.endpoint} ${e.pipelineId ?? String(e.flowId ?? "")} ${outcome(e)}`);
}

/** How many logged calls hit `endpoint` (optionally only those answered with `code`; 0 = HTTP reset). */
export function count(entries: readonly RequestLogEntry[], endpoint: string, code?: number | null): number {
  return entries.filter((e) => e.endpoint === endpoint && (code === undefined || e.code === code)).length;
}

/** Live EnOS status of each pipeline, by id. */
export async function statuses(sim: RunningSimulator, ...ids: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of ids) out[id] = (await sim.admin.pipeline(id)).status;
  return out;
}

/**
 * Poll `probe` every 10 ms until it returns true; rejects after `timeoutMs`, a budget, not a timing assertion.
 * The default stays under the test timeout (120 s) but is long: on a loaded 2-core machine a host can take
 * 20 s and more to start and reach its first EnOS call.
 */
export async function until(probe: () => Promise<boolean>, timeoutMs = 100_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Everything one run left behind, captured at once so several rows can assert on one shared run. */
export interface RunSnapshot {
  readonly result: VerbResult;
  readonly enos: SimulatorStateSnapshot;
  readonly calls: readonly RequestLogEntry[];
  readonly state: StackState;
}

export async function snapshot(
  sim: RunningSimulator,
  engine: Engine,
  result: VerbResult,
): Promise<RunSnapshot> {
  return { result, enos: await sim.admin.state(), calls: await sim.admin.requests(), state: engine.state() };
}

/** A pipeline in a snapshot's EnOS state. */
export function pipelineIn(snap: RunSnapshot, id: string) {
  const found = snap.enos.pipelines.find((p) => p.pipelineId === id);
  if (!found) throw new Error(`no pipeline ${id} in the snapshot`);
  return found;
}

/** The state entry named `name` in a snapshot. */
export function stateEntry(snap: RunSnapshot, name: string): ResourceState | undefined {
  return snap.state.resources.find((r) => r.urn.endsWith(`::${name}`) && !r.delete);
}
