import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, type Seed, defaultSeed, makeSeed } from "../../simulator/index.js";
import { CLUSTER_5, FAST, ORG, STANDALONE_1, TestCaller, codeOf, withSim } from "./helpers.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: Parameters<typeof withSim>[0] = FAST): Promise<TestCaller> {
  const made = await withSim(options);
  sim = made.sim;
  return made.caller;
}

const P1 = "demo-pipeline-1";
const P2 = "demo-pipeline-2";

function standalone(server: number | string): unknown {
  return { executionMode: 0, kafkaRate: 1000, resourceConfig: { server } };
}

describe("list pipelines", () => {
  it("pages with pageNo/pageSize (default 10) and reports the total as count", async () => {
    const caller = await start({ ...FAST, seed: makeSeed({ pipelines: 25 }) });
    const first = await caller.list({ ifReleased: "true" });
    expect(first.json.code).toBe(0);
    expect(first.json.data.count).toBe(28);
    expect(first.json.data.pipelines).toHaveLength(10);
    const seen: string[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const page = await caller.list({ ifReleased: "true", pageSize: "12", pageNo: String(pageNo) });
      const rows = page.json.data.pipelines as { pipelineId: string }[];
      seen.push(...rows.map((r) => r.pipelineId));
      if (rows.length < 12) break;
    }
    expect(seen).toHaveLength(28);
    expect(new Set(seen).size).toBe(28);
    expect(seen.slice(0, 4)).toEqual([P1, P2, "demo-pipeline-3", "sim-pipeline-0001"]);
    const beyond = await caller.list({ ifReleased: "true", pageSize: "10", pageNo: "9" });
    expect(beyond.json.data.pipelines).toEqual([]);
  });

  it("returns the documented row fields", async () => {
    const caller = await start();
    const res = await caller.list({ ifReleased: "true" });
    expect(res.json).toMatchObject({ code: 0, msg: "OK" });
    expect(typeof res.json.requestId).toBe("string");
    expect(res.json.data.pipelines[0]).toEqual({
      pipelineId: P1,
      pipelineName: "Demo pipeline 1",
      status: "PUBLISHED",
      version: "1",
      orgId: ORG,
      updateTime: expect.any(Number),
      templateType: expect.any(String),
      executionMode: 0,
      alarmConfig: null,
    });
  });

  it("ifReleased=true lists released pipelines; ifReleased=false (the default) the design view", async () => {
    const seed: Seed = {
      ...defaultSeed,
      pipelines: [
        ...(defaultSeed.pipelines ?? []),
        { pipelineId: "draft-only", orgId: ORG, status: "UNRELEASED", draftVersion: 1 },
        { pipelineId: "sys", orgId: ORG, isSystem: true },
      ],
    };
    const caller = await start({ ...FAST, seed });
    const ids = (res: { json: any }): string[] => res.json.data.pipelines.map((p: any) => p.pipelineId);
    expect(ids(await caller.list({ ifReleased: "true" }))).toEqual([P1, P2, "demo-pipeline-3"]);
    const design = await caller.list({ ifReleased: "false" });
    expect(ids(design)).toEqual(["draft-only"]);
    expect(design.json.data.pipelines[0]).toMatchObject({ status: "UNRELEASED", version: "1" });
    expect(ids(await caller.list())).toEqual(["draft-only"]);

    // A saved draft newer than the release shows in both views, with different versions.
    await sim!.admin.saveDraft(P2);
    const released = (await caller.list({ ifReleased: "true" })).json.data.pipelines.find(
      (p: any) => p.pipelineId === P2,
    );
    expect(released.version).toBe("1");
    const drafted = (await caller.list({ ifReleased: "false" })).json.data.pipelines.find(
      (p: any) => p.pipelineId === P2,
    );
    expect(drafted.version).toBe("2");

    expect(ids(await caller.list({ ifReleased: "true", isSystem: "true" }))).toEqual(["sys"]);
  });

  it.each([
    [{ pageSize: "0" }],
    [{ pageNo: "-1" }],
    [{ pageSize: "ten" }],
    [{ ifReleased: "yes" }],
    [{ isSystem: "1" }],
  ])("answers 99400 for invalid %o", async (query) => {
    const caller = await start();
    expect(codeOf(await caller.list(query))).toBe(99400);
  });
});

describe("pipeline details", () => {
  it("gives the draft by default and the released version with ifReleased=true; no status field", async () => {
    const caller = await start();
    await sim!.admin.saveDraft(P1);
    const draft = await caller.details(P1);
    expect(draft.json.code).toBe(0);
    expect(draft.json.data).toEqual({
      pipelineId: P1,
      pipelineName: "Demo pipeline 1",
      desc: "",
      version: "2",
      templateType: expect.any(String),
      templateName: expect.any(String),
      messageChannel: expect.any(String),
      pipelineJson: expect.any(String),
    });
    expect((await caller.details(P1, { ifReleased: "false" })).json.data.version).toBe("2");
    expect((await caller.details(P1, { ifReleased: "true" })).json.data.version).toBe("1");
  });

  it("61108 for an unknown pipeline and for the released view of a never-released one", async () => {
    const caller = await start();
    const unknown = await caller.details("nope");
    expect(unknown.json).toMatchObject({ code: 61108, data: null });
    await sim!.admin.upsertPipeline({ pipelineId: "fresh", orgId: ORG, status: "UNRELEASED" });
    expect((await caller.details("fresh")).json.code).toBe(0);
    const notReleased = await caller.details("fresh", { ifReleased: "true" });
    expect(notReleased.json.code).toBe(61108);
    expect(notReleased.json.msg).toMatch(/not been released/);
  });
});

describe("operate: the status machine", () => {
  it("runs PUBLISHED → RUNNING → PAUSED → RUNNING → STOPPED with the documented envelope", async () => {
    const caller = await start();
    const started = await caller.start(P1);
    expect(started.json).toEqual({ code: 0, msg: "OK", requestId: expect.any(String), data: "" });
    expect((await sim!.admin.pipeline(P1)).status).toBe("RUNNING");
    expect(codeOf(await caller.operate(P1, "pause"))).toBe(0);
    expect((await sim!.admin.pipeline(P1)).status).toBe("PAUSED");
    expect(codeOf(await caller.start(P1))).toBe(0);
    expect((await sim!.admin.pipeline(P1)).status).toBe("RUNNING");
    expect(codeOf(await caller.operate(P1, "stop"))).toBe(0);
    const stopped = await sim!.admin.pipeline(P1);
    expect(stopped.status).toBe("STOPPED");
    expect(stopped.startCount).toBe(2);
    expect(stopped.lastStartBody).toEqual(STANDALONE_1);
    // Stop from PAUSED is allowed too.
    await caller.start(P1);
    await caller.operate(P1, "pause");
    expect(codeOf(await caller.operate(P1, "stop"))).toBe(0);
  });

  it("release copies the draft to the released version, from never-released, STOPPED, PAUSED or PUBLISHED", async () => {
    const caller = await start();
    await sim!.admin.upsertPipeline({
      pipelineId: "fresh",
      orgId: ORG,
      status: "UNRELEASED",
      draftVersion: "3",
    });
    expect(codeOf(await caller.operate("fresh", "release"))).toBe(0);
    expect(await sim!.admin.pipeline("fresh")).toMatchObject({ status: "PUBLISHED", releasedVersion: "3" });

    await sim!.admin.saveDraft(P1);
    expect(codeOf(await caller.operate(P1, "release"))).toBe(0);
    expect(await sim!.admin.pipeline(P1)).toMatchObject({
      status: "PUBLISHED",
      releasedVersion: "2",
      draftVersion: "2",
    });

    await caller.start(P2);
    await caller.operate(P2, "pause");
    expect(codeOf(await caller.operate(P2, "release"))).toBe(0);
    await caller.start(P2);
    await caller.operate(P2, "stop");
    expect(codeOf(await caller.operate(P2, "release"))).toBe(0);
  });

  it("refuses illegal transitions with 61169, 61165, 61152", async () => {
    const caller = await start();
    await caller.start(P1);
    const release = await caller.operate(P1, "release");
    expect(release.json).toMatchObject({ code: 61169, data: null });
    expect(release.json.msg).toContain("[RUNNING]");
    const again = await caller.start(P1);
    expect(again.json.code).toBe(61165);
    expect(again.json.msg).toBe("Stream processing job with status [RUNNING] cannot be started");

    const pause = await caller.operate(P2, "pause");
    expect(pause.json.code).toBe(61152);
    expect(pause.json.msg).toBe(
      "Status of the stream processing job cannot be changed from [PUBLISHED] to Paused",
    );
    const stop = await caller.operate(P2, "stop");
    expect(stop.json.code).toBe(61152);
    expect(stop.json.msg).toBe(
      "Status of the stream processing job cannot be changed from [PUBLISHED] to Stopped",
    );

    await sim!.admin.upsertPipeline({ pipelineId: "fresh", orgId: ORG, status: "UNRELEASED" });
    expect((await caller.start("fresh")).json.msg).toContain("[UNRELEASED]");
  });

  it("61108 for an unknown pipeline on every pipeline call, and for another org's pipeline", async () => {
    const seed: Seed = {
      ...defaultSeed,
      orgs: [...(defaultSeed.orgs ?? []), { orgId: "o-two", quotas: { standalone: 4 } }],
      apps: [{ accessKey: "demo-access-key", secretKey: "demo-secret-key" }],
      pipelines: [...(defaultSeed.pipelines ?? []), { pipelineId: "two-1", orgId: "o-two" }],
    };
    const caller = await start({ ...FAST, seed });
    for (const action of ["save", "release", "start", "pause", "stop"]) {
      expect(codeOf(await caller.operate("nope", action, STANDALONE_1))).toBe(61108);
    }
    expect(codeOf(await caller.offsetLag("nope"))).toBe(61108);
    expect(codeOf(await caller.resetOffset("nope"))).toBe(61108);
    expect(codeOf(await caller.details("two-1"))).toBe(61108);
    expect(codeOf(await caller.operate("two-1", "start", STANDALONE_1))).toBe(61108);
    expect(codeOf(await caller.operate("two-1", "start", STANDALONE_1, "o-two"))).toBe(0);
  });

  it("99400 for an unknown action; save bumps the draft", async () => {
    const caller = await start();
    expect(codeOf(await caller.operate(P1, "resume"))).toBe(99400);
    expect(codeOf(await caller.operate(P1, "save", { pipelineJson: '{"stages":[]}' }))).toBe(0);
    expect((await sim!.admin.pipeline(P1)).draftVersion).toBe("2");
    expect((await caller.details(P1)).json.data.pipelineJson).toBe('{"stages":[]}');
  });

  it("pipeline ids are path-decoded", async () => {
    const caller = await start();
    await sim!.admin.upsertPipeline({ pipelineId: "odd id/ü", orgId: ORG });
    expect((await caller.details("odd id/ü")).json.data.pipelineId).toBe("odd id/ü");
  });
});

describe("start body validation (61100)", () => {
  it.each([
    ["no body", undefined],
    ["not JSON", "{executionMode:0"],
    ["executionMode 2", { executionMode: 2, kafkaRate: 1000 }],
    ["executionMode as string", { executionMode: "0", kafkaRate: 1000 }],
    ["missing kafkaRate", { executionMode: 0, resourceConfig: { server: 1 } }],
    ["kafkaRate 0", { executionMode: 0, kafkaRate: 0 }],
    ["kafkaRate 1.5", { executionMode: 0, kafkaRate: 1.5 }],
    ["kafkaRate as string", { executionMode: 0, kafkaRate: "1000" }],
    ["server 0", standalone(0)],
    ["server not a number", standalone("two")],
    ["standalone resourceConfig array", { executionMode: 0, kafkaRate: 1, resourceConfig: [1] }],
    ["cluster without yarn", { executionMode: 1, kafkaRate: 1, resourceConfig: { server: 1 } }],
    ["cluster without resourceConfig", { executionMode: 1, kafkaRate: 1 }],
    [
      "cluster yarn.slave missing",
      { executionMode: 1, kafkaRate: 1, resourceConfig: { server: 1, yarn: { workerCount: 1, master: 1 } } },
    ],
    [
      "advanced not key/value",
      {
        executionMode: 1,
        kafkaRate: 1,
        resourceConfig: { server: 1, yarn: { workerCount: 1, master: 1, slave: 1 }, advanced: [{ k: "a" }] },
      },
    ],
  ])("%s", async (_name, body) => {
    const caller = await start();
    const res = await caller.operate(P1, "start", body);
    expect(res.json.code).toBe(61100);
    expect(res.json.msg).toMatch(/^The Stream configuration JSON is invalid/);
    expect((await sim!.admin.pipeline(P1)).status).toBe("PUBLISHED");
  });

  it.each([
    ["standalone {server}", STANDALONE_1],
    ["standalone bare number", { executionMode: 0, kafkaRate: 10, resourceConfig: 2 }],
    ["standalone server as string", standalone("2")],
    ["standalone without resourceConfig", { executionMode: 0, kafkaRate: 10 }],
    ["cluster", CLUSTER_5],
    [
      "cluster with string counts",
      {
        executionMode: 1,
        kafkaRate: 10,
        resourceConfig: { server: "1", yarn: { workerCount: "2", master: 1, slave: 2 } },
      },
    ],
  ])("accepts %s", async (_name, body) => {
    const caller = await start();
    expect(codeOf(await caller.operate(P1, "start", body))).toBe(0);
    const p = await sim!.admin.pipeline(P1);
    expect(p.status).toBe("RUNNING");
    expect(p.lastStartBody).toEqual(body);
  });
});

describe("quotas", () => {
  it("counts standalone CUs = server and refuses a start above the free CUs with 61126", async () => {
    const caller = await start();
    const tooBig = await caller.start(P1, standalone(33));
    expect(tooBig.json.code).toBe(61126);
    expect(tooBig.json.msg).toContain("33");
    expect(codeOf(await caller.start(P1, standalone(30)))).toBe(0);
    expect(codeOf(await caller.start(P2, standalone(3)))).toBe(61126);
    expect(codeOf(await caller.start(P2, standalone(2)))).toBe(0);
    const org = (await sim!.admin.state()).orgs[0]!;
    expect(org.used).toEqual({ standalone: 32, cluster: 0 });
    // Stopping frees the CUs; a paused pipeline holds none either.
    await caller.operate(P1, "pause");
    expect(codeOf(await caller.start("demo-pipeline-3", standalone(30)))).toBe(0);
    expect(codeOf(await caller.start(P1, standalone(1)))).toBe(61126);
  });

  it("counts cluster CUs = server + master + slave × workerCount, per mode", async () => {
    const caller = await start({ ...FAST, seed: makeSeed({ standaloneQuota: 1, clusterQuota: 10 }) });
    expect(codeOf(await caller.start(P1, CLUSTER_5))).toBe(0);
    expect((await sim!.admin.state()).orgs[0]!.used).toEqual({ standalone: 0, cluster: 5 });
    expect(codeOf(await caller.start(P2, CLUSTER_5))).toBe(0);
    expect(codeOf(await caller.start("demo-pipeline-3", CLUSTER_5))).toBe(61126);
    expect(codeOf(await caller.start("demo-pipeline-3", STANDALONE_1))).toBe(0);
    expect((await sim!.admin.pipeline(P1)).executionMode).toBe(1);
  });

  it("61128 for a cluster start in an org without cluster resources", async () => {
    const caller = await start({ ...FAST, seed: makeSeed({ clusterQuota: null }) });
    const res = await caller.start(P1, CLUSTER_5);
    expect(res.json.code).toBe(61128);
    expect(res.json.msg).toContain("cluster");
    expect(codeOf(await caller.start(P1, STANDALONE_1))).toBe(0);
    await sim!.admin.setQuotas(ORG, { standalone: null });
    expect(codeOf(await caller.start(P2, STANDALONE_1))).toBe(61128);
  });
});

describe("offset and lag", () => {
  it("offset-lag needs RUNNING (99000 otherwise) and returns the documented shape", async () => {
    const caller = await start();
    const notRunning = await caller.offsetLag(P1);
    expect(notRunning.json).toMatchObject({ code: 99000, data: null });
    await caller.start(P1);
    const res = await caller.offsetLag(P1);
    expect(res.json.code).toBe(0);
    expect(res.json.data).toEqual({
      pipelineId: P1,
      topicName: expect.any(String),
      lagAndOffset: [{ lag: expect.any(Number), offset: expect.any(Number), ts: expect.any(Number) }],
    });
  });

  it("reset offset needs PAUSED or STOPPED (61168 otherwise)", async () => {
    const caller = await start();
    expect(codeOf(await caller.resetOffset(P1))).toBe(61168);
    await caller.start(P1);
    const running = await caller.resetOffset(P1);
    expect(running.json.code).toBe(61168);
    expect(running.json.msg).toContain("[RUNNING]");
    await caller.operate(P1, "pause");
    expect(codeOf(await caller.resetOffset(P1))).toBe(0);
    await caller.operate(P1, "stop");
    expect(codeOf(await caller.resetOffset(P1))).toBe(0);
    const p = await sim!.admin.pipeline(P1);
    expect(p.offsetResets).toBe(2);
    expect(p.offset).toBe(0);
  });
});

describe("delays and transitional statuses", () => {
  it("shows STARTING/PAUSING/STOPPING/RELEASING while a transition runs and refuses calls meanwhile", async () => {
    // Transitions are held until the test lets them finish: nothing races the simulator's timers.
    const caller = await start({ delays: { start: 150, pause: 150, stop: 150, release: 150 } });
    await sim!.admin.holdTransitions(P1);
    const finish = async (status: string): Promise<void> => {
      expect((await sim!.admin.proceed(P1)).status).toBe(status);
      await sim!.admin.holdTransitions(P1);
    };
    const statusOf = async (id: string): Promise<string> =>
      (await caller.list({ ifReleased: "true" })).json.data.pipelines.find((p: any) => p.pipelineId === id)
        .status;

    expect(codeOf(await caller.start(P1))).toBe(0);
    expect(await statusOf(P1)).toBe("STARTING");
    const p = await sim!.admin.pipeline(P1);
    expect(p.transition).toMatchObject({ action: "start", from: "PUBLISHED", to: "RUNNING" });
    expect((await caller.start(P1)).json.msg).toBe(
      "Stream processing job with status [STARTING] cannot be started",
    );
    expect(codeOf(await caller.operate(P1, "pause"))).toBe(61152);
    expect(codeOf(await caller.operate(P1, "stop"))).toBe(61152);
    expect(codeOf(await caller.operate(P1, "release"))).toBe(61169);
    expect(codeOf(await caller.resetOffset(P1))).toBe(61168);
    expect(codeOf(await caller.offsetLag(P1))).toBe(99000);
    await finish("RUNNING");

    expect(codeOf(await caller.operate(P1, "pause"))).toBe(0);
    expect(await statusOf(P1)).toBe("PAUSING");
    expect(codeOf(await caller.start(P1))).toBe(61165);
    await finish("PAUSED");

    expect(codeOf(await caller.operate(P1, "stop"))).toBe(0);
    expect(await statusOf(P1)).toBe("STOPPING");
    expect(codeOf(await caller.operate(P1, "stop"))).toBe(61152);
    await finish("STOPPED");

    await sim!.admin.saveDraft(P1);
    expect(codeOf(await caller.operate(P1, "release"))).toBe(0);
    expect(await statusOf(P1)).toBe("RELEASING");
    expect((await caller.details(P1, { ifReleased: "true" })).json.data.version).toBe("1");
    expect(codeOf(await caller.operate(P1, "release"))).toBe(61169);
    await finish("PUBLISHED");
    expect((await caller.details(P1, { ifReleased: "true" })).json.data.version).toBe("2");
  });

  it("a first release shows RELEASING in the released listing", async () => {
    const caller = await start({ delays: { release: 150 } });
    await sim!.admin.upsertPipeline({ pipelineId: "fresh", orgId: ORG, status: "UNRELEASED" });
    await sim!.admin.holdTransitions("fresh");
    await caller.operate("fresh", "release");
    const row = (await caller.list({ ifReleased: "true" })).json.data.pipelines.find(
      (p: any) => p.pipelineId === "fresh",
    );
    expect(row).toMatchObject({ status: "RELEASING" });
    expect((await sim!.admin.proceed("fresh")).status).toBe("PUBLISHED");
  });

  it("allows one start in progress per org: another start gets 61121 until it finishes", async () => {
    const caller = await start({ delays: { start: 200 } });
    await sim!.admin.holdTransitions(P1);
    expect(codeOf(await caller.start(P1))).toBe(0);
    const second = await caller.start(P2);
    expect(second.json.code).toBe(61121);
    expect(second.json.msg).toMatch(/Another user in the organization is starting/);
    expect((await sim!.admin.state()).orgs[0]!.startingPipelineId).toBe(P1);
    expect((await sim!.admin.proceed(P1)).status).toBe("RUNNING");
    expect(codeOf(await caller.start(P2))).toBe(0);
  });

  it("config changes delays at run time and latency delays every call", async () => {
    const caller = await start();
    // A stop delay no run of the test reaches: the stop is certainly still in progress when the test looks.
    const cfg = await sim!.admin.setConfig({ delays: { stop: 600_000 }, latencyMs: 5 });
    expect(cfg).toEqual({
      delays: { start: 0, pause: 0, stop: 600_000, release: 0 },
      latencyMs: 5,
      tokenTtlSeconds: 7200,
    });
    await caller.start(P1);
    await caller.operate(P1, "stop");
    const stopping = await sim!.admin.pipeline(P1);
    expect(stopping.status).toBe("STOPPING");
    expect(stopping.transition!.completesAt! - stopping.transition!.startedAt).toBe(600_000);
    expect((await sim!.admin.proceed(P1)).status).toBe("STOPPED");
  });
});

describe("out-of-band changes (admin)", () => {
  it("a console stop, a new draft and a deletion are visible to the API", async () => {
    const caller = await start();
    await caller.start(P1);
    await sim!.admin.setPipelineStatus(P1, "STOPPED");
    expect((await caller.list({ ifReleased: "true" })).json.data.pipelines[0].status).toBe("STOPPED");
    await sim!.admin.setPipelineStatus(P1, "SUSPENDED_BY_OPS");
    expect((await caller.list({ ifReleased: "true" })).json.data.pipelines[0].status).toBe(
      "SUSPENDED_BY_OPS",
    );
    await sim!.admin.deletePipeline(P1);
    expect(codeOf(await caller.details(P1))).toBe(61108);
    expect((await caller.list({ ifReleased: "true" })).json.data.count).toBe(2);
  });

  it("RUN_ERROR can be started again or stopped", async () => {
    const caller = await start();
    await sim!.admin.setPipelineStatus(P1, "RUN_ERROR");
    expect(codeOf(await caller.operate(P1, "pause"))).toBe(61152);
    expect(codeOf(await caller.start(P1))).toBe(0);
    await sim!.admin.setPipelineStatus(P1, "RUN_ERROR");
    expect(codeOf(await caller.operate(P1, "stop"))).toBe(0);
    expect((await sim!.admin.pipeline(P1)).status).toBe("STOPPED");
  });
});
