import { forgetAdoptions } from "../../provider/lifecycle/adoption.js";
import { afterEach, describe, expect, it } from "vitest";
import { ResourceInitFailedError } from "../../provider/resources/common/errors.js";
import { fixture, type Fixture } from "./support.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

type Props = Record<string, unknown>;

/** check → create, as the engine does for a new resource. */
async function adopt(fx: Fixture, inputs: Props) {
  const checked = await fx.pipelines.check({}, inputs);
  expect(checked.failures).toEqual([]);
  const created = await fx.pipelines.create(checked.inputs as Props);
  return { id: created.id, outs: created.outs as Props, inputs: checked.inputs as Props };
}

/** check → diff → update (when diff says so), as the engine does for an existing resource. */
async function up(fx: Fixture, id: string, olds: Props, inputs: Props) {
  const checked = await fx.pipelines.check(olds, inputs);
  expect(checked.failures).toEqual([]);
  const diff = await fx.pipelines.diff(id, olds, checked.inputs as Props);
  if (!diff.changes) return { diff, outs: olds };
  const updated = await fx.pipelines.update(id, olds, checked.inputs as Props);
  return { diff, outs: updated.outs as Props };
}

const endpoints = (ms: { endpoint: string }[]) => ms.map((m) => m.endpoint);

describe("EnosPipelineDeployment against the simulator", () => {
  it("adopts a PUBLISHED pipeline and starts it with the documented start body", async () => {
    f = await fixture();
    const { id, outs } = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo" });
    expect(id).toBe("demo-pipeline-1");
    expect(outs).toMatchObject({
      status: "RUNNING",
      pipelineName: expect.any(String),
      releasedVersion: "1",
      draftVersion: "1",
      schemaVersion: 1,
      desiredState: "RUNNING",
    });
    const live = await f.sim.admin.pipeline("demo-pipeline-1");
    expect(live.status).toBe("RUNNING");
    expect(live.lastStartBody).toEqual({ executionMode: 0, kafkaRate: 1000, resourceConfig: { server: 1 } });
    expect(endpoints(await f.mutations())).toEqual(["startPipeline"]);
  });

  it.each([
    ["STOPPED", ["startPipeline"]],
    ["PAUSED", ["startPipeline"]],
    ["RUNNING", []],
  ])("adopts a %s pipeline into RUNNING with %j", async (status, expected) => {
    f = await fixture();
    await f.sim.admin.setPipelineStatus("demo-pipeline-2", status);
    const { outs } = await adopt(f, { pipelineId: "demo-pipeline-2", orgId: "o-demo" });
    expect(outs.status).toBe("RUNNING");
    expect(endpoints(await f.mutations())).toEqual(expected);
  });

  it("releases a never-released pipeline before starting it", async () => {
    f = await fixture();
    await f.sim.admin.upsertPipeline({ pipelineId: "fresh-1", orgId: "o-demo", status: "UNRELEASED" });
    const { outs } = await adopt(f, { pipelineId: "fresh-1", orgId: "o-demo" });
    expect(outs.status).toBe("RUNNING");
    expect(outs.releasedVersion).toBeDefined();
    expect(endpoints(await f.mutations())).toEqual(["releasePipeline", "startPipeline"]);
  });

  it.each([
    ["PAUSED", "PUBLISHED", ["startPipeline", "pausePipeline"], "PAUSED"],
    ["STOPPED", "PUBLISHED", [], "PUBLISHED"],
    ["STOPPED", "RUNNING", ["stopPipeline"], "STOPPED"],
    ["PAUSED", "RUNNING", ["pausePipeline"], "PAUSED"],
  ])("desiredState %s from %s does %j", async (desired, from, expected, final) => {
    f = await fixture();
    await f.sim.admin.setPipelineStatus("demo-pipeline-1", from);
    const { outs } = await adopt(f, {
      pipelineId: "demo-pipeline-1",
      orgId: "o-demo",
      desiredState: desired,
    });
    expect(outs.status).toBe(final);
    expect(endpoints(await f.mutations())).toEqual(expected);
  });

  it("fails clearly for a pipeline that does not exist, changing nothing", async () => {
    f = await fixture();
    const checked = await f.pipelines.check({}, { pipelineId: "no-such-pipeline", orgId: "o-demo" });
    const error = await f.pipelines.create(checked.inputs as Props).catch((e: unknown) => e);
    expect(String(error)).toMatch(/no-such-pipeline: no such pipeline in org o-demo.*61108/);
    expect(await f.mutations()).toEqual([]);
  });

  it("restarts a running pipeline when start options change, and only then", async () => {
    f = await fixture();
    const base = { pipelineId: "demo-pipeline-1", orgId: "o-demo" };
    const first = await adopt(f, base);
    const mark = await f.mark();
    const same = await up(f, first.id, first.outs, base);
    expect(same.diff.changes).toBe(false);
    const changed = await up(f, first.id, first.outs, {
      ...base,
      kafkaRate: 2500,
      resourceConfig: { server: 2 },
    });
    expect(changed.diff.changes).toBe(true);
    expect(changed.outs.status).toBe("RUNNING");
    expect(endpoints(await f.mutations(mark))).toEqual(["pausePipeline", "startPipeline"]);
    expect((await f.sim.admin.pipeline("demo-pipeline-1")).lastStartBody).toEqual({
      executionMode: 0,
      kafkaRate: 2500,
      resourceConfig: { server: 2 },
    });
    expect(
      f.logs.some((l) => l.includes("demo-pipeline-1 is RUNNING, desired RUNNING: will pause, start")),
    ).toBe(true);
  });

  it("restarts with stop when restartStrategy is STOP, in cluster mode with Spark settings", async () => {
    f = await fixture();
    const base = {
      pipelineId: "demo-pipeline-3",
      orgId: "o-demo",
      executionMode: "CLUSTER",
      restartStrategy: "STOP",
      resourceConfig: { server: 1, yarn: { workerCount: 2, master: 1, slave: 2 } },
    };
    const first = await adopt(f, base);
    const mark = await f.mark();
    const next = {
      ...base,
      resourceConfig: {
        ...base.resourceConfig,
        advanced: { "spark.streaming.backpressure.enabled": "true" },
      },
    };
    const changed = await up(f, first.id, first.outs, next);
    expect(changed.outs.status).toBe("RUNNING");
    expect(endpoints(await f.mutations(mark))).toEqual(["stopPipeline", "startPipeline"]);
    expect((await f.sim.admin.pipeline("demo-pipeline-3")).lastStartBody).toEqual({
      executionMode: 1,
      kafkaRate: 1000,
      resourceConfig: {
        server: 1,
        yarn: { workerCount: 2, master: 1, slave: 2 },
        advanced: [{ key: "spark.streaming.backpressure.enabled", value: "true" }],
      },
    });
  });

  it("re-releases the saved draft when releaseTrigger changes: pause, release, start", async () => {
    f = await fixture();
    const base = { pipelineId: "demo-pipeline-1", orgId: "o-demo", releaseTrigger: "v1" };
    const first = await adopt(f, base);
    expect(first.outs.releasedVersion).toBe("1");
    await f.sim.admin.saveDraft("demo-pipeline-1");
    const mark = await f.mark();
    const next = await up(f, first.id, first.outs, { ...base, releaseTrigger: "v2" });
    expect(endpoints(await f.mutations(mark))).toEqual(["pausePipeline", "releasePipeline", "startPipeline"]);
    expect(next.outs).toMatchObject({
      status: "RUNNING",
      releasedVersion: "2",
      draftVersion: "2",
      releaseTrigger: "v2",
    });
  });

  it("resets the Kafka offset when offsetResetTrigger changes", async () => {
    f = await fixture();
    const base = { pipelineId: "demo-pipeline-1", orgId: "o-demo" };
    const first = await adopt(f, base);
    const mark = await f.mark();
    const next = await up(f, first.id, first.outs, { ...base, offsetResetTrigger: "2026-11-23" });
    expect(endpoints(await f.mutations(mark))).toEqual(["pausePipeline", "resetOffset", "startPipeline"]);
    expect(next.outs.status).toBe("RUNNING");
    expect((await f.sim.admin.pipeline("demo-pipeline-1")).offsetResets).toBe(1);
  });

  it("sees drift on read and heals it on update; a second up makes no mutation", async () => {
    f = await fixture();
    const base = { pipelineId: "demo-pipeline-1", orgId: "o-demo" };
    const first = await adopt(f, base);
    await f.sim.admin.setPipelineStatus("demo-pipeline-1", "STOPPED");
    const read = await f.pipelines.read(first.id, first.outs);
    expect(read.props?.status).toBe("STOPPED");
    const healed = await up(f, first.id, read.props as Props, base);
    expect(healed.diff.changes).toBe(true);
    expect(f.logs).toContain("demo-pipeline-1 is STOPPED, desired RUNNING: will start");
    expect(healed.outs.status).toBe("RUNNING");
    const mark = await f.mark();
    const again = await up(f, first.id, healed.outs, base);
    expect(again.diff.changes).toBe(false);
    expect(await f.mutations(mark)).toEqual([]);
  });

  it("a refresh lists each org once however its reads are spread, and lists again after this process changed it", async () => {
    f = await fixture();
    const adopted = [];
    for (const pipelineId of ["demo-pipeline-1", "demo-pipeline-2", "demo-pipeline-3"])
      adopted.push(await adopt(f, { pipelineId, orgId: "o-demo", desiredState: "STOPPED" }));
    const listings = async (since: number) =>
      (await f!.sim.admin.requests(since)).filter((r) => r.endpoint === "listPipelines").length;
    const mark = await f.mark();
    for (const { id, outs } of adopted) {
      await f.pipelines.read(id, outs);
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // longer than the old 1 s reuse window
    }
    expect(await listings(mark)).toBe(1);
    // This process starts demo-pipeline-1: the listing from before no longer answers a refresh read.
    const [one] = adopted;
    await up(f, one!.id, one!.outs, { pipelineId: "demo-pipeline-1", orgId: "o-demo" });
    const afterChange = await f.mark();
    const read = await f.pipelines.read(one!.id, one!.outs);
    expect(read.props?.status).toBe("RUNNING");
    expect(await listings(afterChange)).toBe(1);
  });

  it("forgets a pipeline deleted in EnOS on refresh", async () => {
    f = await fixture();
    const first = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo" });
    await f.sim.admin.deletePipeline("demo-pipeline-1");
    const read = await f.pipelines.read(first.id, first.outs);
    expect(read.id).toBeUndefined();
  });

  it.each([
    ["STOP", "STOPPED", ["stopPipeline"]],
    ["PAUSE", "PAUSED", ["pausePipeline"]],
    ["KEEP", "RUNNING", []],
  ])("onDelete %s leaves the pipeline %s", async (onDelete, final, expected) => {
    f = await fixture();
    const first = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo", onDelete });
    const mark = await f.mark();
    forgetAdoptions(); // `pulumi destroy`: a new command, which checks nothing
    await f.pipelines.delete(first.id, first.outs);
    expect((await f.sim.admin.pipeline("demo-pipeline-1")).status).toBe(final);
    expect(endpoints(await f.mutations(mark))).toEqual(expected);
  });

  it("hands a pipeline over instead of stopping it when another resource of this update declared it", async () => {
    f = await fixture();
    const old = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo", onDelete: "STOP" });
    forgetAdoptions(); // the next `pulumi up`, after a rename: it checks the new resource, then deletes the old
    const mark = await f.mark();
    const uno = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/enos:EnosPipelineDeployment::uno";
    await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo", adopterUrn: uno });
    await f.pipelines.delete(old.id, old.outs);
    expect(await f.mutations(mark)).toEqual([]);
    expect((await f.sim.admin.pipeline("demo-pipeline-1")).status).toBe("RUNNING");
    expect(f.logs).toContain(`demo-pipeline-1: adopted by ${uno} in this update; not stopping`);
    // Another pipeline's delete is not affected by this adoption: its onDelete still applies.
    const other = await adopt(f, { pipelineId: "demo-pipeline-2", orgId: "o-demo" });
    forgetAdoptions();
    await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo", adopterUrn: uno });
    const beforeOther = await f.mark();
    await f.pipelines.delete(other.id, other.outs);
    expect(await f.mutations(beforeOther)).toEqual([
      { endpoint: "stopPipeline", code: 0, pipelineId: "demo-pipeline-2" },
    ]);
  });

  it("replaces on the same pipeline create-before-delete: diff never asks for deleteBeforeReplace", async () => {
    f = await fixture();
    const first = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo" });
    const checked = await f.pipelines.check(first.outs, { pipelineId: "demo-pipeline-1", orgId: "o-other" });
    const diff = await f.pipelines.diff(first.id, first.outs, checked.inputs as Props);
    expect(diff).toEqual({ changes: true, replaces: ["orgId"] });
    expect(f.logs.at(-1)).toMatch(
      /orgId changed: will adopt it again as a new resource; the old one hands it over/,
    );
  });

  it("says so when it forgets a pipeline in an error status instead of stopping it", async () => {
    f = await fixture();
    const first = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo" });
    await f.sim.admin.setPipelineStatus("demo-pipeline-1", "RUN_ERROR");
    const mark = await f.mark();
    forgetAdoptions(); // `pulumi destroy`
    await f.pipelines.delete(first.id, first.outs);
    expect(await f.mutations(mark)).toEqual([]);
    expect(f.logs.join("\n")).toMatch(
      /demo-pipeline-1: status RUN_ERROR: onDelete STOP not applied \(EnOS cannot stop a job in an error status\); forgetting it: stop it in the EnOS console/,
    );
  });

  it("treats deleting an already-stopped or vanished pipeline as done", async () => {
    f = await fixture();
    const first = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo", desiredState: "STOPPED" });
    const mark = await f.mark();
    await f.pipelines.delete(first.id, first.outs);
    await f.sim.admin.deletePipeline("demo-pipeline-1");
    await f.pipelines.delete(first.id, first.outs);
    expect(await f.mutations(mark)).toEqual([]);
  });

  it("keeps the resource with its observed status when a start never completes", async () => {
    f = await fixture();
    await f.sim.admin.addFault({ kind: "stuck", match: { pipelineId: "demo-pipeline-1", action: "start" } });
    const checked = await f.pipelines.check(
      {},
      {
        pipelineId: "demo-pipeline-1",
        orgId: "o-demo",
        timeouts: { create: "1s" },
      },
    );
    const error = await f.pipelines.create(checked.inputs as Props).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceInitFailedError);
    const failed = error as ResourceInitFailedError;
    expect(failed.id).toBe("demo-pipeline-1");
    expect(failed.properties.status).toBe("STARTING");
    expect(failed.message).toMatch(
      /demo-pipeline-1 \(org o-demo\): create failed during start: still STARTING after/,
    );
    expect(failed.message).toMatch(/timeouts\.create/);
  });

  it("records work still owed when an update fails before doing it, so the next up does it", async () => {
    f = await fixture();
    const base = { pipelineId: "demo-pipeline-1", orgId: "o-demo", releaseTrigger: "v1" };
    const first = await adopt(f, base);
    await f.sim.admin.addFault({ kind: "stuck", match: { pipelineId: "demo-pipeline-1", action: "pause" } });
    const next = { ...base, releaseTrigger: "v2", kafkaRate: 4000, timeouts: { update: "1s" } };
    const checked = await f.pipelines.check(first.outs, next);
    const error = await f.pipelines
      .update(first.id, first.outs, checked.inputs as Props)
      .catch((e: unknown) => e as ResourceInitFailedError);
    expect(error).toBeInstanceOf(ResourceInitFailedError);
    const kept = (error as ResourceInitFailedError).properties;
    expect(kept).toMatchObject({ status: "PAUSING", releaseTrigger: "v1", kafkaRate: 1000 });
    expect(kept.__provider).toBeUndefined(); // not a host call: no __provider in these inputs

    await f.sim.admin.clearFaults();
    await f.sim.admin.setPipelineStatus("demo-pipeline-1", "PAUSED");
    await f.sim.admin.saveDraft("demo-pipeline-1");
    const retried = await up(
      f,
      first.id,
      { ...kept, status: "PAUSED" },
      { ...base, releaseTrigger: "v2", kafkaRate: 4000 },
    );
    expect(retried.outs).toMatchObject({
      status: "RUNNING",
      releaseTrigger: "v2",
      kafkaRate: 4000,
      releasedVersion: "2",
    });
    expect((await f.sim.admin.pipeline("demo-pipeline-1")).lastStartBody).toMatchObject({ kafkaRate: 4000 });
  });

  it("fails with the status text when a start ends in an error status", async () => {
    f = await fixture();
    await f.sim.admin.addFault({ kind: "startError", match: { pipelineId: "demo-pipeline-1" } });
    const checked = await f.pipelines.check({}, { pipelineId: "demo-pipeline-1", orgId: "o-demo" });
    const error = (await f.pipelines
      .create(checked.inputs as Props)
      .catch((e: unknown) => e)) as ResourceInitFailedError;
    expect(error.properties.status).toBe("RUN_ERROR");
    expect(error.message).toMatch(/RUN_ERROR/);
    expect(error.message).toMatch(/EnOS console/);
  });

  it("starts 10 pipelines in one org concurrently with no 61121 escaping", async () => {
    f = await fixture({ pipelines: 10 });
    const ids = Array.from({ length: 10 }, (_, i) => `sim-pipeline-${String(i + 1).padStart(4, "0")}`);
    const results = await Promise.all(ids.map((pipelineId) => adopt(f!, { pipelineId, orgId: "o-demo" })));
    expect(results.map((r) => r.outs.status)).toEqual(ids.map(() => "RUNNING"));
    const starts = (await f.mutations()).filter((m) => m.endpoint === "startPipeline");
    expect(starts).toHaveLength(10);
    expect(starts.filter((s) => s.code === 61121)).toEqual([]);
  });

  it("retries 61121 from another client until the org is free", async () => {
    f = await fixture();
    await f.sim.admin.addFault({ kind: "startLock", count: 2 });
    const { outs } = await adopt(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo" });
    expect(outs.status).toBe("RUNNING");
    const starts = (await f.mutations()).filter((m) => m.endpoint === "startPipeline");
    expect(starts.map((s) => s.code)).toEqual([61121, 61121, 0]);
  });

  it("names 61126 and what to do, without retrying", async () => {
    f = await fixture({ standaloneQuota: 2 });
    const checked = await f.pipelines.check(
      {},
      {
        pipelineId: "demo-pipeline-1",
        orgId: "o-demo",
        resourceConfig: { server: 8 },
      },
    );
    const error = await f.pipelines.create(checked.inputs as Props).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/61126/);
    const starts = (await f.mutations()).filter((m) => m.endpoint === "startPipeline");
    expect(starts).toHaveLength(1);
  });
});
