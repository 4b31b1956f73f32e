/**
 * `pulumi up` killed with SIGKILL in the middle of a rollout of 10 pipelines, then the recovery the CLI itself
 * tells the user to run, then `pulumi up`: every pipeline RUNNING, none started twice, nothing left unknown.
 *
 * The kill is not timed: one pipeline's start is held (the simulator's `stuck` fault keeps the org's start lock,
 * as a start that takes long in EnOS does), so the rollout is certainly mid-way when the CLI dies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { cliOrSkip, diagnostics, promotionProgram, UserProject } from "./support.js";

const cli = cliOrSkip("test/cli crash");
const IDS = Array.from({ length: 10 }, (_, i) => `sim-pipeline-${String(i + 1).padStart(4, "0")}`);
const HELD = IDS[4]!;

let sim: RunningSimulator;
let project: UserProject | undefined;

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.skipIf(!cli)("real Pulumi CLI killed mid-rollout", () => {
  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      seed: makeSeed({ pipelines: 10 }),
      delays: { start: 100, pause: 30, stop: 30, release: 30 },
    });
  });

  afterAll(async () => {
    project?.dispose();
    await sim?.close();
  });

  it("SIGKILL during up, then refresh as the CLI advises, then up: converged, no second start, nothing unknown", async () => {
    if (!cli) return;
    project = new UserProject(cli, promotionProgram(), { name: "pulumi-enos" });
    await project.init(
      {
        "enos:apiGateway": sim.url,
        "enos:accessKey": "demo-access-key",
        "enos:orgId": "o-demo",
        "pulumi-enos:pipelines": IDS.map((pipelineId, i) => ({
          name: `p${i + 1}`,
          pipelineId,
          timeouts: { create: "10m" },
        })),
        "pulumi-enos:flows": [],
      },
      { "enos:secretKey": "demo-secret-key" },
    );
    await sim.admin.addFault({ kind: "stuck", match: { pipelineId: HELD, action: "start" } });

    let pid: number | undefined;
    const up = project.run(["up", "--yes", "--skip-preview"], { onSpawn: (child) => (pid = child.pid) });
    await until(async () => (await sim.admin.pipeline(HELD)).status === "STARTING", `${HELD} STARTING`);
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGKILL");
    const killed = await up;
    expect(killed.signal).toBe("SIGKILL");

    const statuses = async () => Promise.all(IDS.map(async (id) => (await sim.admin.pipeline(id)).status));
    console.log(`test/cli crash: after the kill EnOS says ${JSON.stringify(await statuses())}`);
    const crashed = await project.exportState();
    console.log(
      `test/cli crash: state after the kill: ${crashed.resources.length} resources, ${crashed.pendingOperations.length} pending operations`,
    );
    expect(crashed.pendingOperations.length).toBeGreaterThan(0);

    // EnOS finishes the held start on its own, as it would after the client went away.
    await sim.admin.clearFaults();
    await sim.admin.setPipelineStatus(HELD, "RUNNING");

    // What the CLI says next, and the recovery it names.
    const next = await project.run(["up", "--yes", "--skip-preview"]);
    const advice = next.stdout + next.stderr + diagnostics(next);
    console.log(`test/cli crash: pulumi up after the kill said:\n${advice}`);
    expect(advice).toMatch(/pending operation/);
    const recovery = await project.run(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    expect(recovery.code, recovery.stdout + recovery.stderr).toBe(0);
    expect((await project.exportState()).pendingOperations).toEqual([]);

    const converged = await project.run(["up", "--yes", "--skip-preview"]);
    expect(converged.code, converged.stdout + converged.stderr).toBe(0);
    expect(await statuses()).toEqual(IDS.map(() => "RUNNING"));
    const starts = (await sim.admin.requests()).filter((r) => r.endpoint === "startPipeline" && r.code === 0);
    for (const id of IDS)
      expect(
        starts.filter((s) => s.pipelineId === id),
        id,
      ).toHaveLength(1);
    const final = await project.exportState();
    expect(final.pendingOperations).toEqual([]);
    const pipelines = final.resources.filter((r) => r.type.endsWith(":EnosPipelineDeployment"));
    expect(pipelines).toHaveLength(10);
    for (const r of pipelines) {
      expect(r.outputs?.status, r.urn).toBe("RUNNING");
      expect(r.initErrors ?? []).toEqual([]);
    }
    expect((await project.run(["up", "--expect-no-changes", "--yes", "--skip-preview"])).code).toBe(0);
  });
});
