// User stories through the engine boundary: the root promotion program and small programs, run by the
// harness's Engine against the SDK's real dynamic-provider host, with the simulator as EnOS.
// Needs `npm run build` (the host loads pulumi-enos from dist/, as it would from node_modules).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEV_FLOWS, DEV_PIPELINES, type Entry } from "../fixtures/dev-stack.js";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { Engine, assertOk, summarize, type VerbResult } from "./engine.js";
import { REPO_ROOT } from "./host.js";

const PROGRAM = "dist/program/index.js";
const SECRET = "demo-secret-key";
const PIPELINE_TYPE = "pulumi-nodejs:dynamic/enos:EnosPipelineDeployment";
const FLOW_TYPE = "pulumi-nodejs:dynamic/enos:EnosFlowSchedule";

let sim: RunningSimulator;
let dir: string;
let stackCounter = 0;
const callsPerStory: Record<string, number> = {};
const results: VerbResult[] = [];

function credentials(): Record<string, string> {
  return {
    "enos:apiGateway": sim.url,
    "enos:accessKey": "demo-access-key",
    "enos:secretKey": SECRET,
    "enos:orgId": "o-demo",
    "enos:userId": "u-demo",
  };
}

function environment(pipelines: readonly Entry[], flows: readonly Entry[] = []): Record<string, string> {
  return { "pulumi-enos:pipelines": JSON.stringify(pipelines), "pulumi-enos:flows": JSON.stringify(flows) };
}

function newStack(config: Record<string, string>, cwd?: string): Engine {
  const stack = `story${++stackCounter}`;
  return new Engine({
    stateFile: path.join(dir, `${stack}.json`),
    project: "pulumi-enos",
    stack,
    config: { ...credentials(), ...config },
    secretKeys: ["enos:secretKey"],
    ...(cwd ? { cwd } : {}),
  });
}

/** Run a verb, keep its result for the summary, and fail the test on any error. */
async function ok(verb: Promise<VerbResult>): Promise<VerbResult> {
  const result = await verb;
  results.push(result);
  return assertOk(result);
}

const mutations = async (since = 0) =>
  (await sim.admin.requests()).filter((r) => r.mutation && r.seq > since);
const lastSeq = async () => (await sim.admin.requests()).at(-1)?.seq ?? 0;
const pipeline = (id: string) => sim.admin.pipeline(id);
const flowActive = async (id: number) => (await sim.admin.state()).flows.find((f) => f.flowId === id)?.active;
const outputs = (engine: Engine, name: string) =>
  engine.state().resources.find((r) => r.urn.endsWith(`::${name}`))?.outputs ?? {};
const ops = (r: VerbResult) =>
  r.steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${s.urn.split("::").pop() ?? ""}`)
    .sort();

beforeAll(async () => {
  sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "enos-stories-"));
});

beforeEach(async (context) => {
  await sim.admin.reset(defaultSeed);
  await sim.admin.clearFaults();
  const story = context.task.name;
  const mark = await lastSeq();
  context.onTestFinished(async () => {
    callsPerStory[story] = (await sim.admin.requests()).filter((r) => r.seq > mark).length;
  });
});

afterAll(async () => {
  const summary = summarize(results);
  console.log(
    `engine-boundary stories: __provider bytes ${JSON.stringify(summary.providerBytes)}; EnOS calls per story ${JSON.stringify(callsPerStory)}; host calls ${JSON.stringify(summary.hostCalls)}`,
  );
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("engine-boundary stories", () => {
  it("1: promotion brings dev up, then staging options update in place", async () => {
    const stack = newStack(environment(DEV_PIPELINES, DEV_FLOWS));
    const up = await ok(stack.up(PROGRAM));
    expect(ops(up)).toEqual(
      [
        "create enrich",
        "create hourly",
        "create ingest",
        "create kpis",
        "create nightly",
        "create pulumi-enos-story1".replace(/story1$/, `story${stackCounter}`),
      ].filter((o) => !o.startsWith("create pulumi-enos")),
    );
    for (const id of ["demo-pipeline-1", "demo-pipeline-2", "demo-pipeline-3"]) {
      expect((await pipeline(id)).status).toBe("RUNNING");
    }
    expect((await pipeline("demo-pipeline-3")).lastStartBody).toMatchObject({
      executionMode: 1,
      kafkaRate: 2000,
      resourceConfig: { yarn: { workerCount: 2, master: 1, slave: 2 } },
    });
    expect(await flowActive(3377)).toBe(1);
    expect(await flowActive(3378)).toBe(1);
    expect(outputs(stack, "ingest")).toMatchObject({ status: "RUNNING", releasedVersion: "1" });

    // __provider is small, holds no credential, and is the same for every resource of a type.
    for (const [type, bytes] of Object.entries(up.providerBytes)) {
      expect([PIPELINE_TYPE, FLOW_TYPE]).toContain(type);
      expect(bytes).toBeLessThanOrEqual(2048);
    }
    for (const r of up.resources) {
      const provider = String(r.inputs.__provider);
      expect(provider).not.toContain(SECRET);
      expect(provider).not.toContain(sim.url);
      expect(provider).not.toContain("demo-access-key");
    }

    const staging = DEV_PIPELINES.map((p) => ({ ...p, kafkaRate: (p.kafkaRate as number) * 4 }));
    const mark = await lastSeq();
    const promoted = await ok(stack.up(PROGRAM, { config: environment(staging, DEV_FLOWS) }));
    expect(ops(promoted)).toEqual(["update enrich", "update ingest", "update kpis"]);
    const restarted = (await mutations(mark)).map((m) => `${m.endpoint} ${m.pipelineId ?? ""}`).sort();
    expect(restarted).toEqual([
      "pausePipeline demo-pipeline-1",
      "pausePipeline demo-pipeline-2",
      "pausePipeline demo-pipeline-3",
      "startPipeline demo-pipeline-1",
      "startPipeline demo-pipeline-2",
      "startPipeline demo-pipeline-3",
    ]);
    expect((await pipeline("demo-pipeline-1")).lastStartBody).toMatchObject({ kafkaRate: 4000 });
    expect(outputs(stack, "ingest")).toMatchObject({ status: "RUNNING", kafkaRate: 4000 });
  });

  it("2: drift shows in refresh and preview, up heals it, a second up mutates nothing", async () => {
    const stack = newStack(environment(DEV_PIPELINES, DEV_FLOWS));
    await ok(stack.up(PROGRAM));
    await sim.admin.setPipelineStatus("demo-pipeline-1", "STOPPED");
    await sim.admin.setFlow(3377, { active: 0 });

    await ok(stack.refresh());
    expect(outputs(stack, "ingest").status).toBe("STOPPED");
    expect(outputs(stack, "nightly").active).toBe(false);

    const mark = await lastSeq();
    const preview = await ok(stack.preview(PROGRAM));
    expect(ops(preview)).toEqual(["update ingest", "update nightly"]);
    expect(preview.logs).toContain("demo-pipeline-1 is STOPPED, desired RUNNING: will start");
    expect(preview.logs.some((l) => /flow 3377 .*is disabled, desired enabled: will enable/.test(l))).toBe(
      true,
    );
    expect(await mutations(mark)).toEqual([]);

    const healed = await ok(stack.up(PROGRAM));
    expect(ops(healed)).toEqual(["update ingest", "update nightly"]);
    expect((await pipeline("demo-pipeline-1")).status).toBe("RUNNING");
    expect(await flowActive(3377)).toBe(1);

    const quiet = await lastSeq();
    const again = await ok(stack.up(PROGRAM));
    expect(ops(again)).toEqual([]);
    expect(await mutations(quiet)).toEqual([]);
  });

  it("3: a new draft and a changed releaseTrigger redeploy: pause, release, start", async () => {
    const one = [{ name: "enrich", pipelineId: "demo-pipeline-2", releaseTrigger: "2026.11.1" }];
    const stack = newStack(environment(one));
    await ok(stack.up(PROGRAM));
    expect(outputs(stack, "enrich").releasedVersion).toBe("1");
    await sim.admin.saveDraft("demo-pipeline-2");

    const mark = await lastSeq();
    const redeploy = await ok(
      stack.up(PROGRAM, { config: environment([{ ...one[0], releaseTrigger: "2026.11.2" }]) }),
    );
    expect(ops(redeploy)).toEqual(["update enrich"]);
    expect((await mutations(mark)).map((m) => m.endpoint)).toEqual([
      "pausePipeline",
      "releasePipeline",
      "startPipeline",
    ]);
    expect(outputs(stack, "enrich")).toMatchObject({
      status: "RUNNING",
      releasedVersion: "2",
      draftVersion: "2",
    });
  });

  it("4: a changed offsetResetTrigger resets the Kafka offset", async () => {
    const one = [{ name: "ingest", pipelineId: "demo-pipeline-1" }];
    const stack = newStack(environment(one));
    await ok(stack.up(PROGRAM));
    const mark = await lastSeq();
    await ok(
      stack.up(PROGRAM, { config: environment([{ ...one[0], offsetResetTrigger: "replay-2026-11-23" }]) }),
    );
    expect((await mutations(mark)).map((m) => m.endpoint)).toEqual([
      "pausePipeline",
      "resetOffset",
      "startPipeline",
    ]);
    expect((await pipeline("demo-pipeline-1")).offsetResets).toBe(1);
    expect((await pipeline("demo-pipeline-1")).status).toBe("RUNNING");
  });

  it("5: destroy honours each onDelete policy", async () => {
    const stack = newStack(
      environment(
        [
          { name: "stop", pipelineId: "demo-pipeline-1", onDelete: "STOP" },
          { name: "pause", pipelineId: "demo-pipeline-2", onDelete: "PAUSE" },
          { name: "keep", pipelineId: "demo-pipeline-3", onDelete: "KEEP" },
        ],
        [
          { name: "disable", flowId: 3378, onDelete: "DISABLE" },
          { name: "restore", flowId: 3377, onDelete: "RESTORE" },
        ],
      ),
    );
    await ok(stack.up(PROGRAM));
    expect(await flowActive(3377)).toBe(1);
    const destroyed = await ok(stack.destroy());
    expect(destroyed.steps.filter((s) => s.op === "delete")).toHaveLength(5);
    expect(stack.state().resources).toEqual([]);
    expect((await pipeline("demo-pipeline-1")).status).toBe("STOPPED");
    expect((await pipeline("demo-pipeline-2")).status).toBe("PAUSED");
    expect((await pipeline("demo-pipeline-3")).status).toBe("RUNNING");
    expect(await flowActive(3378)).toBe(0);
    expect(await flowActive(3377)).toBe(0); // adopted disabled, restored to disabled
  });

  it("6: a start that never completes keeps the resource in state; the next up converges", async () => {
    await sim.admin.addFault({ kind: "stuck", match: { pipelineId: "demo-pipeline-1", action: "start" } });
    const one = [{ name: "ingest", pipelineId: "demo-pipeline-1", timeouts: { create: "2s" } }];
    const stack = newStack(environment(one));
    const failed = await stack.up(PROGRAM);
    results.push(failed);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]?.message).toMatch(
      /demo-pipeline-1 \(org o-demo\): create failed during start: still STARTING/,
    );
    const kept = stack.state().resources.find((r) => r.urn.endsWith("::ingest"));
    expect(kept?.id).toBe("demo-pipeline-1");
    expect(kept?.outputs.status).toBe("STARTING");

    // The operator clears the stuck start in the console; the next up finishes the job.
    await sim.admin.clearFaults();
    await sim.admin.setPipelineStatus("demo-pipeline-1", "PUBLISHED");
    const next = await ok(stack.up(PROGRAM));
    expect(ops(next)).toEqual(["update ingest"]);
    expect((await pipeline("demo-pipeline-1")).status).toBe("RUNNING");
    expect(outputs(stack, "ingest").status).toBe("RUNNING");
  });

  it("7: destroy runs the provider code installed now, not the code that wrote the state", async () => {
    // A user project with pulumi-enos "installed" as a copy, so the copy can be upgraded in place.
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "enos-upgrade-"));
    const installed = path.join(project, "node_modules", "pulumi-enos");
    const install = (marker?: string) => {
      fs.rmSync(installed, { recursive: true, force: true });
      fs.mkdirSync(installed, { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(installed, "package.json"));
      fs.cpSync(path.join(REPO_ROOT, "dist", "provider"), path.join(installed, "dist", "provider"), {
        recursive: true,
      });
      if (marker) {
        const file = path.join(installed, "dist", "provider", "resources", "pipeline", "provider.js");
        const code = fs.readFileSync(file, "utf8");
        const patched = code.replace(
          /async delete\(([^)]*)\) \{/,
          (m) => `${m}\n        console.log(${JSON.stringify(marker)});`,
        );
        expect(patched).not.toBe(code);
        fs.writeFileSync(file, patched);
      }
    };
    try {
      fs.mkdirSync(path.join(project, "node_modules"));
      fs.symlinkSync(
        path.join(REPO_ROOT, "node_modules", "@pulumi"),
        path.join(project, "node_modules", "@pulumi"),
        "dir",
      );
      for (const dep of ["zod", "undici"]) {
        fs.symlinkSync(
          path.join(REPO_ROOT, "node_modules", dep),
          path.join(project, "node_modules", dep),
          "dir",
        );
      }
      fs.writeFileSync(
        path.join(project, "package.json"),
        JSON.stringify({ name: "upgrade-story", private: true }),
      );
      fs.writeFileSync(
        path.join(project, "index.js"),
        'const { EnosPipelineDeployment } = require("pulumi-enos");\nnew EnosPipelineDeployment("ingest", { pipelineId: "demo-pipeline-1" });\n',
      );
      install();
      const stack = newStack({}, project);
      await ok(stack.up("index.js"));
      expect((await pipeline("demo-pipeline-1")).status).toBe("RUNNING");

      install("MARKER: delete ran in the upgraded pulumi-enos");
      const destroyed = await ok(stack.destroy());
      expect(destroyed.logs).toContain("MARKER: delete ran in the upgraded pulumi-enos");
      expect((await pipeline("demo-pipeline-1")).status).toBe("STOPPED");
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it("8: bad program inputs fail check with the field named, and EnOS is never called", async () => {
    // Like the real engine, the harness stops at the first resource whose Check fails: one bad resource a stack.
    const badPipeline = newStack(
      environment([{ name: "ingest", pipelineId: "demo-pipeline-1", kafkaRate: 0, restartStrategy: "KILL" }]),
    );
    const badFlow = newStack(environment([], [{ name: "nightly", flowId: 3377, onDelete: "STOP" }]));
    const mark = await lastSeq();
    const pipelineResult = await badPipeline.up(PROGRAM);
    const flowResult = await badFlow.up(PROGRAM);
    results.push(pipelineResult, flowResult);
    const text = (r: VerbResult) => r.errors.map((e) => e.message).join("\n");
    expect(text(pipelineResult)).toMatch(/kafkaRate: must be at least 1/);
    expect(text(pipelineResult)).toMatch(/restartStrategy: must be one of "PAUSE", "STOP"/);
    expect(text(flowResult)).toMatch(/onDelete: must be one of "DISABLE", "KEEP", "RESTORE"/);
    expect(badPipeline.state().resources).toEqual([]);
    expect(badFlow.state().resources).toEqual([]);
    expect((await sim.admin.requests()).filter((r) => r.seq > mark)).toEqual([]);
  });
});
