/**
 * Retries, deadlines and machines, through the real Pulumi CLI: a failed health verdict stands in state (a retried
 * `pulumi up` fails again without a start, for a lagging and for a crashed pipeline, until restartTrigger asks for
 * a new start), an org busy past a short `timeouts.create` fails inside it, and the same stack planned from two
 * machines with different `ENOS_*` environments plans nothing.
 */
import { describe, expect, it } from "vitest";
import {
  cliOrSkip,
  diagnostics,
  failed,
  operations,
  promotionProgram,
  simulatorSuite,
  succeeded,
  UserProject,
} from "./support.js";

const cli = cliOrSkip("test/cli safety");
const P1 = "demo-pipeline-1";

describe.skipIf(!cli)("real Pulumi CLI: retries, deadlines and machines", { timeout: 600_000 }, () => {
  const suite = simulatorSuite();
  const { lastSeq, mutations } = suite;
  const admin = () => suite.sim().admin;

  async function stack(pipelines: readonly Record<string, unknown>[], config: Record<string, unknown> = {}) {
    if (!cli) throw new Error("unreachable: suite skipped without a CLI");
    const project = suite.keep(new UserProject(cli, promotionProgram(), { name: "pulumi-enos" }));
    await project.init(
      {
        "enos:apiGateway": suite.sim().url,
        "enos:accessKey": "demo-access-key",
        "enos:orgId": "o-demo",
        "pulumi-enos:pipelines": pipelines,
        "pulumi-enos:flows": [],
        ...config,
      },
      { "enos:secretKey": "demo-secret-key" },
    );
    return project;
  }

  const gated = (extra: Record<string, unknown> = {}) => ({
    name: "ingest",
    pipelineId: P1,
    healthCheck: { stableFor: "1s", maxLag: 500 },
    timeouts: { create: "2m", update: "2m" },
    ...extra,
  });

  it("a lagging release: the retried up fails again with no start; restartTrigger retries it and it passes", async () => {
    const project = await stack([gated()]);
    succeeded(await project.up());
    await admin().saveDraft(P1);
    await admin().addFault({ kind: "lagGrowth", lagPerSecond: 5000, match: { pipelineId: P1 } });
    await project.setConfig({ "pulumi-enos:pipelines": [gated({ releaseTrigger: "2026.12.1" })] });
    const bad = failed(await project.up());
    expect(diagnostics(bad)).toMatch(/failed its health check: lag \d+ > maxLag 500 after 1s/);

    // CI retries the same job.
    const mark = await lastSeq();
    const retried = failed(await project.up());
    expect(await mutations(mark)).toEqual([]);
    expect(diagnostics(retried)).toMatch(
      /demo-pipeline-1 \(org o-demo\): update: not started: its last start with these settings failed its health check at \S+ \(lag \d+ > maxLag 500 after 1s\); it is still unhealthy: lag \d+ > maxLag 500 \(re-judged without a start\)\. Next: .*set restartTrigger to a new value/,
    );
    expect(failed(await project.preview("--expect-no-changes")).code).not.toBe(0);
    expect(await project.outputs("ingest")).toMatchObject({
      health: { verdict: "UNHEALTHY", judged: { releaseTrigger: "2026.12.1" } },
    });

    // The upstream problem is fixed; the operator asks for the same release to be started again.
    await admin().clearFaults();
    await project.setConfig({
      "pulumi-enos:pipelines": [gated({ releaseTrigger: "2026.12.1", restartTrigger: "retry-1" })],
    });
    const again = await lastSeq();
    succeeded(await project.up());
    expect(await mutations(again)).toEqual([
      "pausePipeline demo-pipeline-1 0",
      "startPipeline demo-pipeline-1 0",
    ]);
    expect(await project.outputs("ingest")).toMatchObject({
      status: "RUNNING",
      health: { verdict: "HEALTHY", judged: { releaseTrigger: "2026.12.1", restartTrigger: "retry-1" } },
    });
    succeeded(await project.up("--refresh", "--expect-no-changes"));
  });

  it("a crashed start: the console clears it, and the retried up still sends no start", async () => {
    const project = await stack([gated()]);
    succeeded(await project.up());
    await admin().addFault({ kind: "crash", afterSamples: 1, match: { pipelineId: P1 } });
    await project.setConfig({ "pulumi-enos:pipelines": [gated({ kafkaRate: 2000 })] });
    expect(diagnostics(failed(await project.up()))).toMatch(/failed its health check: status RUN_ERROR/);
    await admin().setPipelineStatus(P1, "STOPPED"); // as the error advised

    const mark = await lastSeq();
    const retried = failed(await project.up("--refresh"));
    expect(await mutations(mark)).toEqual([]);
    expect(diagnostics(retried)).toMatch(
      /not started: its last start with these settings failed .*; the pipeline is STOPPED/,
    );
    expect((await admin().pipeline(P1)).status).toBe("STOPPED");
  });

  it("org busy past a short timeouts.create: fails inside it naming 61121, and no start is accepted", async () => {
    // Another user's job keeps the organisation busy starting: EnOS answers every start with 61121.
    await admin().addFault({ kind: "startLock", match: { orgId: "o-demo" } });
    const project = await stack([{ name: "ingest", pipelineId: P1, timeouts: { create: "3s" } }]);
    const mark = await lastSeq();
    const busy = failed(await project.up());
    expect(diagnostics(busy)).toMatch(
      /demo-pipeline-1 \(org o-demo\): create failed during start: .*61121.*\(the create deadline of 3s passed\)/,
    );
    const starts = (await mutations(mark)).filter((m) => m.startsWith("startPipeline"));
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.every((m) => m.endsWith(" 61121"))).toBe(true);
    expect(
      (await project.exportState()).resources.find((r) => r.urn.endsWith("::ingest"))?.outputs,
    ).toMatchObject({
      status: "PUBLISHED",
    });

    await admin().clearFaults();
    succeeded(await project.up());
    expect((await admin().pipeline(P1)).status).toBe("RUNNING");
  });

  it("two machines with different ENOS_* environments plan nothing for the same stack", async () => {
    const project = await stack([{ name: "ingest", pipelineId: P1 }], { "enos:userId": "u-demo" });
    succeeded(await project.up());
    const mark = await lastSeq();
    const elsewhere = { ENOS_ORG_ID: "o-elsewhere", ENOS_USER_ID: "u-elsewhere" };
    const preview = await project.run(["preview", "--expect-no-changes"], { env: elsewhere });
    succeeded(preview);
    expect(
      operations(succeeded(await project.run(["up", "--yes", "--skip-preview"], { env: elsewhere }))),
    ).toEqual([]);
    expect(await mutations(mark)).toEqual([]);

    // A stack that never set enos:orgId does not take the machine's ENOS_ORG_ID: it fails at preview, naming the fix.
    const bare = await stack([{ name: "ingest", pipelineId: P1 }]);
    await bare.ok(["config", "rm", "enos:orgId", "--stack", bare.stack]);
    const refused = failed(await bare.run(["preview"], { env: { ENOS_ORG_ID: "o-demo" } }));
    expect(diagnostics(refused) + refused.stdout).toMatch(
      /orgId: required: set it on the resource or run `pulumi config set enos:orgId <org id>` \(the ENOS_ORG_ID environment variable is not a resource default/,
    );
  });
});
