/**
 * The real Pulumi CLI, driven through the Automation API, on stories 1, 2 and 5 of the engine-boundary suite.
 * Runs only where `pulumi` is on PATH (it cannot be installed on our build machines); elsewhere the whole suite
 * is reported as skipped, with the reason printed once.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { startSimulator, type RunningSimulator } from "../../simulator/index.js";

const REPO = resolve(__dirname, "../..");
const cli = spawnSync("pulumi", ["version"], { encoding: "utf8" });
const hasCli = cli.status === 0;
if (!hasCli) {
  console.log(
    "test/cli SKIPPED: the Pulumi CLI is not on PATH, so the real-CLI stories (promotion, drift preview, destroy) did not run. Install pulumi to run them.",
  );
}

const pipelines = [
  { name: "ingest", pipelineId: "demo-pipeline-1", kafkaRate: 1000, onDelete: "STOP" },
  {
    name: "enrich",
    pipelineId: "demo-pipeline-2",
    kafkaRate: 500,
    resourceConfig: { server: 2 },
    onDelete: "PAUSE",
  },
  { name: "kpis", pipelineId: "demo-pipeline-3", kafkaRate: 2000, onDelete: "KEEP" },
];
const flows = [
  { name: "nightly", flowId: 3377, enabled: true },
  { name: "hourly", flowId: 3378, enabled: true, onDelete: "KEEP" },
];

describe.skipIf(!hasCli)("real Pulumi CLI (Automation API)", () => {
  let sim: RunningSimulator;
  let project: string;
  let stack: Stack;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
    // A user's project: pulumi-enos installed as a dependency, the root program as its main.
    project = mkdtempSync(join(tmpdir(), "pulumi-enos-cli-"));
    mkdirSync(join(project, "node_modules"));
    mkdirSync(join(project, "state"));
    symlinkSync(REPO, join(project, "node_modules", "pulumi-enos"), "dir");
    symlinkSync(join(REPO, "node_modules", "@pulumi"), join(project, "node_modules", "@pulumi"), "dir");
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "cli-story", private: true }));
    writeFileSync(
      join(project, "index.js"),
      `module.exports = require(${JSON.stringify(join(REPO, "dist/program/index.js"))});\n`,
    );
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "dev", workDir: project },
      {
        projectSettings: {
          name: "pulumi-enos",
          runtime: { name: "nodejs", options: { typescript: false } },
          main: "index.js",
        },
        envVars: {
          PULUMI_BACKEND_URL: `file://${join(project, "state")}`,
          PULUMI_CONFIG_PASSPHRASE: "cli-story",
        },
        secretsProvider: "passphrase",
      },
    );
    await stack.setAllConfig({
      "enos:apiGateway": { value: sim.url },
      "enos:accessKey": { value: "demo-access-key" },
      "enos:secretKey": { value: "demo-secret-key", secret: true },
      "enos:orgId": { value: "o-demo" },
      "enos:userId": { value: "u-demo" },
      "pulumi-enos:pipelines": { value: JSON.stringify(pipelines) },
      "pulumi-enos:flows": { value: JSON.stringify(flows) },
    });
  }, 300_000);

  afterAll(async () => {
    await sim.close();
    rmSync(project, { recursive: true, force: true });
  });

  it("story 1: promotion brings pipelines to RUNNING and flows to enabled, then updates in place", async () => {
    const first = await stack.up();
    expect(first.summary.result).toBe("succeeded");
    const state = await sim.admin.state();
    for (const p of pipelines)
      expect(state.pipelines.find((x) => x.pipelineId === p.pipelineId)?.status).toBe("RUNNING");
    for (const fl of flows) expect(state.flows.find((x) => x.flowId === fl.flowId)?.active).toBe(1);
    await stack.setConfig("pulumi-enos:pipelines", {
      value: JSON.stringify(pipelines.map((p) => ({ ...p, kafkaRate: p.kafkaRate * 2 }))),
    });
    const second = await stack.up();
    expect(second.summary.resourceChanges?.update).toBe(3);
    expect(second.summary.resourceChanges?.create ?? 0).toBe(0);
    await stack.setConfig("pulumi-enos:pipelines", { value: JSON.stringify(pipelines) });
    await stack.up();
  }, 300_000);

  it("story 2: drift shows in preview --refresh, up heals it, a second up mutates nothing", async () => {
    await sim.admin.setPipelineStatus("demo-pipeline-1", "STOPPED");
    await sim.admin.setFlow(3377, { active: 0 });
    const before = (await sim.admin.requests()).filter((r) => r.mutation).length;
    const preview = await stack.preview({ refresh: true });
    expect(preview.changeSummary.update).toBe(2);
    expect(preview.stdout).toContain("demo-pipeline-1 is STOPPED, desired RUNNING: will start");
    expect((await sim.admin.requests()).filter((r) => r.mutation).length).toBe(before);
    await stack.up({ refresh: true });
    const mark = (await sim.admin.requests()).length;
    const again = await stack.up();
    expect(again.summary.resourceChanges?.update ?? 0).toBe(0);
    expect((await sim.admin.requests()).slice(mark).filter((r) => r.mutation)).toEqual([]);
  }, 300_000);

  it("story 5: destroy honours each onDelete", async () => {
    await stack.destroy();
    const state = await sim.admin.state();
    const status = (id: string) => state.pipelines.find((x) => x.pipelineId === id)?.status;
    expect(status("demo-pipeline-1")).toBe("STOPPED");
    expect(status("demo-pipeline-2")).toBe("PAUSED");
    expect(status("demo-pipeline-3")).toBe("RUNNING");
    expect(state.flows.find((x) => x.flowId === 3377)?.active).toBe(0);
    expect(state.flows.find((x) => x.flowId === 3378)?.active).toBe(1);
  }, 300_000);
});
