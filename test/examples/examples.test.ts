// Each example under examples/ exercised twice:
//  (a) program level: the compiled program runs under setMocks in a child process (test/host/program.ts) and we
//      check what it registers — type token, name, inputs — and that `__provider` is small and holds no credential;
//  (b) through the engine-boundary harness (test/host/engine.ts) against the simulator: up reaches the EnOS state
//      the example's README promises, then destroy.
// Needs `npm run build` (the programs run from dist/examples/<name>/index.js, as Pulumi would run them).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { Engine, assertOk, type VerbResult } from "../host/engine.js";
import { REPO_ROOT } from "../host/host.js";
import { runProgram, type RegisteredResource } from "../host/program.js";

const PIPELINE_TYPE = "pulumi-nodejs:dynamic/enos:EnosPipelineDeployment";
const FLOW_TYPE = "pulumi-nodejs:dynamic/enos:EnosFlowSchedule";
const ACCESS_KEY = "demo-access-key";
const SECRET_KEY = "demo-secret-key";

type Example = "single-pipeline" | "cluster-pipeline" | "nightly-flow" | "redeploy";

const program = (example: Example) => path.join("dist", "examples", example, "index.js");

/** The example's project name, from its own Pulumi.yaml (the namespace of its config keys). */
function projectOf(example: Example): string {
  const doc = parseYaml(
    fs.readFileSync(path.join(REPO_ROOT, "examples", example, "Pulumi.yaml"), "utf8"),
  ) as {
    name: string;
    runtime: string;
  };
  expect(doc.runtime).toBe("nodejs");
  return doc.name;
}

function credentials(gateway: string): Record<string, string> {
  return {
    "enos:apiGateway": gateway,
    "enos:accessKey": ACCESS_KEY,
    "enos:secretKey": SECRET_KEY,
    "enos:orgId": "o-demo",
    "enos:userId": "u-demo",
  };
}

/** `__provider` is at most 2 KB and carries neither credentials nor the gateway: they reach it via Configure. */
function expectThinProvider(resource: RegisteredResource, gateway: string): void {
  const provider = resource.inputs.__provider;
  expect(typeof provider).toBe("string");
  expect(resource.providerBytes).toBeGreaterThan(0);
  expect(resource.providerBytes).toBeLessThanOrEqual(2048);
  for (const secret of [SECRET_KEY, ACCESS_KEY, gateway]) expect(provider).not.toContain(secret);
  expect(resource.secretPaths).toEqual([]);
}

describe("examples, program level (setMocks)", () => {
  const gateway = "http://127.0.0.1:9";
  const run = async (example: Example, stack = "dev", extra: Record<string, string> = {}) => {
    const result = await runProgram(program(example), {
      project: projectOf(example),
      stack,
      config: { ...credentials(gateway), ...extra },
      secretKeys: ["enos:secretKey"],
      preview: false,
    });
    const custom = result.resources.filter((r) => r.custom);
    expect(custom).toHaveLength(1);
    const [resource] = custom;
    expectThinProvider(resource!, gateway);
    return resource!;
  };

  it("single-pipeline registers one pipeline kept RUNNING", async () => {
    const r = await run("single-pipeline");
    expect(r.type).toBe(PIPELINE_TYPE);
    expect(r.name).toBe("telemetry");
    expect(r.urn).toBe(`urn:pulumi:dev::enos-single-pipeline::${PIPELINE_TYPE}::telemetry`);
    expect(r.inputs).toMatchObject({
      pipelineId: "demo-pipeline-1",
      orgId: "o-demo",
      desiredState: "RUNNING",
      kafkaRate: 1000,
      resourceConfig: { server: 1 },
    });
  });

  it("cluster-pipeline registers a CLUSTER pipeline with YARN resources, Spark settings and timeouts", async () => {
    const r = await run("cluster-pipeline");
    expect(r.type).toBe(PIPELINE_TYPE);
    expect(r.name).toBe("aggregate-kpis");
    expect(r.inputs).toMatchObject({
      pipelineId: "demo-pipeline-3",
      orgId: "o-demo",
      executionMode: "CLUSTER",
      kafkaRate: 2000,
      resourceConfig: {
        server: 1,
        yarn: { workerCount: 2, master: 1, slave: 2 },
        advanced: { "spark.streaming.backpressure.enabled": "true", "spark.executor.memory": "2g" },
      },
      timeouts: { create: "20m", update: "20m" },
    });
  });

  it("nightly-flow registers flow 3377, disabled in dev and enabled in prod", async () => {
    const dev = await run("nightly-flow", "dev");
    expect(dev.type).toBe(FLOW_TYPE);
    expect(dev.name).toBe("nightly-rollup");
    expect(dev.inputs).toMatchObject({
      flowId: 3377,
      orgId: "o-demo",
      userId: "u-demo",
      enabled: false,
      onDelete: "RESTORE",
    });
    const prod = await run("nightly-flow", "prod");
    expect(prod.urn).toBe(`urn:pulumi:prod::enos-nightly-flow::${FLOW_TYPE}::nightly-rollup`);
    expect(prod.inputs.enabled).toBe(true);
  });

  it("redeploy takes releaseTrigger from its project's releaseVersion config, and requires it", async () => {
    const project = projectOf("redeploy");
    expect(project).toBe("enos-redeploy");
    const r = await run("redeploy", "dev", { [`${project}:releaseVersion`]: "2026.11.3" });
    expect(r.type).toBe(PIPELINE_TYPE);
    expect(r.name).toBe("enrich-alarms");
    expect(r.inputs).toMatchObject({ pipelineId: "demo-pipeline-2", releaseTrigger: "2026.11.3" });
    await expect(
      runProgram(program("redeploy"), {
        project,
        stack: "dev",
        config: credentials(gateway),
        preview: false,
      }),
    ).rejects.toThrow(/enos-redeploy:releaseVersion/);
  });
});

describe("examples through the engine-boundary harness, against the simulator", () => {
  let sim: RunningSimulator;
  let dir: string;
  let counter = 0;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "enos-examples-"));
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sim.admin.reset(defaultSeed);
  });

  const stackFor = (example: Example, stack = "dev", extra: Record<string, string> = {}) =>
    new Engine({
      stateFile: path.join(dir, `${example}-${stack}-${++counter}.json`),
      project: projectOf(example),
      stack,
      config: { ...credentials(sim.url), ...extra },
      secretKeys: ["enos:secretKey"],
    });
  const ok = async (verb: Promise<VerbResult>) => assertOk(await verb);
  const only = (engine: Engine) => {
    const [resource, ...rest] = engine.state().resources;
    expect(rest).toEqual([]);
    return resource!.outputs;
  };
  const lastSeq = async () => (await sim.admin.requests()).at(-1)?.seq ?? 0;
  const mutations = async (since: number) =>
    (await sim.admin.requests(since)).filter((r) => r.mutation).map((r) => r.endpoint);
  const flowActive = async (id: number) =>
    (await sim.admin.state()).flows.find((f) => f.flowId === id)?.active;

  it("single-pipeline: up starts it with its options, destroy stops it", async () => {
    const stack = stackFor("single-pipeline");
    await ok(stack.up(program("single-pipeline")));
    const p = await sim.admin.pipeline("demo-pipeline-1");
    expect(p.status).toBe("RUNNING");
    expect(p.lastStartBody).toEqual({ executionMode: 0, kafkaRate: 1000, resourceConfig: { server: 1 } });
    expect(only(stack)).toMatchObject({ status: "RUNNING", releasedVersion: "1" });

    await ok(stack.destroy());
    expect(stack.state().resources).toEqual([]);
    expect((await sim.admin.pipeline("demo-pipeline-1")).status).toBe("STOPPED");
  });

  it("cluster-pipeline: up starts it in cluster mode with the Spark settings as EnOS's [{key, value}] list", async () => {
    const stack = stackFor("cluster-pipeline");
    await ok(stack.up(program("cluster-pipeline")));
    const p = await sim.admin.pipeline("demo-pipeline-3");
    expect(p.status).toBe("RUNNING");
    const body = p.lastStartBody as { resourceConfig: { advanced: unknown[] } };
    expect(body).toMatchObject({
      executionMode: 1,
      kafkaRate: 2000,
      resourceConfig: { server: 1, yarn: { workerCount: 2, master: 1, slave: 2 } },
    });
    expect(body.resourceConfig.advanced).toHaveLength(2);
    expect(body.resourceConfig.advanced).toEqual(
      expect.arrayContaining([
        { key: "spark.streaming.backpressure.enabled", value: "true" },
        { key: "spark.executor.memory", value: "2g" },
      ]),
    );
    // server 1 + master 1 + slave 2 × 2 workers.
    expect(p.heldCu).toBe(6);
    expect(only(stack)).toMatchObject({ status: "RUNNING", executionMode: "CLUSTER" });

    await ok(stack.destroy());
    expect(stack.state().resources).toEqual([]);
    expect((await sim.admin.pipeline("demo-pipeline-3")).status).toBe("STOPPED");
  });

  it("cluster-pipeline: an org without cluster resources gets EnOS 61128 and the way out", async () => {
    await sim.admin.setQuotas("o-demo", { cluster: null });
    const stack = stackFor("cluster-pipeline");
    const result = await stack.up(program("cluster-pipeline"));
    const text = result.errors.map((e) => e.message).join("\n");
    expect(text).toContain("61128");
    expect(text).toMatch(/STANDALONE/);
    expect((await sim.admin.pipeline("demo-pipeline-3")).status).not.toBe("RUNNING");
  });

  it("nightly-flow: a non-prod stack keeps the schedule disabled; destroy restores what it found", async () => {
    await sim.admin.setFlow(3377, { active: 1 });
    const stack = stackFor("nightly-flow", "dev");
    await ok(stack.up(program("nightly-flow")));
    expect(await flowActive(3377)).toBe(0);
    expect(only(stack)).toMatchObject({ enabled: false, active: false, adoptedActive: true });
    await ok(stack.destroy());
    expect(await flowActive(3377)).toBe(1);
  });

  it("nightly-flow: stack prod enables the schedule; destroy restores it to disabled", async () => {
    expect(await flowActive(3377)).toBe(0);
    const stack = stackFor("nightly-flow", "prod");
    await ok(stack.up(program("nightly-flow")));
    expect(await flowActive(3377)).toBe(1);
    expect(only(stack)).toMatchObject({ enabled: true, active: true, cron: "0 0 * * * ? *" });
    await ok(stack.destroy());
    expect(stack.state().resources).toEqual([]);
    expect(await flowActive(3377)).toBe(0);
  });

  it("nightly-flow: a user who does not own the flow gets an error naming the owners; nothing changes", async () => {
    // Someone hands the flow over to the ops team in the console; u-demo (enos:userId) no longer owns it.
    await sim.admin.setFlow(3377, { owner: "u-ops" });
    const stack = stackFor("nightly-flow", "prod");
    const mark = await lastSeq();
    const result = await stack.up(program("nightly-flow"));
    const text = result.errors.map((e) => e.message).join("\n");
    expect(text).toContain("u-ops");
    expect(await mutations(mark)).toEqual([]);
    expect(await flowActive(3377)).toBe(0);
  });

  it("redeploy: the first up only records the trigger; a new trigger publishes the saved draft", async () => {
    const key = `${projectOf("redeploy")}:releaseVersion`;
    const stack = stackFor("redeploy", "dev", { [key]: "2026.11.2" });
    let mark = await lastSeq();
    await ok(stack.up(program("redeploy")));
    expect(await mutations(mark)).toEqual(["startPipeline"]);
    expect(only(stack)).toMatchObject({
      status: "RUNNING",
      releasedVersion: "1",
      releaseTrigger: "2026.11.2",
    });

    // A designer saves a new draft in the console; the release goes out through Pulumi.
    await sim.admin.saveDraft("demo-pipeline-2");
    const preview = await ok(stack.preview(program("redeploy"), { config: { [key]: "2026.11.3" } }));
    expect(preview.logs.join("\n")).toMatch(
      /demo-pipeline-2 is RUNNING, desired RUNNING: will pause, release, start/,
    );
    mark = await lastSeq();
    await ok(stack.up(program("redeploy")));
    expect(await mutations(mark)).toEqual(["pausePipeline", "releasePipeline", "startPipeline"]);
    const p = await sim.admin.pipeline("demo-pipeline-2");
    expect(p).toMatchObject({ status: "RUNNING", releasedVersion: "2", draftVersion: "2" });
    expect(only(stack)).toMatchObject({
      status: "RUNNING",
      releasedVersion: "2",
      releaseTrigger: "2026.11.3",
    });

    await ok(stack.destroy());
    expect((await sim.admin.pipeline("demo-pipeline-2")).status).toBe("STOPPED");
  });
});
