/**
 * Promotion through the real Pulumi CLI: one project (the root promotion program), a staging and a prod stack in
 * one `file://` backend, each with its own EnOS (a simulator apiece, so "zero calls for prod" is exact). prod's
 * `pulumi-enos:promotion` is `{from: staging, soak: 30m}`. Soak is met by moving staging's recorded verdict time
 * two hours back in its state (as if it had run that long), never by waiting; "too young" is a fresh verdict
 * against 30m, so no outcome depends on how fast the machine is.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { cliOrSkip, diagnostics, promotionProgram, UserProject, type CliResult } from "./support.js";

const cli = cliOrSkip("test/cli promotion");
const DELAYS = { start: 60, pause: 30, stop: 30, release: 30 };
const HEALTH = { stableFor: "1s", maxLag: 500 };
const TWO_HOURS = 2 * 3_600_000;

let simStaging: RunningSimulator;
let simProd: RunningSimulator;
let staging: UserProject;
let prod: UserProject;
/** Undone in reverse order after the suite, however far its set-up got. */
const cleanups: (() => unknown)[] = [];

const ingest = (releaseTrigger: string) => ({
  name: "ingest",
  pipelineId: "demo-pipeline-1",
  releaseTrigger,
  healthCheck: HEALTH,
});
const enrich = (kafkaRate: number) => ({
  name: "enrich",
  pipelineId: "demo-pipeline-2",
  kafkaRate,
  releaseTrigger: "e1",
  healthCheck: HEALTH,
});

const base = (sim: RunningSimulator) => ({
  "enos:apiGateway": sim.url,
  "enos:accessKey": "demo-access-key",
  "enos:orgId": "o-demo",
});

const lastSeq = async (sim: RunningSimulator) => (await sim.admin.requests()).at(-1)?.seq ?? 0;
const callsSince = async (sim: RunningSimulator, mark: number) =>
  (await sim.admin.requests()).filter((r) => r.seq > mark);
const mutationsSince = async (sim: RunningSimulator, mark: number) =>
  (await callsSince(sim, mark)).filter((r) => r.mutation).map((m) => `${m.endpoint} ${m.pipelineId ?? ""}`);

function succeeded(result: CliResult): CliResult {
  if (result.code !== 0)
    throw new Error(`pulumi exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

async function enosOutput(stack: UserProject): Promise<Record<string, any>> {
  const { stdout } = await stack.ok(["stack", "output", "enos", "--json", "--stack", stack.stack]);
  return JSON.parse(stdout) as Record<string, any>;
}

/** Moves every health verdict time of `stack` (resources and the `enos` output) back by `ms`, via export/import. */
async function backdateVerdicts(stack: UserProject, ms: number): Promise<void> {
  const { text } = await stack.exportState();
  const exported = JSON.parse(text) as { deployment: { resources: { outputs?: Record<string, any> }[] } };
  const shift = (health: { checkedAt?: string } | undefined) => {
    if (health?.checkedAt) health.checkedAt = new Date(Date.parse(health.checkedAt) - ms).toISOString();
  };
  for (const resource of exported.deployment.resources) {
    shift(resource.outputs?.health);
    for (const entry of Object.values(resource.outputs?.enos?.pipelines ?? {})) shift((entry as any).health);
  }
  const file = path.join(stack.dir, `.state-${stack.stack}.json`);
  fs.writeFileSync(file, JSON.stringify(exported));
  await stack.ok(["stack", "import", "--stack", stack.stack, "--file", file]);
  fs.rmSync(file);
}

/** A preview of prod that must be refused (its message matching `what`), without one request to prod's EnOS. */
async function expectRefused(what: RegExp): Promise<string> {
  const mark = await lastSeq(simProd);
  const preview = await prod.preview();
  expect(preview.code).not.toBe(0);
  const shown = diagnostics(preview);
  expect(shown).toMatch(
    /prod does not take (this release|these releases) from staging .*nothing was sent to EnOS/,
  );
  expect(shown).toMatch(what);
  expect(await callsSince(simProd, mark)).toEqual([]);
  return shown;
}

describe.skipIf(!cli)("promotion from staging to prod through the real CLI", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    if (!cli) return;
    simStaging = await startSimulator({ port: 0, seed: defaultSeed, delays: DELAYS });
    cleanups.push(() => simStaging.close());
    simProd = await startSimulator({ port: 0, seed: defaultSeed, delays: DELAYS });
    cleanups.push(() => simProd.close());
    staging = new UserProject(cli, promotionProgram(), { name: "pulumi-enos", stack: "staging" });
    cleanups.push(() => {
      staging.dispose();
    });
    prod = staging.anotherStack("prod");
    await staging.init(
      { ...base(simStaging), "pulumi-enos:pipelines": [ingest("r1"), enrich(500)] },
      { "enos:secretKey": "demo-secret-key" },
    );
    await prod.init(
      {
        ...base(simProd),
        "pulumi-enos:pipelines": [ingest("r1"), enrich(2000)],
        "pulumi-enos:promotion": { from: "staging", soak: "30m" },
      },
      { "enos:secretKey": "demo-secret-key" },
    );
  });

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("takes a release staging judged HEALTHY longer than soak ago: prod releases and starts it, with provenance", async () => {
    succeeded(await staging.up());
    const published = await enosOutput(staging);
    expect(published).toMatchObject({
      schemaVersion: 1,
      stack: "organization/pulumi-enos/staging",
      pipelines: {
        ingest: { pipelineId: "demo-pipeline-1", releaseTrigger: "r1", status: "RUNNING" },
        enrich: { pipelineId: "demo-pipeline-2", releaseTrigger: "e1", status: "RUNNING" },
      },
      flows: {},
    });
    expect(published.pipelines.ingest.health.verdict).toBe("HEALTHY");
    await backdateVerdicts(staging, TWO_HOURS);
    succeeded(await prod.up()); // prod's first up takes r1 and e1 through the gate too

    // r2: a new draft in both environments; staging runs it, two hours pass, prod takes it.
    await simStaging.admin.saveDraft("demo-pipeline-1");
    await simProd.admin.saveDraft("demo-pipeline-1");
    await staging.setConfig({ "pulumi-enos:pipelines": [ingest("r2"), enrich(500)] });
    succeeded(await staging.up());
    await backdateVerdicts(staging, TWO_HOURS);
    const stagingVerdict = (await enosOutput(staging)).pipelines.ingest.health;
    await prod.setConfig({ "pulumi-enos:pipelines": [ingest("r2"), enrich(2000)] });

    const mark = await lastSeq(simProd);
    succeeded(await prod.up());
    expect(await mutationsSince(simProd, mark)).toEqual([
      "pausePipeline demo-pipeline-1",
      "releasePipeline demo-pipeline-1",
      "startPipeline demo-pipeline-1",
    ]);
    const evidence = await enosOutput(prod);
    expect(evidence.pipelines.ingest).toMatchObject({
      releaseTrigger: "r2",
      releasedVersion: "2",
      status: "RUNNING",
      promotedFrom: {
        stack: "organization/pulumi-enos/staging",
        releaseTrigger: "r2",
        verdict: "HEALTHY",
        checkedAt: stagingVerdict.checkedAt,
        soak: "30m",
      },
    });
    // enrich was not promoted this time: its provenance from the first up is carried over.
    expect(evidence.pipelines.enrich.promotedFrom).toMatchObject({
      releaseTrigger: "e1",
      verdict: "HEALTHY",
    });
  });

  // Every refused preview costs ~25 s here (a Node.js program that fails takes that long to exit under this CLI
  // build, with or without the gate), so the refusals share previews: one for two entries, one for UNHEALTHY.
  it("refuses a release staging does not run and one it judged HEALTHY less than soak ago, one line each", async () => {
    await simStaging.admin.saveDraft("demo-pipeline-1");
    await staging.setConfig({ "pulumi-enos:pipelines": [ingest("r3"), enrich(500)] });
    succeeded(await staging.up());
    await prod.setConfig({
      "pulumi-enos:pipelines": [ingest("r3"), { ...enrich(2000), releaseTrigger: "e2" }],
    });
    const shown = await expectRefused(/these releases/);
    expect(shown).toMatch(/^\s*ingest: r3: healthy in staging for (\d+m)?\d+s of the required 30m$/m);
    expect(shown).toMatch(/^\s*enrich: e2 is not in staging \(staging runs e1\)$/m);
  });

  it("refuses a release that is UNHEALTHY in staging", async () => {
    await simStaging.admin.saveDraft("demo-pipeline-1");
    await simStaging.admin.addFault({
      kind: "lagGrowth",
      lagPerSecond: 5000,
      match: { pipelineId: "demo-pipeline-1" },
    });
    await staging.setConfig({ "pulumi-enos:pipelines": [ingest("r4"), enrich(500)] });
    expect((await staging.up()).code).not.toBe(0);
    // A failed up publishes nothing: staging's evidence still shows the release before.
    expect((await enosOutput(staging)).pipelines.ingest.releaseTrigger).toBe("r3");
    await prod.setConfig({ "pulumi-enos:pipelines": [ingest("r4"), enrich(2000)] });
    // Retried without a change, staging's up succeeds and publishes the UNHEALTHY verdict its pipeline holds in
    // state. A provider that re-judges on a retry fails it again, and staging keeps showing r3.
    const retry = await staging.up();
    const shown = await expectRefused(/this release/);
    if (retry.code === 0)
      expect(shown).toMatch(
        /^\s*ingest: r4: staging's verdict is UNHEALTHY: lag \d+ > maxLag 500 after 1s$/m,
      );
    else expect(shown).toMatch(/^\s*ingest: r4 is not in staging \(staging runs r3\)$/m);
  });

  it("lets a change to an entry that is not being promoted through while staging is unhealthy", async () => {
    await prod.setConfig({ "pulumi-enos:pipelines": [ingest("r2"), enrich(3000)] });
    const mark = await lastSeq(simProd);
    succeeded(await prod.up());
    expect(await mutationsSince(simProd, mark)).toEqual([
      "pausePipeline demo-pipeline-2",
      "startPipeline demo-pipeline-2",
    ]);
    expect((await simProd.admin.pipeline("demo-pipeline-2")).lastStartBody).toMatchObject({
      kafkaRate: 3000,
    });
    expect((await enosOutput(prod)).pipelines.ingest.promotedFrom).toMatchObject({ releaseTrigger: "r2" });
  });

  it("fails naming a `from` stack that does not exist", async () => {
    await prod.setConfig({ "pulumi-enos:promotion": { from: "stagign", soak: "30m" } });
    const mark = await lastSeq(simProd);
    const preview = await prod.preview();
    expect(preview.code).not.toBe(0);
    expect(diagnostics(preview)).toContain('unknown stack "organization/pulumi-enos/stagign"');
    expect(await callsSince(simProd, mark)).toEqual([]);
  });
});
