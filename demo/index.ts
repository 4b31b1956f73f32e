/**
 * `npm run demo`: the `dev` stack of this repository (Pulumi.dev.yaml) against a local EnOS simulator, end to end.
 *
 *   up → a pipeline is stopped out of band → preview --refresh shows the drift → up --refresh heals it → destroy
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
import { demoStack, readStackConfig, type DemoStack } from "./environment.js";
import { locatePulumiCli } from "../tools/pulumi-cli/locate.js";

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

async function main(): Promise<number> {
  const forceHarness = process.argv.includes("--harness");
  const t0 = performance.now();
  let sim: RunningSimulator | undefined;
  let driver: Driver | undefined;
  let stepName = "start-up";
  let showOnFailure: (() => Promise<unknown>) | undefined;
  // Everything temporary — ours, the harness's and the Pulumi CLI's — goes under one directory, removed at the end
  // even when a step is interrupted half way.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-demo-"));
  fs.mkdirSync(path.join(workDir, "tmp"));
  process.env.TMPDIR = path.join(workDir, "tmp");
  const cleanup = async (): Promise<void> => {
    const d = driver;
    const s = sim;
    driver = undefined;
    sim = undefined;
    await d?.dispose().catch(() => undefined);
    await s?.close().catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  const interrupted = (): void => {
    out("\nInterrupted: cleaning up.");
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  try {
    out(
      "pulumi-enos demo: the `dev` stack of this repository (Pulumi.dev.yaml) against a local EnOS simulator",
    );
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

    sim = await startSimulator({ port: 0, seed: defaultSeed, delays: DELAYS });
    const fileConfig = readStackConfig(REPO_ROOT, "dev");
    const accessKey = fileConfig["enos:accessKey"];
    const secretKey = defaultSeed.apps?.find((a) => a.accessKey === accessKey)?.secretKey;
    if (secretKey === undefined) {
      throw new Error(
        `Pulumi.dev.yaml's enos:accessKey (${String(accessKey)}) is not an app of the simulator's default seed`,
      );
    }
    const demo = demoStack(fileConfig, sim.url, secretKey);
    out(
      `EnOS simulator (default seed) at ${sim.url}; a start takes ${seconds(DELAYS.start)}, pause/stop/release ${seconds(DELAYS.stop)}.`,
    );
    out(
      `Stack dev: ${demo.pipelines.length} pipelines, ${demo.flows.length} flows; enos:apiGateway set to the simulator, enos:secretKey set as a secret.`,
    );
    const fault = argValue("--fault");
    if (fault !== undefined) {
      const rules = faultRules(fault);
      await sim.admin.addFaults(rules);
      out(`Fault rule${rules.length === 1 ? "" : "s"} added to the simulator: ${JSON.stringify(rules)}`);
    }
    stepName = "set up the stack";
    if (cli) {
      out(
        `Using the real Pulumi CLI ${cli.version} (${cli.bin}, from ${cli.source}) through the Automation API, with a file:// backend in a temp directory.`,
      );
    }
    driver = cli ? await CliDriver.create(REPO_ROOT, demo, cli) : HarnessDriver.create(demo);
    const d = driver;
    const s = sim;

    const show = async (): Promise<{ enos: SimulatorStateSnapshot; state: readonly StateResource[] }> => {
      const snapshot = { enos: await s.admin.state(), state: await d.state() };
      printTable(demo, snapshot.enos, snapshot.state);
      return snapshot;
    };
    showOnFailure = show;
    const check = (ok: boolean, what: string): void => {
      if (!ok) throw new StepFailed(what);
    };
    const run = async (
      label: string,
      verb: () => Promise<StepOutcome>,
      planned = false,
    ): Promise<StepOutcome & { actions: number }> => {
      stepName = label;
      const mark = (await s.admin.requests()).at(-1)?.seq ?? 0;
      const started = performance.now();
      const outcome = await verb();
      if (!outcome.ok) throw new StepFailed(outcome.error ?? "failed");
      const took = seconds(performance.now() - started);
      // What EnOS was asked to change (accepted calls only: a start refused by the org's start lock is retried).
      const accepted = (await s.admin.requests(mark)).filter((r) => r.mutation && r.code === 0);
      const counts = new Map<string, number>();
      for (const r of accepted) {
        const action = ACTIONS[r.endpoint] ?? r.endpoint;
        counts.set(action, (counts.get(action) ?? 0) + 1);
      }
      const order = Object.values(ACTIONS);
      const actions =
        [...counts]
          .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
          .map(([action, n]) => `${action} ×${n}`)
          .join(", ") || "none";
      out(
        `  ${planned ? "plan" : "done"} in ${took}: ${describeOps(outcome.ops, planned)} · EnOS actions: ${actions}`,
      );
      return { ...outcome, actions: accepted.length };
    };
    const pipelineStatus = (snap: SimulatorStateSnapshot, id: string) =>
      snap.pipelines.find((p) => p.pipelineId === id)?.status;
    const flowActive = (snap: SimulatorStateSnapshot, id: number) =>
      snap.flows.find((f) => f.flowId === id)?.active;
    const converged = (snap: SimulatorStateSnapshot): boolean =>
      demo.pipelines.every((p) => {
        const status = pipelineStatus(snap, p.pipelineId);
        return status === p.desired || (p.desired === "STOPPED" && status === "PUBLISHED");
      }) && demo.flows.every((f) => flowActive(snap, f.flowId) === (f.enabled ? 1 : 0));

    out();
    out("Before: the pipelines are released but not running, one flow is disabled; the stack is empty.");
    const before = await show();

    out();
    out("[1/5] pulumi up: adopt the pipelines and flows, start the pipelines, enable the flows");
    await run("pulumi up", () => d.up());
    const afterUp = await show();
    check(converged(afterUp.enos), "EnOS does not show the state Pulumi.dev.yaml declares");

    const victim = demo.pipelines.find((p) => p.desired === "RUNNING");
    if (!victim) throw new Error("Pulumi.dev.yaml declares no RUNNING pipeline to stop");
    out();
    stepName = "stop out of band";
    out(`[2/5] Someone stops ${victim.pipelineId} in the EnOS console (here: the simulator's admin API)`);
    await s.admin.setPipelineStatus(victim.pipelineId, "STOPPED");
    await show();
    out("  EnOS says STOPPED; the Pulumi state still says RUNNING until Pulumi reads EnOS again.");

    out();
    out("[3/5] pulumi preview --refresh: read EnOS, show what up would do, change nothing");
    const mutationsBefore = (await s.admin.counts()).mutations;
    const preview = await run("pulumi preview --refresh", () => d.previewRefresh(), true);
    for (const message of preview.messages) out(`  provider: ${message}`);
    const mutations = (await s.admin.counts()).mutations - mutationsBefore;
    await show();
    check(
      preview.messages.some((m) =>
        m.startsWith(`${victim.pipelineId} is STOPPED, desired RUNNING: will start`),
      ),
      `the preview did not report the drift of ${victim.pipelineId}`,
    );
    check(mutations === 0, `the preview changed EnOS (${mutations} mutating calls)`);

    out();
    out("[4/5] pulumi up --refresh: heal the drift");
    await run("pulumi up --refresh", () => d.up({ refresh: true }));
    const healed = await show();
    check(converged(healed.enos), `${victim.pipelineId} was not brought back to RUNNING`);

    out();
    const defaults =
      demo.pipelines.every((p) => p.onDelete === "STOP") && demo.flows.every((f) => f.onDelete === "DISABLE");
    const policy = defaults
      ? "onDelete defaults: stop the pipelines, disable the flows"
      : "each resource's onDelete";
    out(`[5/5] pulumi destroy: let go of the stack (${policy})`);
    await run("pulumi destroy", () => d.destroy());
    const after = await show();
    check(after.state.length === 0, "resources are left in the Pulumi state");
    for (const p of demo.pipelines) {
      const expected = { STOP: "STOPPED", PAUSE: "PAUSED", KEEP: p.desired }[p.onDelete];
      check(
        pipelineStatus(after.enos, p.pipelineId) === expected,
        `${p.pipelineId} is not ${expected} after destroy`,
      );
    }
    for (const f of demo.flows) {
      const adopted = flowActive(before.enos, f.flowId);
      const expected = { DISABLE: 0, KEEP: f.enabled ? 1 : 0, RESTORE: adopted }[f.onDelete];
      check(
        flowActive(after.enos, f.flowId) === expected,
        `flow ${f.flowId} has the wrong schedule after destroy`,
      );
    }
    out(
      "  The pipelines and flows still exist in EnOS: pulumi-enos adopts them, it never creates or deletes them.",
    );

    await cleanup();
    out();
    out(
      `Demo complete: all 5 steps succeeded in ${seconds(performance.now() - t0)}; simulator stopped, temp files removed.`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    out();
    out(`DEMO FAILED at step "${stepName}":`);
    for (const line of message.split("\n")) out(`  ${line}`);
    if (showOnFailure) {
      out("  Where things stand:");
      await showOnFailure().catch(() => undefined);
    }
    await cleanup();
    out("Simulator stopped, temp files removed.");
    return 1;
  } finally {
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
    await cleanup();
  }
}

void main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
