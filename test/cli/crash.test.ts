/**
 * `pulumi up` killed with SIGKILL in the middle of a rollout of 10 pipelines, then the recovery the CLI itself
 * tells the user to run (`pulumi cancel` for the stale lock, `pulumi refresh --clear-pending-creates` for the
 * interrupted creates), then `pulumi up`: every pipeline RUNNING, none started twice, nothing left unknown.
 *
 * The kill is not timed: one pipeline's start is held (the simulator's `stuck` fault keeps the org's start lock,
 * as a start that takes long in EnOS does), so the rollout is certainly mid-way when the CLI dies.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { cliOrSkip, promotionProgram, UserProject } from "./support.js";

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

describe.skipIf(!cli)("real Pulumi CLI killed mid-rollout", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      seed: makeSeed({ pipelines: 10 }),
      delays: { start: 100, pause: 30, stop: 30, release: 30 },
    });
  });

  afterAll(async () => {
    project?.dispose();
    await sim.close();
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
    // The file backend writes the checkpoint in place: a kill that lands during a write leaves it cut short
    // ("failed to load checkpoint: EOF"). The recovery (README) is the backup the CLI keeps beside it.
    const exported = await project.run(["stack", "export", "--stack", project.stack]);
    if (exported.code !== 0) {
      expect(exported.stderr).toMatch(/failed to load checkpoint/);
      const checkpoint = project.checkpointFile();
      console.log(
        `test/cli crash: the kill cut the checkpoint short; restoring ${path.basename(checkpoint)}.bak`,
      );
      fs.copyFileSync(`${checkpoint}.bak`, checkpoint);
    }
    const crashed = await project.exportState();
    console.log(
      `test/cli crash: state after the kill: ${crashed.resources.length} resources, ${crashed.pendingOperations.length} pending operations`,
    );
    // A checkpoint from before the kill (the backup, or one saved before the first create began) may hold no
    // pending operation; the rest of the recovery is the same either way.

    // EnOS finishes the held start on its own, as it would after the client went away.
    await sim.admin.clearFaults();
    await sim.admin.setPipelineStatus(HELD, "RUNNING");

    // What the CLI says next, and the recovery it names (README, "When pulumi is killed mid-update").
    const locked = await project.run(["up", "--yes", "--skip-preview"]);
    expect(locked.code).not.toBe(0);
    expect(locked.stdout + locked.stderr).toMatch(/the stack is currently locked.*`pulumi cancel`/s);
    const cancelled = await project.run(["cancel", "--yes", "--stack", project.stack]);
    expect(cancelled.code, cancelled.stdout + cancelled.stderr).toBe(0);
    // The killed update's creates are pending: the CLI says `pulumi refresh` clears pending operations, and that
    // pending CREATEs need it interactively; --clear-pending-creates is the non-interactive answer. Dropping an
    // interrupted create loses nothing here: the resource only adopts, and the next up adopts it again.
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
