// The health gate and the rollout guard with a scripted EnOS and a fake clock: which calls they make, in what
// order, and what they decide. (Through the host against the simulator: test/host/health.test.ts.)
import { afterEach, describe, expect, it } from "vitest";
import type { EnosApi, OffsetLag, PipelineSummary } from "../../../provider/client/types.js";
import { rememberStackConfig } from "../../../provider/config.js";
import { haltRollout, liftHalt, rolloutHalt, RolloutHaltedError } from "../../../provider/lifecycle/halt.js";
import { resetProcessGlobals } from "../../../provider/registry.js";
import type { PipelineDeps } from "../../../provider/resources/pipeline/converge.js";
import { gateAfterStart, HealthGateFailure } from "../../../provider/resources/pipeline/health-gate.js";
import { guardRollout } from "../../../provider/resources/pipeline/rollout-guard.js";
import type { PipelineSpec } from "../../../provider/resources/pipeline/spec.js";

afterEach(() => {
  resetProcessGlobals();
});

const T0 = 1_800_000_000_000;

/** A fake EnOS: `lag(t)` and `status(t)` say what it answers at fake time t; every call is recorded. */
function world(options: {
  lag?: (t: number) => { lag: number; offset: number };
  status?: (t: number) => string;
}) {
  let now = T0;
  const calls: string[] = [];
  const row = (status: string): PipelineSummary => ({
    pipelineId: "p1",
    pipelineName: "P1",
    status,
    version: "1",
    orgId: "o1",
    executionMode: 0,
  });
  const client = {
    getPipelineStatus: (): Promise<PipelineSummary> => {
      calls.push(`status@${now - T0}`);
      return Promise.resolve(row(options.status?.(now - T0) ?? "RUNNING"));
    },
    getOffsetLag: (): Promise<OffsetLag> => {
      calls.push(`lag@${now - T0}`);
      const { lag, offset } = options.lag?.(now - T0) ?? { lag: 0, offset: now - T0 };
      return Promise.resolve({ pipelineId: "p1", topicName: "t", lagAndOffset: [{ lag, offset, ts: now }] });
    },
    pausePipeline: (): Promise<void> => {
      calls.push(`pause@${now - T0}`);
      options.status = () => "PAUSED";
      return Promise.resolve();
    },
  } as unknown as EnosApi;
  const deps: PipelineDeps = {
    client: () => client,
    clock: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    log: () => undefined,
  };
  return { deps, calls };
}

const spec = (over: Partial<PipelineSpec> = {}): PipelineSpec => ({
  pipelineId: "p1",
  orgId: "o1",
  desiredState: "RUNNING",
  executionMode: "STANDALONE",
  kafkaRate: 1000,
  resourceConfig: { server: 1 },
  restartStrategy: "PAUSE",
  onDelete: "STOP",
  timeouts: { create: "10m", update: "10m", delete: "10m" },
  healthCheck: { stableFor: "2s", maxLag: 100, requireProgress: true },
  onUnhealthy: "KEEP",
  ...over,
});
const running = { status: "RUNNING", pipelineName: "P1", releasedVersion: "1", draftVersion: undefined };
const DEADLINE = T0 + 600_000;

describe("gateAfterStart", () => {
  it("healthy: offset-lag at 0, 1s and 2s, the status at 1s and 2s; nothing else", async () => {
    const { deps, calls } = world({});
    const health = await gateAfterStart(deps, spec(), running, true, undefined, DEADLINE);
    expect(health).toMatchObject({ verdict: "HEALTHY", lag: 0, offsetsPerSecond: 1000 });
    expect(calls).toEqual(["lag@0", "status@1000", "lag@1000", "status@2000", "lag@2000"]);
  });

  it("no healthCheck: no verdict and no call; no start sent: the previous verdict, no call", async () => {
    const { deps, calls } = world({});
    expect(
      await gateAfterStart(deps, spec({ healthCheck: undefined }), running, true, undefined, DEADLINE),
    ).toBe(undefined);
    const previous = { verdict: "HEALTHY" as const, checkedAt: "2026-01-01T00:00:00.000Z", lag: 3 };
    expect(await gateAfterStart(deps, spec(), running, false, previous, DEADLINE)).toBe(previous);
    expect((await gateAfterStart(deps, spec(), running, false, undefined, DEADLINE))?.verdict).toBe(
      "UNCHECKED",
    );
    expect(
      await gateAfterStart(deps, spec({ desiredState: "PAUSED" }), running, true, previous, DEADLINE),
    ).toBe(previous);
    expect(calls).toEqual([]);
  });

  it("a window the deadline cannot hold is UNCHECKED, reads nothing and halts nothing", async () => {
    const { deps, calls } = world({});
    const error = await gateAfterStart(deps, spec(), running, true, undefined, T0 + 1_500).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HealthGateFailure);
    expect((error as HealthGateFailure).health).toMatchObject({ verdict: "UNCHECKED" });
    expect((error as Error).message).toMatch(/stableFor 2s does not fit in the 2s left before the deadline/);
    expect(calls).toEqual([]);
    expect(rolloutHalt("o1")).toBeUndefined();
  });

  it("unhealthy: halts the org first, then applies onUnhealthy PAUSE, and says both", async () => {
    const { deps, calls } = world({ lag: (t) => ({ lag: t * 5, offset: t }) });
    const error = (await gateAfterStart(
      deps,
      spec({ onUnhealthy: "PAUSE" }),
      running,
      true,
      undefined,
      DEADLINE,
    ).catch((e: unknown) => e)) as HealthGateFailure;
    expect(error.message).toMatch(
      /^failed its health check: lag 10000 > maxLag 100 after 2s \(lag 10000, 1000 offsets\/s\)\. onUnhealthy PAUSE: the pipeline was paused\. Rollout halted in org o1/,
    );
    expect(error.observation.status).toBe("PAUSED");
    expect(rolloutHalt("o1")).toEqual({ pipelineId: "p1", reason: "lag 10000 > maxLag 100 after 2s" });
    expect(calls.filter((c) => c.startsWith("pause"))).toHaveLength(1);
  });

  it("an error status ends the window early; PAUSE is not applied to it; halt off registers nothing", async () => {
    rememberStackConfig((key) => (key === "enos:haltRolloutOnUnhealthy" ? "false" : undefined));
    const { deps, calls } = world({ status: (t) => (t >= 1000 ? "RUN_ERROR" : "RUNNING") });
    const error = (await gateAfterStart(
      deps,
      spec({ onUnhealthy: "PAUSE" }),
      running,
      true,
      undefined,
      DEADLINE,
    ).catch((e: unknown) => e)) as HealthGateFailure;
    expect(error.health.reason).toBe("status RUN_ERROR 1s after start");
    expect(error.message).toMatch(/onUnhealthy PAUSE: not applied, the pipeline is RUN_ERROR/);
    expect(error.message).not.toMatch(/Rollout halted/);
    expect(calls).toEqual(["lag@0", "status@1000"]);
    expect(rolloutHalt("o1")).toBeUndefined();
  });
});

describe("guardRollout", () => {
  const inner = () => {
    const sent: string[] = [];
    const client = {
      startPipeline: () => {
        sent.push("start");
        return Promise.resolve();
      },
      releasePipeline: () => {
        sent.push("release");
        return Promise.resolve();
      },
      pausePipeline: () => {
        sent.push("pause");
        return Promise.resolve();
      },
    } as unknown as EnosApi;
    const deps: PipelineDeps = {
      client: () => client,
      clock: Date.now,
      sleep: () => Promise.resolve(),
      log: () => undefined,
    };
    return { deps, sent };
  };
  const body = { executionMode: 0 as const, kafkaRate: 1, resourceConfig: { server: 1 } };

  it("refuses starts and releases of a halted org at plan time and at send time; never pauses or stops", async () => {
    const { deps, sent } = inner();
    const guard = guardRollout(deps, { orgId: "o1", pipelineId: "p2" });
    guard.deps.beforeActions?.(["pause", "release", "start"]);
    await guard.deps.client().startPipeline("o1", "p2", body);
    expect(guard.startSent()).toBe(true);

    haltRollout("o1", { pipelineId: "p1", reason: "lag 5 > maxLag 1 after 1s" });
    haltRollout("o1", { pipelineId: "p9", reason: "later failures do not replace the first" });
    expect(() => guard.deps.beforeActions?.(["pause", "release", "start"])).toThrow(
      /^rollout halted: p1 failed its health check \(lag 5 > maxLag 1 after 1s\)$/,
    );
    expect(() => guard.deps.beforeActions?.(["pause"])).not.toThrow();
    const refused = await guard.deps
      .client()
      .releasePipeline("o1", "p2")
      .catch((e: unknown) => e);
    expect(RolloutHaltedError.isInstance(refused)).toBe(true);
    await expect(guard.deps.client().startPipeline("o1", "p2", body)).rejects.toThrow(/rollout halted: p1/);
    await guard.deps.client().pausePipeline("o1", "p2");
    expect(sent).toEqual(["start", "pause"]);

    // Each failed pipeline halts the org until it is healthy again: lifting p1's halt leaves p9's in force.
    liftHalt("o1", "p1");
    await expect(guard.deps.client().startPipeline("o1", "p2", body)).rejects.toThrow(/rollout halted: p9/);
    // The pipeline that caused a halt may try again (new settings or restartTrigger): that is how it is cleared.
    liftHalt("o1", "p9");
    haltRollout("o1", { pipelineId: "p1", reason: "lag 5 > maxLag 1 after 1s" });
    const own = guardRollout(deps, { orgId: "o1", pipelineId: "p1" });
    own.deps.beforeActions?.(["pause", "release", "start"]);
    await own.deps.client().startPipeline("o1", "p1", body);
    expect(sent).toEqual(["start", "pause", "start"]);
    sent.splice(0);

    // Another org is not halted.
    const other = guardRollout(deps, { orgId: "o2", pipelineId: "q1" });
    other.deps.beforeActions?.(["start"]);
    await other.deps.client().startPipeline("o2", "q1", body);
    expect(sent).toEqual(["start"]);
  });

  it("enos:haltRolloutOnUnhealthy false: a halt on record refuses nothing", async () => {
    rememberStackConfig((key) => (key === "enos:haltRolloutOnUnhealthy" ? "false" : undefined));
    haltRollout("o1", { pipelineId: "p1", reason: "x" });
    const { deps, sent } = inner();
    const guard = guardRollout(deps, { orgId: "o1", pipelineId: "p2" });
    guard.deps.beforeActions?.(["release", "start"]);
    await guard.deps.client().releasePipeline("o1", "p2");
    expect(sent).toEqual(["release"]);
  });
});
