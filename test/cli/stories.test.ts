/**
 * The engine-boundary stories through the real Pulumi CLI: a user's project that installed the packed
 * pulumi-enos, `pulumi` commands as a person types them, a `file://` backend and passphrase secrets, the
 * simulator as EnOS. test/host/stories.test.ts runs the same stories through the harness's Engine.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEV_FLOWS, DEV_PIPELINES, type Entry } from "../fixtures/dev-stack.js";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import {
  cliOrSkip,
  diagnostics,
  FLOW_TYPE,
  operations,
  PIPELINE_TYPE,
  promotionProgram,
  UserProject,
  type CliResult,
} from "./support.js";

const cli = cliOrSkip("test/cli stories");
const SECRET = "demo-secret-key";

let sim: RunningSimulator;
const projects: UserProject[] = [];

const lastSeq = async () => (await sim.admin.requests()).at(-1)?.seq ?? 0;
const mutations = async (since = 0) =>
  (await sim.admin.requests()).filter((r) => r.mutation && r.seq > since);
const status = async (id: string) => (await sim.admin.pipeline(id)).status;
const flowActive = async (id: number) => (await sim.admin.state()).flows.find((f) => f.flowId === id)?.active;

/** A promotion-program project with one stack, configured as `pulumi config set` would. */
async function promotionStack(
  pipelines: readonly Entry[],
  flows: readonly Entry[] = [],
): Promise<UserProject> {
  if (!cli) throw new Error("unreachable: suite skipped without a CLI");
  const project = new UserProject(cli, promotionProgram(), { name: "pulumi-enos" });
  projects.push(project);
  await project.init(
    {
      "enos:apiGateway": sim.url,
      "enos:accessKey": "demo-access-key",
      "enos:orgId": "o-demo",
      "enos:userId": "u-demo",
      "pulumi-enos:pipelines": pipelines,
      "pulumi-enos:flows": flows,
    },
    { "enos:secretKey": SECRET },
  );
  return project;
}

function succeeded(result: CliResult): CliResult {
  if (result.code !== 0)
    throw new Error(`pulumi exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

describe.skipIf(!cli)("real Pulumi CLI stories", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
    console.log(`test/cli: ${cli?.bin ?? ""} ${cli?.version ?? ""} (from ${cli?.source ?? ""})`);
  });

  beforeEach(async () => {
    await sim.admin.reset(defaultSeed);
  });

  afterEach(() => {
    for (const project of projects.splice(0)) project.dispose();
  });

  afterAll(async () => {
    await sim.close();
  });

  it("1: promotion brings dev up, staging options update in place, and a second up has no changes", async () => {
    const stack = await promotionStack(DEV_PIPELINES, DEV_FLOWS);
    const up = succeeded(await stack.up());
    expect(operations(up)).toEqual([
      "create enrich",
      "create hourly",
      "create ingest",
      "create kpis",
      "create nightly",
    ]);
    for (const id of ["demo-pipeline-1", "demo-pipeline-2", "demo-pipeline-3"])
      expect(await status(id)).toBe("RUNNING");
    expect((await sim.admin.pipeline("demo-pipeline-3")).lastStartBody).toMatchObject({
      executionMode: 1,
      kafkaRate: 2000,
      resourceConfig: { yarn: { workerCount: 2, master: 1, slave: 2 } },
    });
    expect(await flowActive(3377)).toBe(1);
    expect(await stack.outputs("ingest")).toMatchObject({ status: "RUNNING", releasedVersion: "1" });

    // __provider as the real engine stored it: small, one text per type, no credential.
    const { resources } = await stack.exportState();
    const providers = new Map<string, Set<string>>();
    for (const r of resources.filter((r) => r.type === PIPELINE_TYPE || r.type === FLOW_TYPE)) {
      const text = String(r.inputs?.__provider);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
      for (const secret of [SECRET, "demo-access-key", sim.url]) expect(text).not.toContain(secret);
      providers.set(r.type, (providers.get(r.type) ?? new Set()).add(text));
    }
    expect([...providers.values()].map((s) => s.size)).toEqual([1, 1]);

    expect(succeeded(await stack.up("--expect-no-changes")).code).toBe(0);

    const staging = DEV_PIPELINES.map((p) => ({ ...p, kafkaRate: (p.kafkaRate as number) * 4 }));
    await stack.setConfig({ "pulumi-enos:pipelines": staging });
    const mark = await lastSeq();
    const promoted = succeeded(await stack.up());
    expect(operations(promoted)).toEqual(["update enrich", "update ingest", "update kpis"]);
    expect((await mutations(mark)).map((m) => `${m.endpoint} ${m.pipelineId ?? ""}`).sort()).toEqual([
      "pausePipeline demo-pipeline-1",
      "pausePipeline demo-pipeline-2",
      "pausePipeline demo-pipeline-3",
      "startPipeline demo-pipeline-1",
      "startPipeline demo-pipeline-2",
      "startPipeline demo-pipeline-3",
    ]);
    expect(await stack.outputs("ingest")).toMatchObject({ status: "RUNNING", kafkaRate: 4000 });
  });

  it("2: drift fails preview --refresh --expect-no-changes with the plan line, refresh records it, up heals it", async () => {
    const stack = await promotionStack(DEV_PIPELINES, DEV_FLOWS);
    succeeded(await stack.up());
    await sim.admin.setPipelineStatus("demo-pipeline-1", "STOPPED");
    await sim.admin.setFlow(3377, { active: 0 });

    const mark = await lastSeq();
    const before = await stack.exportState();
    const preview = await stack.preview("--refresh", "--expect-no-changes", "--diff");
    expect(preview.code).not.toBe(0);
    // What the user sees in the terminal: the engine's refusal and the provider's plan lines (from Diff).
    const shown = preview.stdout + preview.stderr;
    expect(shown).toMatch(/no changes were expected .*but changes were proposed/);
    expect(shown).toContain("demo-pipeline-1 is STOPPED, desired RUNNING: will start");
    expect(shown).toMatch(/flow 3377 .*is disabled, desired enabled: will enable/);
    expect(await mutations(mark)).toEqual([]);
    // A preview writes no state, not even what its refresh read.
    expect((await stack.exportState()).resources).toEqual(before.resources);

    succeeded(await stack.refresh());
    expect((await stack.outputs("ingest")).status).toBe("STOPPED");
    expect((await stack.outputs("nightly")).active).toBe(false);

    const healed = succeeded(await stack.up());
    expect(operations(healed)).toEqual(["update ingest", "update nightly"]);
    expect(await status("demo-pipeline-1")).toBe("RUNNING");
    expect(await flowActive(3377)).toBe(1);

    const quiet = await lastSeq();
    succeeded(await stack.up("--expect-no-changes"));
    succeeded(await stack.preview("--refresh", "--expect-no-changes"));
    expect(await mutations(quiet)).toEqual([]);
  });

  it("3: a new draft and a changed releaseTrigger redeploy: pause, release, start", async () => {
    const one = { name: "enrich", pipelineId: "demo-pipeline-2", releaseTrigger: "2026.11.1" };
    const stack = await promotionStack([one]);
    succeeded(await stack.up());
    expect((await stack.outputs("enrich")).releasedVersion).toBe("1");
    await sim.admin.saveDraft("demo-pipeline-2");
    await stack.setConfig({ "pulumi-enos:pipelines": [{ ...one, releaseTrigger: "2026.11.2" }] });

    const mark = await lastSeq();
    const redeploy = succeeded(await stack.up());
    expect(operations(redeploy)).toEqual(["update enrich"]);
    expect((await mutations(mark)).map((m) => m.endpoint)).toEqual([
      "pausePipeline",
      "releasePipeline",
      "startPipeline",
    ]);
    expect(await stack.outputs("enrich")).toMatchObject({
      status: "RUNNING",
      releasedVersion: "2",
      draftVersion: "2",
    });
  });

  it("4: a changed offsetResetTrigger resets the Kafka offset", async () => {
    const one = { name: "ingest", pipelineId: "demo-pipeline-1" };
    const stack = await promotionStack([one]);
    succeeded(await stack.up());
    await stack.setConfig({ "pulumi-enos:pipelines": [{ ...one, offsetResetTrigger: "replay-2026-11-23" }] });
    const mark = await lastSeq();
    succeeded(await stack.up());
    expect((await mutations(mark)).map((m) => m.endpoint)).toEqual([
      "pausePipeline",
      "resetOffset",
      "startPipeline",
    ]);
    expect((await sim.admin.pipeline("demo-pipeline-1")).offsetResets).toBe(1);
    expect(await status("demo-pipeline-1")).toBe("RUNNING");
  });

  it("5: destroy honours each onDelete policy", async () => {
    const stack = await promotionStack(
      [
        { name: "stop", pipelineId: "demo-pipeline-1", onDelete: "STOP" },
        { name: "pause", pipelineId: "demo-pipeline-2", onDelete: "PAUSE" },
        { name: "keep", pipelineId: "demo-pipeline-3", onDelete: "KEEP" },
      ],
      [
        { name: "disable", flowId: 3378, onDelete: "DISABLE" },
        { name: "restore", flowId: 3377, onDelete: "RESTORE" },
      ],
    );
    succeeded(await stack.up());
    expect(await flowActive(3377)).toBe(1);
    const destroyed = succeeded(await stack.destroy());
    expect(operations(destroyed)).toEqual([
      "delete disable",
      "delete keep",
      "delete pause",
      "delete restore",
      "delete stop",
    ]);
    expect((await stack.exportState()).resources).toEqual([]);
    expect(await status("demo-pipeline-1")).toBe("STOPPED");
    expect(await status("demo-pipeline-2")).toBe("PAUSED");
    expect(await status("demo-pipeline-3")).toBe("RUNNING");
    expect(await flowActive(3378)).toBe(0);
    expect(await flowActive(3377)).toBe(0); // adopted disabled, restored to disabled
  });

  it("6: a start that never completes keeps the resource in state; the next up converges", async () => {
    await sim.admin.addFault({ kind: "stuck", match: { pipelineId: "demo-pipeline-1", action: "start" } });
    const stack = await promotionStack([
      { name: "ingest", pipelineId: "demo-pipeline-1", timeouts: { create: "2s" } },
    ]);
    const failed = await stack.up();
    expect(failed.code).not.toBe(0);
    expect(diagnostics(failed)).toMatch(
      /demo-pipeline-1 \(org o-demo\): create failed during start: still STARTING/,
    );
    const kept = (await stack.exportState()).resources.find((r) => r.urn.endsWith("::ingest"));
    expect(kept?.id).toBe("demo-pipeline-1");
    expect(kept?.outputs?.status).toBe("STARTING");
    expect(kept?.initErrors?.join("\n")).toMatch(/still STARTING/);

    // The operator clears the stuck start in the console; the next up finishes the job.
    await sim.admin.clearFaults();
    await sim.admin.setPipelineStatus("demo-pipeline-1", "PUBLISHED");
    const next = succeeded(await stack.up());
    expect(operations(next)).toEqual(["update ingest"]);
    expect(await status("demo-pipeline-1")).toBe("RUNNING");
    expect(await stack.outputs("ingest")).toMatchObject({ status: "RUNNING" });
    expect(
      (await stack.exportState()).resources.find((r) => r.urn.endsWith("::ingest"))?.initErrors ?? [],
    ).toEqual([]);
  });

  it("7: destroy runs the provider code installed now, not the code that wrote the state", async () => {
    if (!cli) return;
    const program =
      'const { EnosPipelineDeployment } = require("pulumi-enos");\nnew EnosPipelineDeployment("ingest", { pipelineId: "demo-pipeline-1" });\n';
    const stack = new UserProject(cli, { "index.js": program }, { name: "upgrade-story", modules: "copy" });
    projects.push(stack);
    await stack.init(
      { "enos:apiGateway": sim.url, "enos:accessKey": "demo-access-key", "enos:orgId": "o-demo" },
      { "enos:secretKey": SECRET },
    );
    succeeded(await stack.up());
    expect(await status("demo-pipeline-1")).toBe("RUNNING");

    // "Upgrade" the installed package: its delete now says so.
    const file = path.join(
      stack.installedPackage,
      "dist",
      "provider",
      "resources",
      "pipeline",
      "provider.js",
    );
    const code = fs.readFileSync(file, "utf8");
    const patched = code.replace(
      /async delete\(([^)]*)\) \{/,
      (m) => `${m}\n        console.log("MARKER: delete ran in the upgraded pulumi-enos");`,
    );
    expect(patched).not.toBe(code);
    fs.writeFileSync(file, patched);

    const destroyed = succeeded(await stack.destroy());
    expect(diagnostics(destroyed) + destroyed.stdout).toContain(
      "MARKER: delete ran in the upgraded pulumi-enos",
    );
    expect(await status("demo-pipeline-1")).toBe("STOPPED");
  });

  it("8: bad inputs fail at preview naming each field, and EnOS is never called", async () => {
    // The engine stops at the first resource whose Check fails, so each bad resource gets its own stack.
    const badPipeline = await promotionStack([
      { name: "ingest", pipelineId: "demo-pipeline-1", kafkaRate: 0, restartStrategy: "KILL" },
    ]);
    const badFlow = await promotionStack([], [{ name: "nightly", flowId: 3377, onDelete: "STOP" }]);
    const mark = await lastSeq();
    const pipelinePreview = await badPipeline.preview();
    expect(pipelinePreview.code).not.toBe(0);
    expect(diagnostics(pipelinePreview)).toMatch(/kafkaRate: must be at least 1/);
    expect(diagnostics(pipelinePreview)).toMatch(/restartStrategy: must be one of "PAUSE", "STOP"/);
    const flowPreview = await badFlow.preview();
    expect(flowPreview.code).not.toBe(0);
    expect(diagnostics(flowPreview)).toMatch(/onDelete: must be one of "DISABLE", "KEEP", "RESTORE"/);
    const up = await badPipeline.up();
    expect(up.code).not.toBe(0);
    const managed = (await badPipeline.exportState()).resources.filter(
      (r) => r.type === PIPELINE_TYPE || r.type === FLOW_TYPE,
    );
    expect(managed).toEqual([]);
    expect((await sim.admin.requests()).filter((r) => r.seq > mark)).toEqual([]);
  });

  it("keeps the secret key and every access token out of the exported state, and encrypts the key", async () => {
    const stack = await promotionStack(DEV_PIPELINES, DEV_FLOWS);
    succeeded(await stack.up());
    succeeded(await stack.refresh());
    const { text } = await stack.exportState();
    const timestamp = Date.now();
    const encryption = createHash("sha256").update(`demo-access-key${timestamp}${SECRET}`).digest("hex");
    const res = await fetch(`${sim.url}/apim-token-service/v2.0/token/get`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: "demo-access-key", encryption, timestamp }),
    });
    const token = ((await res.json()) as { data: { accessToken: string } }).data.accessToken;
    expect(token.length).toBeGreaterThan(8);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(token);
    const config = fs.readFileSync(path.join(stack.dir, `Pulumi.${stack.stack}.yaml`), "utf8");
    expect(config).not.toContain(SECRET);
    expect(config).toMatch(/enos:secretKey:\s*\n\s*secure: /);
  });

  it("pulumi refresh drops a pipeline deleted in EnOS and keeps the rest", async () => {
    const stack = await promotionStack(DEV_PIPELINES.slice(0, 2));
    succeeded(await stack.up());
    await sim.admin.deletePipeline("demo-pipeline-2");
    const refreshed = succeeded(await stack.refresh());
    expect(operations(refreshed)).toContain("delete enrich");
    const names = (await stack.exportState()).resources.map((r) => r.urn.split("::").pop());
    expect(names).toContain("ingest");
    expect(names).not.toContain("enrich");
  });
});
