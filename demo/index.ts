/**
 * `npm run demo`: the `dev` stack of this repository (Pulumi.dev.yaml) against a local EnOS simulator, end to end.
 *
 *   up → a pipeline is stopped out of band → preview --refresh (and `pulumi-enos drift`) show the drift →
 *   up --refresh heals it → destroy
 *
 * With the Pulumi CLI on PATH the steps run through the real CLI (Automation API, `file://` backend in a temporary
 * directory); without it, through the engine-boundary harness and the SDK's own dynamic-provider host.
 * `--harness` forces the harness; `--fault '<fault rule JSON>'` adds a simulator fault rule first (see
 * simulator/README.md), to see a failing step. Exits 1 naming the step that failed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultSeed, startSimulator, type RunningSimulator } from "../simulator/index.js";
import type { FaultRuleInput, SimulatorStateSnapshot } from "../simulator/index.js";
import {
  CliDriver,
  FLOW_TYPE,
  HarnessDriver,
  PIPELINE_TYPE,
  type Driver,
  type StateResource,
  type StepOutcome,
} from "./drivers.js";
import { demoStack, readStackConfig, type DemoPipeline, type DemoStack } from "./environment.js";
import { locatePulumiCli, type PulumiCli } from "../tools/pulumi-cli/locate.js";
import { runPromotion } from "./promotion.js";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** Transition delays: long enough to see the provider wait, short enough to keep the demo quick. */
const DELAYS = { start: 800, pause: 300, stop: 300, release: 300 };

const out = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

/** `--name=value` or `--name value`. */
function argValue(name: string): string | undefined {
  const args = process.argv.slice(2);
  const index = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (index < 0) return undefined;
  const arg = args[index] ?? "";
  return arg.includes("=") ? arg.slice(name.length + 1) : args[index + 1];
}

/** `--fault` takes what the admin API takes: `{"rules": [...]}` or one bare rule. */
function faultRules(text: string): FaultRuleInput[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`--fault must be JSON: {"rules": [<rule>, ...]} or one rule {"kind": ...}; got ${text}`);
  }
  const wrapped = value as { rules?: unknown };
  if (typeof value === "object" && value !== null && Array.isArray(wrapped.rules)) {
    return wrapped.rules as FaultRuleInput[];
  }
  return [value as FaultRuleInput];
}

class StepFailed extends Error {}

/** Short names of the EnOS calls that change something. */
const ACTIONS: Record<string, string> = {
  startPipeline: "start",
  pausePipeline: "pause",
  stopPipeline: "stop",
  releasePipeline: "release",
  resetOffset: "offset reset",
  savePipeline: "save",
  enableFlow: "enable flow",
  disableFlow: "disable flow",
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function describeOps(ops: Readonly<Record<string, number>>, planned: boolean): string {
  const words: Record<string, [string, string]> = {
    create: ["created", "to create"],
    update: ["updated", "to update"],
    replace: ["replaced", "to replace"],
    delete: ["deleted", "to delete"],
    same: ["unchanged", "unchanged"],
  };
  const parts = Object.entries(words)
    .filter(([op]) => (ops[op] ?? 0) > 0)
    .map(([op, [done, plan]]) => `${ops[op] ?? 0} ${planned ? plan : done}`);
  return parts.length > 0 ? parts.join(", ") : "no resources";
}

/** Prints the pipelines and flows as EnOS (the simulator) and the Pulumi state see them. */
function printTable(demo: DemoStack, sim: SimulatorStateSnapshot, state: readonly StateResource[]): void {
  const inState = (type: string, name: string) =>
    state.find((r) => r.type === type && r.name === name)?.outputs;
  const rows: string[][] = [["resource", "EnOS id", "in EnOS", "in Pulumi state"]];
  const text = (value: unknown): string =>
    typeof value === "string" || typeof value === "number" ? String(value) : "";
  const pipelineCell = (status: unknown, released: unknown): string =>
    `${text(status).padEnd(10)}${text(released) === "" ? "" : `v${text(released)}`}`;
  for (const p of demo.pipelines) {
    const live = sim.pipelines.find((x) => x.pipelineId === p.pipelineId);
    const saved = inState(PIPELINE_TYPE, p.name);
    rows.push([
      p.name,
      p.pipelineId,
      live ? pipelineCell(live.status, live.releasedVersion) : "(missing)",
      saved ? pipelineCell(saved.status, saved.releasedVersion) : "-",
    ]);
  }
  const schedule = (active: unknown): string => (active === true || active === 1 ? "enabled" : "disabled");
  for (const f of demo.flows) {
    const live = sim.flows.find((x) => x.flowId === f.flowId);
    const saved = inState(FLOW_TYPE, f.name);
    rows.push([
      f.name,
      `flow ${f.flowId}`,
      live ? schedule(live.active) : "(missing)",
      saved ? schedule(saved.active) : "-",
    ]);
  }
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length))) ?? [];
  for (const row of rows) {
    out(
      `    ${row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join("  ")
        .trimEnd()}`,
    );
  }
}

/** What the demo holds while it runs: released on success, failure and interruption alike. */
interface Session {
  /** Everything temporary — ours, the harness's and the Pulumi CLI's — goes under this one directory. */
  readonly workDir: string;
  sim?: RunningSimulator;
  driver?: Driver;
}

/** Where the demo is, so a failure can name the step and show where things stand. */
interface Progress {
  step: string;
  show?: () => Promise<unknown>;
}

/** What the five steps work on. */
interface DemoRun {
  readonly sim: RunningSimulator;
  readonly driver: Driver;
  readonly stack: DemoStack;
  readonly progress: Progress;
}

type Snapshot = { enos: SimulatorStateSnapshot; state: readonly StateResource[] };

/** Makes the session's directory and points TMPDIR into it, so even the Pulumi CLI's temp files land there. */
function openSession(): Session {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-demo-"));
  fs.mkdirSync(path.join(workDir, "tmp"));
  process.env.TMPDIR = path.join(workDir, "tmp");
  return { workDir };
}

/** Disposes of the driver, stops the simulator and removes the directory; safe to call more than once. */
async function closeSession(session: Session): Promise<void> {
  const { driver, sim } = session;
  session.driver = undefined;
  session.sim = undefined;
  await driver?.dispose().catch(() => undefined);
  await sim?.close().catch(() => undefined);
  fs.rmSync(session.workDir, { recursive: true, force: true });
}

/** The Pulumi CLI to use, or undefined for the harness; says so when the harness is used. */
function chooseCli(forceHarness: boolean): PulumiCli | undefined {
  const cli = forceHarness ? undefined : locatePulumiCli();
  if (forceHarness) {
    out(
      "--harness: each `pulumi` step below runs through the SDK's dynamic-provider host, driven by the test/host harness.",
    );
  } else if (!cli) {
    out(
      "Pulumi CLI not found (not on PATH, not in .pulumi-cli/bin; `npm run pulumi:install` builds it): each `pulumi` step below runs through the SDK's dynamic-provider host instead, driven by the test/host harness.",
    );
  }
  return cli;
}

/** The dev stack pointed at the simulator, with the secret key of the app Pulumi.dev.yaml names. */
function devStackFor(sim: RunningSimulator): DemoStack {
  const fileConfig = readStackConfig(REPO_ROOT, "dev");
  const accessKey = fileConfig["enos:accessKey"];
  const secretKey = defaultSeed.apps?.find((a) => a.accessKey === accessKey)?.secretKey;
  if (secretKey === undefined) {
    throw new Error(
      `Pulumi.dev.yaml's enos:accessKey (${String(accessKey)}) is not an app of the simulator's default seed`,
    );
  }
  return demoStack(fileConfig, sim.url, secretKey);
}

/** `--fault`: adds the rules to the simulator before any step runs. */
async function addFaultsFromArgs(sim: RunningSimulator): Promise<void> {
  const fault = argValue("--fault");
  if (fault === undefined) return;
  const rules = faultRules(fault);
  await sim.admin.addFaults(rules);
  out(`Fault rule${rules.length === 1 ? "" : "s"} added to the simulator: ${JSON.stringify(rules)}`);
}

async function createDriver(stack: DemoStack, cli: PulumiCli | undefined): Promise<Driver> {
  if (!cli) return HarnessDriver.create(stack);
  out(
    `Using the real Pulumi CLI ${cli.version} (${cli.bin}, from ${cli.source}) through the Automation API, with a file:// backend in a temp directory.`,
  );
  return CliDriver.create(REPO_ROOT, stack, cli);
}

async function show(run: DemoRun): Promise<Snapshot> {
  const snapshot = { enos: await run.sim.admin.state(), state: await run.driver.state() };
  printTable(run.stack, snapshot.enos, snapshot.state);
  return snapshot;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new StepFailed(what);
}

/** The accepted calls by action, in ACTIONS' order: "start ×3, enable flow ×1", or "none". */
function describeActions(accepted: readonly { endpoint: string }[]): string {
  const counts = new Map<string, number>();
  for (const r of accepted) {
    const action = ACTIONS[r.endpoint] ?? r.endpoint;
    counts.set(action, (counts.get(action) ?? 0) + 1);
  }
  const order = Object.values(ACTIONS);
  return (
    [...counts]
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([action, n]) => `${action} ×${n}`)
      .join(", ") || "none"
  );
}

/** Runs one Pulumi step, fails the demo if it failed, and prints what it did and what EnOS was asked to change. */
async function runStep(
  run: DemoRun,
  label: string,
  verb: () => Promise<StepOutcome>,
  planned = false,
): Promise<StepOutcome & { actions: number }> {
  run.progress.step = label;
  const mark = (await run.sim.admin.requests()).at(-1)?.seq ?? 0;
  const started = performance.now();
  const outcome = await verb();
  if (!outcome.ok) throw new StepFailed(outcome.error ?? "failed");
  const took = seconds(performance.now() - started);
  // What EnOS was asked to change (accepted calls only: a start refused by the org's start lock is retried).
  const accepted = (await run.sim.admin.requests(mark)).filter((r) => r.mutation && r.code === 0);
  out(
    `  ${planned ? "plan" : "done"} in ${took}: ${describeOps(outcome.ops, planned)} · EnOS actions: ${describeActions(accepted)}`,
  );
  return { ...outcome, actions: accepted.length };
}

const pipelineStatus = (snap: SimulatorStateSnapshot, id: string) =>
  snap.pipelines.find((p) => p.pipelineId === id)?.status;
const flowActive = (snap: SimulatorStateSnapshot, id: number) =>
  snap.flows.find((f) => f.flowId === id)?.active;

/** Whether EnOS shows what the stack declares (a STOPPED pipeline may also be merely released). */
function converged(stack: DemoStack, snap: SimulatorStateSnapshot): boolean {
  return (
    stack.pipelines.every((p) => {
      const status = pipelineStatus(snap, p.pipelineId);
      return status === p.desired || (p.desired === "STOPPED" && status === "PUBLISHED");
    }) && stack.flows.every((f) => flowActive(snap, f.flowId) === (f.enabled ? 1 : 0))
  );
}

async function stepUp(run: DemoRun): Promise<void> {
  out();
  out("[1/5] pulumi up: adopt the pipelines and flows, start the pipelines, enable the flows");
  await runStep(run, "pulumi up", () => run.driver.up());
  const afterUp = await show(run);
  check(converged(run.stack, afterUp.enos), "EnOS does not show the state Pulumi.dev.yaml declares");
}

/** Stops a RUNNING pipeline behind Pulumi's back; returns it. */
async function stepStopOutOfBand(run: DemoRun): Promise<DemoPipeline> {
  const victim = run.stack.pipelines.find((p) => p.desired === "RUNNING");
  if (!victim) throw new Error("Pulumi.dev.yaml declares no RUNNING pipeline to stop");
  out();
  run.progress.step = "stop out of band";
  out(`[2/5] Someone stops ${victim.pipelineId} in the EnOS console (here: the simulator's admin API)`);
  await run.sim.admin.setPipelineStatus(victim.pipelineId, "STOPPED");
  await show(run);
  out("  EnOS says STOPPED; the Pulumi state still says RUNNING until Pulumi reads EnOS again.");
  return victim;
}

async function stepPreviewRefresh(run: DemoRun, victim: DemoPipeline): Promise<void> {
  out();
  out("[3/5] pulumi preview --refresh: read EnOS, show what up would do, change nothing");
  const mutationsBefore = (await run.sim.admin.counts()).mutations;
  const preview = await runStep(run, "pulumi preview --refresh", () => run.driver.previewRefresh(), true);
  for (const message of preview.messages) out(`  provider: ${message}`);
  const mutations = (await run.sim.admin.counts()).mutations - mutationsBefore;
  await show(run);
  check(
    preview.messages.some((m) =>
      m.startsWith(`${victim.pipelineId} is STOPPED, desired RUNNING: will start`),
    ),
    `the preview did not report the drift of ${victim.pipelineId}`,
  );
  check(mutations === 0, `the preview changed EnOS (${mutations} mutating calls)`);
  await stepDriftReport(run, victim);
}

/** The same drift as `pulumi-enos drift` reports it: the Markdown table a PR comment or CI summary shows. */
async function stepDriftReport(run: DemoRun, victim: DemoPipeline): Promise<void> {
  // It drives the user's own `pulumi`: nothing to show on the harness path.
  if (!run.driver.drift) return;
  out();
  out("  pulumi-enos drift --format markdown: every stack's drift as a table, changing nothing");
  const mutationsBefore = (await run.sim.admin.counts()).mutations;
  const report = await run.driver.drift();
  for (const line of report.stdout.trimEnd().split("\n")) out(`    ${line}`);
  const mutations = (await run.sim.admin.counts()).mutations - mutationsBefore;
  check(
    report.code === 2,
    `pulumi-enos drift exited ${String(report.code)}, not 2 (drift):\n${report.stderr}`,
  );
  check(
    report.stdout.includes(`| \`${victim.pipelineId}\` | **status** |`),
    `pulumi-enos drift did not report the drift of ${victim.pipelineId}`,
  );
  check(mutations === 0, `pulumi-enos drift changed EnOS (${mutations} mutating calls)`);
}

async function stepHealDrift(run: DemoRun, victim: DemoPipeline): Promise<void> {
  out();
  out("[4/5] pulumi up --refresh: heal the drift");
  await runStep(run, "pulumi up --refresh", () => run.driver.up({ refresh: true }));
  const healed = await show(run);
  check(converged(run.stack, healed.enos), `${victim.pipelineId} was not brought back to RUNNING`);
}

/** Destroys the stack and checks each resource's onDelete against `before`, the state EnOS was adopted in. */
async function stepDestroy(run: DemoRun, before: SimulatorStateSnapshot): Promise<void> {
  const { stack } = run;
  out();
  const defaults =
    stack.pipelines.every((p) => p.onDelete === "STOP") && stack.flows.every((f) => f.onDelete === "DISABLE");
  const policy = defaults
    ? "onDelete defaults: stop the pipelines, disable the flows"
    : "each resource's onDelete";
  out(`[5/5] pulumi destroy: let go of the stack (${policy})`);
  await runStep(run, "pulumi destroy", () => run.driver.destroy());
  const after = await show(run);
  check(after.state.length === 0, "resources are left in the Pulumi state");
  checkLeftAsDeclared(stack, before, after.enos);
  out(
    "  The pipelines and flows still exist in EnOS: pulumi-enos adopts them, it never creates or deletes them.",
  );
}

/** After destroy: each pipeline and flow is where its onDelete says. */
function checkLeftAsDeclared(
  stack: DemoStack,
  before: SimulatorStateSnapshot,
  after: SimulatorStateSnapshot,
): void {
  for (const p of stack.pipelines) {
    const expected = { STOP: "STOPPED", PAUSE: "PAUSED", KEEP: p.desired }[p.onDelete];
    check(
      pipelineStatus(after, p.pipelineId) === expected,
      `${p.pipelineId} is not ${expected} after destroy`,
    );
  }
  for (const f of stack.flows) {
    const adopted = flowActive(before, f.flowId);
    const expected = { DISABLE: 0, KEEP: f.enabled ? 1 : 0, RESTORE: adopted }[f.onDelete];
    check(flowActive(after, f.flowId) === expected, `flow ${f.flowId} has the wrong schedule after destroy`);
  }
}

/** Start-up, then the five steps; throws naming what went wrong (progress.step says where). */
async function runDemo(session: Session, progress: Progress): Promise<void> {
  out(
    "pulumi-enos demo: the `dev` stack of this repository (Pulumi.dev.yaml) against a local EnOS simulator",
  );
  const cli = chooseCli(process.argv.includes("--harness"));
  const sim = await startSimulator({ port: 0, seed: defaultSeed, delays: DELAYS });
  session.sim = sim;
  const stack = devStackFor(sim);
  out(
    `EnOS simulator (default seed) at ${sim.url}; a start takes ${seconds(DELAYS.start)}, pause/stop/release ${seconds(DELAYS.stop)}.`,
  );
  out(
    `Stack dev: ${stack.pipelines.length} pipelines, ${stack.flows.length} flows; enos:apiGateway set to the simulator, enos:secretKey set as a secret.`,
  );
  await addFaultsFromArgs(sim);
  progress.step = "set up the stack";
  const driver = await createDriver(stack, cli);
  session.driver = driver;
  const run: DemoRun = { sim, driver, stack, progress };
  progress.show = () => show(run);

  out();
  out("Before: the pipelines are released but not running, one flow is disabled; the stack is empty.");
  const before = await show(run);
  await stepUp(run);
  const victim = await stepStopOutOfBand(run);
  await stepPreviewRefresh(run, victim);
  await stepHealDrift(run, victim);
  await stepDestroy(run, before.enos);
  await stepPromotion(session, progress, cli);
}

/** After the five steps: staging → prod promotion, gated on staging's health verdict (docs/promotion.md). */
async function stepPromotion(
  session: Session,
  progress: Progress,
  cli: PulumiCli | undefined,
): Promise<void> {
  out();
  if (!cli) {
    out(
      "[promotion] staging → prod: skipped here, the gate reads stacks through stack references (real CLI only).",
    );
    return;
  }
  out("[promotion] staging → prod: prod takes only a release staging ran healthy (docs/promotion.md)");
  progress.step = "promotion";
  progress.show = undefined;
  await runPromotion(REPO_ROOT, session.workDir, cli, out);
}

async function reportFailure(error: unknown, progress: Progress): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  out();
  out(`DEMO FAILED at step "${progress.step}":`);
  for (const line of message.split("\n")) out(`  ${line}`);
  if (progress.show) {
    out("  Where things stand:");
    await progress.show().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const session = openSession();
  const progress: Progress = { step: "start-up" };
  const interrupted = (): void => {
    out("\nInterrupted: cleaning up.");
    void closeSession(session).finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    await runDemo(session, progress);
    await closeSession(session);
    out();
    out(
      `Demo complete: all 5 steps succeeded in ${seconds(performance.now() - t0)}; simulator stopped, temp files removed.`,
    );
    return 0;
  } catch (error) {
    await reportFailure(error, progress);
    await closeSession(session);
    out("Simulator stopped, temp files removed.");
    return 1;
  } finally {
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
    await closeSession(session);
  }
}

void main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
