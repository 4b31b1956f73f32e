/**
 * Durable health verdicts against the simulator: a failed gate stands in state for the settings it judged, so
 * the retried update fails again without a start; a new setting, a restartTrigger or a recovery clears it; and a
 * new provider process halts the organisation's rollout from the recorded verdict alone.
 */
import { afterEach, describe, expect, it } from "vitest";
import { resetProcessGlobals } from "../../provider/registry.js";
import { ResourceInitFailedError } from "../../provider/resources/common/errors.js";
import { defaultSeed } from "../../simulator/index.js";
import { fixture, type Fixture } from "./support.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

type Props = Record<string, unknown>;
const P1 = "demo-pipeline-1";
const GATED = {
  pipelineId: P1,
  orgId: "o-demo",
  healthCheck: { stableFor: "1s", maxLag: 500 },
  timeouts: { update: "2m" },
};

async function checked(fx: Fixture, olds: Props, inputs: Props): Promise<Props> {
  const result = await fx.pipelines.check(olds, inputs);
  expect(result.failures).toEqual([]);
  return result.inputs as Props;
}

/**
 * create, healthy; then `fault` shapes the next run and `inputs` is an update that fails its gate: resolves the
 * state the failure recorded.
 */
async function failedUpdate(fx: Fixture, fault: () => Promise<unknown>, inputs: Props): Promise<Props> {
  const created = await fx.pipelines.create(await checked(fx, {}, GATED));
  expect(created.outs.health).toMatchObject({ verdict: "HEALTHY" });
  await fault();
  const news = await checked(fx, created.outs as Props, inputs);
  const error = await fx.pipelines.update(P1, created.outs as Props, news).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ResourceInitFailedError);
  return (error as ResourceInitFailedError).properties;
}

/** Retry `inputs` on `state` as the next `pulumi up` does (check → diff → update); resolves error and mutations. */
async function retry(fx: Fixture, state: Props, inputs: Props) {
  const mark = await fx.mark();
  const news = await checked(fx, state, inputs);
  const diff = await fx.pipelines.diff(P1, state, news);
  const outcome = await fx.pipelines.update(P1, state, news).then(
    (result) => ({ outs: result.outs as Props, error: undefined }),
    (error: unknown) => ({ outs: undefined, error: error as Error }),
  );
  return { diff, ...outcome, mutations: (await fx.mutations(mark)).map((m) => m.endpoint) };
}

const lagging = () =>
  f!.sim.admin.addFault({ kind: "lagGrowth", lagPerSecond: 5000, match: { pipelineId: P1 } });

describe("durable health verdicts", () => {
  it("a lagging release fails again on retry, without a start; a restartTrigger retries it and passes", async () => {
    f = await fixture();
    await f.sim.admin.saveDraft(P1);
    const release = { ...GATED, releaseTrigger: "r2" };
    const failed = await failedUpdate(f, lagging, release);
    expect(failed.health).toMatchObject({
      verdict: "UNHEALTHY",
      judged: { releaseTrigger: "r2", kafkaRate: 1000, executionMode: "STANDALONE" },
    });

    const again = await retry(f, failed, release);
    expect(again.diff.changes).toBe(true);
    expect(f.logs.join("\n")).toMatch(
      /demo-pipeline-1: its last start with these settings failed its health check at \S+ \(lag \d+ > maxLag 500 after 1s\): will re-judge it without a start \(set restartTrigger to start it again\)/,
    );
    expect(again.mutations).toEqual([]);
    expect(again.error?.message).toMatch(
      /update: not started: its last start with these settings failed its health check .*; it is still unhealthy: lag \d+ > maxLag 500 \(re-judged without a start\)\. Next: .*set restartTrigger to a new value/,
    );
    const kept = (again.error as ResourceInitFailedError).properties;
    expect(kept.health).toMatchObject({ verdict: "UNHEALTHY", judged: { releaseTrigger: "r2" } });

    await f.sim.admin.clearFaults();
    const retried = await retry(f, kept, { ...release, restartTrigger: "retry-1" });
    expect(retried.error).toBeUndefined();
    expect(retried.mutations).toEqual(["pausePipeline", "startPipeline"]);
    expect(retried.outs?.health).toMatchObject({
      verdict: "HEALTHY",
      judged: { releaseTrigger: "r2", restartTrigger: "retry-1" },
    });
  });

  it("a crashed start stays refused after the operator clears the error status: no start is sent", async () => {
    f = await fixture();
    const crash = () => f!.sim.admin.addFault({ kind: "crash", afterSamples: 1, match: { pipelineId: P1 } });
    const failed = await failedUpdate(f, crash, { ...GATED, kafkaRate: 2000 });
    expect(failed.health).toMatchObject({ verdict: "UNHEALTHY", judged: { kafkaRate: 2000 } });
    // The operator stops the crashed job in the console, as the error advised.
    await f.sim.admin.setPipelineStatus(P1, "STOPPED");
    const again = await retry(f, { ...failed, status: "STOPPED" }, { ...GATED, kafkaRate: 2000 });
    expect(again.mutations).toEqual([]);
    expect(again.error?.message).toMatch(/not started: .*; the pipeline is STOPPED\. Next:/);
    expect((await f.sim.admin.pipeline(P1)).status).toBe("STOPPED");
  });

  it("a pipeline that recovered on its own is re-judged without a start and passes", async () => {
    f = await fixture();
    const failed = await failedUpdate(f, lagging, { ...GATED, kafkaRate: 1500 });
    // Upstream catches up: the same job, RUNNING with a healthy consumer, and no call from us.
    const seeded = defaultSeed.pipelines?.find((p) => p.pipelineId === P1);
    await f.sim.admin.upsertPipeline({ ...seeded!, status: "RUNNING", kafkaRate: 1500 });
    const again = await retry(f, failed, { ...GATED, kafkaRate: 1500 });
    expect(again.error).toBeUndefined();
    expect(again.mutations).toEqual([]);
    expect(again.outs?.health).toMatchObject({ verdict: "HEALTHY", judged: { kafkaRate: 1500 } });
    expect(f.logs.join("\n")).toMatch(/demo-pipeline-1: re-judged without a start: healthy/);
  });

  it("a start that went out but was never judged is judged on retry, not started again", async () => {
    f = await fixture();
    await f.sim.admin.holdTransitions(P1); // the start is accepted and stays STARTING past the deadline
    const inputs = await checked(f, {}, { ...GATED, timeouts: { create: "2s", update: "2m" } });
    const error = await f.pipelines.create(inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceInitFailedError);
    const kept = (error as ResourceInitFailedError).properties;
    expect(kept).toMatchObject({
      status: "STARTING",
      health: {
        verdict: "UNCHECKED",
        reason: expect.stringMatching(
          /^started, but the operation failed before the health check: still STARTING/,
        ),
        judged: { kafkaRate: 1000 },
      },
    });

    await f.sim.admin.proceed(P1);
    const again = await retry(f, kept, GATED);
    expect(again.diff.changes).toBe(true);
    expect(again.error).toBeUndefined();
    expect(again.mutations).toEqual([]);
    expect(again.outs?.health).toMatchObject({ verdict: "HEALTHY", judged: { kafkaRate: 1000 } });
  });

  it("a new provider process halts the org's rollout from the recorded verdict alone", async () => {
    f = await fixture();
    const other = await f.pipelines.create(
      await checked(f, {}, { pipelineId: "demo-pipeline-2", orgId: "o-demo" }),
    );
    const failed = await failedUpdate(f, lagging, { ...GATED, kafkaRate: 1500 });

    resetProcessGlobals(); // the next `pulumi up`: a new provider, nothing in memory
    const mark = await f.mark();
    const news = await checked(f, failed, { ...GATED, kafkaRate: 1500 });
    expect((await f.pipelines.diff(P1, failed, news)).changes).toBe(true);
    await f.sim.admin.saveDraft("demo-pipeline-2");
    const release = await checked(f, other.outs as Props, {
      pipelineId: "demo-pipeline-2",
      orgId: "o-demo",
      releaseTrigger: "r2",
    });
    const refused = await f.pipelines
      .update("demo-pipeline-2", other.outs as Props, release)
      .catch((e: unknown) => e);
    expect(String(refused)).toMatch(/rollout halted: demo-pipeline-1 failed its health check/);
    expect(String(refused)).toMatch(/The release was not sent to EnOS/);
    expect(await f.mutations(mark)).toEqual([]);
  });
});
