// examples/canary-rollout: what it registers (the canary's healthCheck, the others' dependsOn), and through the
// engine-boundary harness against the simulator the story its README tells: a healthy rollout, then a bad
// release that fails the canary's health check while the other pipelines are left untouched.
// Needs `npm run build` (the program runs from dist/examples/canary-rollout/index.js).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { Engine, assertOk } from "../host/engine.js";
import { runProgram } from "../host/program.js";

const PROGRAM = path.join("dist", "examples", "canary-rollout", "index.js");
const PROJECT = "enos-canary-rollout";
const CANARY = "demo-pipeline-1";
const REST = ["demo-pipeline-2", "demo-pipeline-3"];

const credentials = (gateway: string) => ({
  "enos:apiGateway": gateway,
  "enos:accessKey": "demo-access-key",
  "enos:secretKey": "demo-secret-key",
  "enos:orgId": "o-demo",
});

describe("canary-rollout", () => {
  let sim: RunningSimulator;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      seed: defaultSeed,
      delays: { start: 60, pause: 30, stop: 30, release: 30 },
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "enos-canary-"));
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("registers a gated canary and two pipelines that depend on it, one releaseTrigger for all", async () => {
    const result = await runProgram(PROGRAM, {
      project: PROJECT,
      stack: "dev",
      config: { ...credentials("http://127.0.0.1:9"), [`${PROJECT}:releaseVersion`]: "2026.11.3" },
      secretKeys: ["enos:secretKey"],
      preview: false,
    });
    const custom = result.resources.filter((r) => r.custom);
    expect(custom.map((r) => r.name)).toEqual(["ingest-canary", "ingest-2", "ingest-3"]);
    const [canary, ...rest] = custom;
    expect(canary?.inputs).toMatchObject({
      pipelineId: CANARY,
      releaseTrigger: "2026.11.3",
      healthCheck: { stableFor: "30s", maxLag: 500 },
      onUnhealthy: "PAUSE",
    });
    for (const r of rest) {
      expect(r.inputs.releaseTrigger).toBe("2026.11.3");
      expect(r.inputs.healthCheck).toBeUndefined();
      expect(r.dependencies).toContain(canary?.urn);
    }
  });

  it("a bad release fails the canary's health check; the pipelines after it are untouched", async () => {
    const stack = new Engine({
      stateFile: path.join(dir, "dev.json"),
      project: PROJECT,
      stack: "dev",
      config: {
        ...credentials(sim.url),
        [`${PROJECT}:releaseVersion`]: "2026.11.3",
        [`${PROJECT}:stableFor`]: "1s",
      },
      secretKeys: ["enos:secretKey"],
    });
    assertOk(await stack.up(PROGRAM));
    for (const id of [CANARY, ...REST]) expect((await sim.admin.pipeline(id)).status).toBe("RUNNING");
    const canaryOutputs = () =>
      stack.state().resources.find((r) => r.urn.endsWith("::ingest-canary"))?.outputs;
    expect(canaryOutputs()?.health).toMatchObject({ verdict: "HEALTHY", lag: 10 });

    // Designers save a new draft of all three; this release makes the job fall behind.
    for (const id of [CANARY, ...REST]) await sim.admin.saveDraft(id);
    await sim.admin.addFault({ kind: "lagGrowth", lagPerSecond: 5000, match: { pipelineId: CANARY } });
    const mark = (await sim.admin.requests()).at(-1)?.seq ?? 0;
    const bad = await stack.up(PROGRAM, { config: { [`${PROJECT}:releaseVersion`]: "2026.11.4" } });

    expect(bad.errors).toHaveLength(1);
    expect(bad.errors[0]?.message).toMatch(
      /demo-pipeline-1 \(org o-demo\): update: failed its health check: lag \d+ > maxLag 500 after 1s .*onUnhealthy PAUSE: the pipeline was paused\./,
    );
    const canary = await sim.admin.pipeline(CANARY);
    expect(canary).toMatchObject({ status: "PAUSED", releasedVersion: "2" });
    expect(canaryOutputs()).toMatchObject({ status: "PAUSED", health: { verdict: "UNHEALTHY" } });
    for (const id of REST) {
      expect(await sim.admin.pipeline(id)).toMatchObject({ status: "RUNNING", releasedVersion: "1" });
    }
    const touched = (await sim.admin.requests(mark)).filter((r) => r.mutation).map((r) => r.pipelineId);
    expect(new Set(touched)).toEqual(new Set([CANARY]));

    // CI retries the same release: the verdict stands in state, so the canary is not started again and fails
    // again, and Pulumi again never reaches the pipelines that depend on it.
    const retryMark = (await sim.admin.requests()).at(-1)?.seq ?? 0;
    const retried = await stack.up(PROGRAM, { config: { [`${PROJECT}:releaseVersion`]: "2026.11.4" } });
    expect(retried.errors).toHaveLength(1);
    expect(retried.errors[0]?.message).toMatch(
      /demo-pipeline-1 \(org o-demo\): update: not started: its last start with these settings failed its health check at \S+ \(lag \d+ > maxLag 500 after 1s\); the pipeline is PAUSED\. Next: .*restartTrigger/,
    );
    expect((await sim.admin.requests(retryMark)).filter((r) => r.mutation)).toEqual([]);
    expect(canaryOutputs()).toMatchObject({
      status: "PAUSED",
      health: { verdict: "UNHEALTHY", judged: { releaseTrigger: "2026.11.4" } },
    });
    for (const id of REST)
      expect(await sim.admin.pipeline(id)).toMatchObject({ status: "RUNNING", releasedVersion: "1" });
  });
});
