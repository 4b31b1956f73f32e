import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, SimulatorAdmin, makeSeed, startSimulator } from "../../simulator/index.js";
import { ACCESS_KEY, FAST, SECRET_KEY, STANDALONE_1, TestCaller, codeOf, withSim } from "./helpers.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options = FAST): Promise<{ caller: TestCaller; admin: SimulatorAdmin }> {
  const made = await withSim(options);
  sim = made.sim;
  return { caller: made.caller, admin: made.sim.admin };
}

const P1 = "demo-pipeline-1";

describe("admin API", () => {
  it("state shows orgs with quotas and usage, apps without secrets, users, pipelines, flows, config", async () => {
    const { caller, admin } = await start();
    await caller.start(P1);
    const state = await admin.state();
    expect(state.orgs).toEqual([
      {
        orgId: "o-demo",
        quotas: { standalone: 32, cluster: 64 },
        used: { standalone: 1, cluster: 0 },
        startingPipelineId: null,
      },
    ]);
    expect(state.apps).toEqual([{ accessKey: ACCESS_KEY, orgId: "o-demo" }]);
    expect(JSON.stringify(state)).not.toContain(SECRET_KEY);
    expect(state.users).toEqual([{ userId: "u-demo", orgId: "o-demo", locked: false }]);
    expect(state.pipelines.map((p) => [p.pipelineId, p.status, p.draftVersion, p.releasedVersion])).toEqual([
      [P1, "RUNNING", "1", "1"],
      ["demo-pipeline-2", "PUBLISHED", "1", "1"],
      ["demo-pipeline-3", "PUBLISHED", "1", "1"],
    ]);
    expect(state.pipelines[0]!.lastStartBody).toEqual(STANDALONE_1);
    expect(state.flows.map((f) => [f.flowId, f.active, f.owner])).toEqual([
      [3377, 0, "u-demo"],
      [3378, 1, "u-demo"],
    ]);
    expect(state.config).toEqual(await admin.config());
    expect(state.tokens.live).toBe(1);
  });

  it("reset returns to the seed and forgets tokens, faults, log, counts and config changes", async () => {
    const { caller, admin } = await start();
    await caller.start(P1);
    await admin.addFault({ kind: "latency", latencyMs: 1 });
    await admin.setConfig({ latencyMs: 3 });
    await admin.reset();
    expect((await admin.pipeline(P1)).status).toBe("PUBLISHED");
    expect(await admin.faults()).toEqual([]);
    expect(await admin.requests()).toEqual([]);
    expect((await admin.counts()).total).toBe(0);
    expect((await admin.config()).latencyMs).toBe(0);
    expect(codeOf(await caller.list())).toBe(1203);
  });

  it("reset with a new seed replaces the seed; an invalid seed is refused", async () => {
    const { admin } = await start();
    await admin.reset(makeSeed({ pipelines: 2, flows: 2 }));
    const state = await admin.state();
    expect(state.pipelines).toHaveLength(5);
    expect(state.flows.map((f) => [f.flowId, f.active])).toEqual([
      [3377, 0],
      [3378, 1],
      [100001, 1],
      [100002, 0],
    ]);
    await admin.reset();
    expect((await admin.state()).pipelines).toHaveLength(5);
    await expect(admin.reset({ pipelines: [{ pipelineId: "x", orgId: "missing-org" }] })).rejects.toThrow(
      /unknown org/,
    );
  });

  it("logs every EnOS call without tokens, signatures or encryption, and counts per endpoint", async () => {
    const { caller, admin } = await start();
    const token = await caller.accessToken();
    await caller.list({ ifReleased: "true" });
    await caller.start(P1);
    await caller.operate("nope", "stop");
    await caller.setFlow("enable", 3377);
    await caller.getFlow(3377);
    const log = await admin.requests();
    expect(log.map((e) => e.endpoint)).toEqual([
      "tokenGet",
      "listPipelines",
      "startPipeline",
      "stopPipeline",
      "enableFlow",
      "getFlow",
    ]);
    const text = JSON.stringify(log);
    expect(text).not.toContain(token);
    expect(text).not.toContain(SECRET_KEY);
    expect(log[0]!.body).toContain('"encryption":"[redacted]"');
    expect(log[2]).toEqual({
      seq: expect.any(Number),
      at: expect.any(Number),
      method: "POST",
      path: `/streaming/v2.0/streaming/pipeline/${P1}`,
      query: { action: "start", orgId: "o-demo" },
      body: JSON.stringify(STANDALONE_1),
      endpoint: "startPipeline",
      httpStatus: 200,
      code: 0,
      mutation: true,
      pipelineId: P1,
      action: "start",
      orgId: "o-demo",
      faults: [],
      requestId: expect.any(String),
    });
    expect(log[3]).toMatchObject({ code: 61108, mutation: true, pipelineId: "nope" });
    expect(log[4]).toMatchObject({ flowId: 3377, action: "enable", mutation: true });
    expect(log[5]).toMatchObject({ flowId: 3377, action: "get", mutation: false });
    expect(await admin.requests(log[3]!.seq)).toHaveLength(2);

    expect(await admin.counts()).toEqual({
      total: 6,
      mutations: 3,
      byEndpoint: {
        tokenGet: 1,
        listPipelines: 1,
        startPipeline: 1,
        stopPipeline: 1,
        enableFlow: 1,
        getFlow: 1,
      },
    });
    await admin.clearRequests();
    expect(await admin.requests()).toEqual([]);
    expect((await admin.counts()).total).toBe(0);
    await caller.list();
    expect((await admin.requests())[0]!.seq).toBeGreaterThan(log[5]!.seq);
  });

  it("the refresh body's accessToken is redacted too", async () => {
    const { caller, admin } = await start();
    const token = await caller.accessToken();
    await caller.raw(
      "POST",
      "/apim-token-service/v2.0/token/refresh",
      JSON.stringify(caller.tokenBody({ accessToken: token })),
    );
    expect(JSON.stringify(await admin.requests())).not.toContain(token);
  });

  it("upserts pipelines, saves drafts with an explicit version, deletes; 404/400 for bad input", async () => {
    const { admin } = await start();
    const made = await admin.upsertPipeline({ pipelineId: "new", orgId: "o-demo", status: "RUNNING", cu: 4 });
    expect(made).toMatchObject({ status: "RUNNING", heldCu: 4, releasedVersion: "1" });
    expect((await admin.state()).orgs[0]!.used.standalone).toBe(4);
    expect((await admin.saveDraft("new", "7")).draftVersion).toBe("7");
    await admin.deletePipeline("new");
    await expect(admin.pipeline("new")).rejects.toThrow(/HTTP 404/);
    await expect(admin.deletePipeline("new")).rejects.toThrow(/HTTP 404/);
    await expect(admin.upsertPipeline({ pipelineId: "x", orgId: "o-nowhere" })).rejects.toThrow(/HTTP 400/);
    await expect(admin.setFlow(1, { active: 1 })).rejects.toThrow(/HTTP 404/);
    await expect(admin.setUser("nobody", { locked: true })).rejects.toThrow(/HTTP 404/);
    await expect(admin.setConfig({ latencyMs: -1 })).rejects.toThrow(/HTTP 400/);
    await expect(admin.setPipelineStatus(P1, "")).rejects.toThrow(/HTTP 400/);
    const res = await fetch(`${sim!.url}/__sim/nothing`);
    expect(res.status).toBe(404);
    expect(await (await fetch(`${sim!.url}/__sim/health`)).json()).toEqual({ ok: true });
  });

  it("holds transitions until proceed, even with a 0 ms delay, then finishes them at once", async () => {
    const { caller, admin } = await start({ ...FAST, delays: { start: 0, pause: 0, stop: 0, release: 0 } });
    expect((await admin.holdTransitions(P1)).held).toBe(true);
    expect(codeOf(await caller.start(P1))).toBe(0);
    const starting = await admin.pipeline(P1);
    expect(starting.status).toBe("STARTING");
    expect(starting.transition).toMatchObject({ action: "start", to: "RUNNING", completesAt: null });
    // Held, the org's start lock stays taken: another start meets 61121.
    expect(codeOf(await caller.start("demo-pipeline-2"))).toBe(61121);
    const running = await admin.proceed(P1);
    expect(running).toMatchObject({ status: "RUNNING", transition: null, held: false });
    // No longer held: the next transition completes within the call again.
    expect(codeOf(await caller.operate(P1, "pause"))).toBe(0);
    expect((await admin.pipeline(P1)).status).toBe("PAUSED");
  });

  it("a hold placed during a transition stops its timer; proceed with nothing in progress only lets go", async () => {
    const { caller, admin } = await start({
      ...FAST,
      delays: { start: 60_000, pause: 0, stop: 0, release: 0 },
    });
    expect(codeOf(await caller.start(P1))).toBe(0);
    expect((await admin.holdTransitions(P1)).transition?.completesAt).toBeNull();
    expect((await admin.proceed(P1)).status).toBe("RUNNING");
    expect((await admin.proceed("demo-pipeline-2")).status).toBe("PUBLISHED");
    await expect(admin.holdTransitions("nope")).rejects.toThrow(/404 no pipeline nope/);
  });

  it('POST /__sim/faults takes {"rules": [...]} or one bare rule, and says so when it gets neither', async () => {
    const { admin } = await start();
    const post = (body: unknown) =>
      fetch(`${sim!.url}/__sim/faults`, { method: "POST", body: JSON.stringify(body) });
    const wrapped = await post({
      rules: [
        { kind: "latency", latencyMs: 1 },
        { kind: "reset", count: 1 },
      ],
    });
    expect(wrapped.status).toBe(200);
    expect(((await wrapped.json()) as { ids: string[] }).ids).toHaveLength(2);
    const bare = await post({ kind: "startError", match: { pipelineId: P1 } });
    expect(bare.status).toBe(200);
    expect(((await bare.json()) as { ids: string[] }).ids).toHaveLength(1);
    expect((await admin.faults()).map((r) => r.kind)).toEqual(["latency", "reset", "startError"]);
    const neither = await post([{ kind: "reset" }]);
    expect(neither.status).toBe(400);
    expect(await neither.text()).toContain('must be {\\"rules\\": [<rule>, ...]} or one rule');
  });

  it("setPipelineStatus to UNRELEASED withdraws the release", async () => {
    const { caller, admin } = await start();
    await admin.setPipelineStatus(P1, "UNRELEASED");
    expect(codeOf(await caller.details(P1, { ifReleased: "true" }))).toBe(61108);
    await admin.setPipelineStatus(P1, "STOPPED");
    expect((await admin.pipeline(P1)).releasedVersion).toBe("1");
  });

  it("SimulatorAdmin works against any URL (another instance of the class)", async () => {
    await start();
    const other = new SimulatorAdmin(`${sim!.url}/`);
    expect((await other.state()).pipelines).toHaveLength(3);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && !i.internal && i.family === "IPv4");

  it.skipIf(external === undefined)("refuses admin calls from non-loopback peers", async () => {
    sim = await startSimulator({ ...FAST, host: "0.0.0.0" });
    const res = await fetch(`http://${external!.address}:${sim.port}/__sim/state`);
    expect(res.status).toBe(403);
    // The EnOS API itself is not restricted.
    const api = await fetch(
      `http://${external!.address}:${sim.port}/streaming/v2.0/streaming/pipelines?orgId=o-demo`,
    );
    expect(api.status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${sim.port}/__sim/health`)).status).toBe(200);
  });
});
