import { afterEach, describe, expect, it } from "vitest";
import type { RunningSimulator, StartSimulatorOptions } from "../../simulator/index.js";
import { FAST, FLOWS, STREAMING, TestCaller, codeOf, withSim } from "./helpers.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(
  options: StartSimulatorOptions = FAST,
): Promise<{ caller: TestCaller; admin: RunningSimulator["admin"] }> {
  const made = await withSim(options);
  sim = made.sim;
  await made.caller.accessToken();
  return { caller: made.caller, admin: made.sim.admin };
}

const P1 = "demo-pipeline-1";
const P2 = "demo-pipeline-2";

describe("fault rules", () => {
  it("latency delays matching calls only", async () => {
    const { caller, admin } = await start();
    await admin.addFault({ kind: "latency", latencyMs: 60, match: { endpoint: "listPipelines" } });
    const t0 = Date.now();
    expect(codeOf(await caller.list())).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    await caller.details(P1);
    const log = await admin.requests();
    expect(log.find((e) => e.endpoint === "listPipelines")!.faults).toEqual(["latency"]);
    expect(log.find((e) => e.endpoint === "getPipeline")!.faults).toEqual([]);
  });

  it("serverError before: 5xx with an envelope, nothing happened; limited by count", async () => {
    const { caller, admin } = await start();
    await admin.addFault({ kind: "serverError", status: 503, count: 1, match: { action: "start" } });
    const res = await caller.start(P1);
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ code: 503, data: null });
    expect((await admin.pipeline(P1)).status).toBe("PUBLISHED");
    expect(codeOf(await caller.start(P1))).toBe(0);
    const [rule] = await admin.faults();
    expect(rule).toMatchObject({ kind: "serverError", remaining: 0, fired: 1 });
  });

  it("skip lets the first matching requests through, then the rule fires", async () => {
    const { caller, admin } = await start();
    await admin.addFault({
      kind: "serverError",
      status: 500,
      skip: 2,
      count: 1,
      match: { endpoint: "getFlow" },
    });
    expect((await caller.getFlow(3377)).status).toBe(200);
    expect((await caller.getFlow(3377)).status).toBe(200);
    expect((await caller.getFlow(3377)).status).toBe(500);
    expect((await caller.getFlow(3377)).status).toBe(200);
    expect((await admin.faults())[0]).toMatchObject({ fired: 1, remaining: 0, toSkip: 0 });
  });

  it("serverError after: the call took effect but the answer is a 500; a raw body replaces the envelope", async () => {
    const { caller, admin } = await start();
    await admin.addFault({
      kind: "serverError",
      status: 500,
      phase: "after",
      count: 1,
      match: { pipelineId: P1 },
    });
    const res = await caller.start(P1);
    expect(res.status).toBe(500);
    expect((await admin.pipeline(P1)).status).toBe("RUNNING");

    await admin.addFault({ kind: "serverError", status: 502, body: "<html>Bad Gateway</html>", count: 1 });
    const html = await caller.list();
    expect(html.status).toBe(502);
    expect(html.text).toBe("<html>Bad Gateway</html>");
  });

  it("reset destroys the connection before (no effect) or after (effect) handling", async () => {
    const { caller, admin } = await start();
    await admin.addFault({ kind: "reset", count: 1, match: { endpoint: "startPipeline" } });
    await expect(caller.start(P1)).rejects.toThrow();
    expect((await admin.pipeline(P1)).status).toBe("PUBLISHED");
    await admin.addFault({ kind: "reset", phase: "after", count: 1, match: { endpoint: "startPipeline" } });
    await expect(caller.start(P1)).rejects.toThrow();
    expect((await admin.pipeline(P1)).status).toBe("RUNNING");
    const log = await admin.requests();
    expect(
      log.filter((e) => e.endpoint === "startPipeline").map((e) => [e.httpStatus, e.code, e.faults]),
    ).toEqual([
      [0, null, ["reset"]],
      [0, null, ["reset"]],
    ]);
  });

  it("rateLimit answers 429 with Retry-After", async () => {
    const { caller, admin } = await start();
    await admin.addFault({ kind: "rateLimit", retryAfterSeconds: 2, count: 1 });
    const res = await caller.list();
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.json.code).toBe(429);
    expect(codeOf(await caller.list())).toBe(0);
  });

  it("startLock is a 61121 storm on starts only", async () => {
    const { caller, admin } = await start();
    await admin.addFault({ kind: "startLock", count: 2 });
    expect(codeOf(await caller.list())).toBe(0);
    expect(codeOf(await caller.operate(P1, "release"))).toBe(0);
    expect(codeOf(await caller.start(P1))).toBe(61121);
    expect(codeOf(await caller.start(P1))).toBe(61121);
    expect(codeOf(await caller.start(P1))).toBe(0);
  });

  it("stuck keeps a transition of the chosen pipeline transitional forever", async () => {
    const { caller, admin } = await start({ delays: { start: 10, stop: 10, pause: 10, release: 10 } });
    await admin.addFault({ kind: "stuck", match: { pipelineId: P1, action: "stop" } });
    await caller.start(P1);
    await admin.waitForPipelineStatus(P1, "RUNNING");
    expect(codeOf(await caller.operate(P1, "stop"))).toBe(0);
    await caller.start(P2);
    await admin.waitForPipelineStatus(P2, "RUNNING");
    await caller.operate(P2, "stop");
    await admin.waitForPipelineStatus(P2, "STOPPED");
    // P2's stop, sent after P1's with the same delay, has completed; P1's has no completion scheduled at all
    // (completesAt null), so nothing but a console user ends it: no waiting needed to see it stays.
    const p1 = await admin.pipeline(P1);
    expect(p1.status).toBe("STOPPING");
    expect(p1.transition).toMatchObject({ action: "stop", completesAt: null });
    // A console user can still unstick it.
    await admin.setPipelineStatus(P1, "STOPPED");
    expect((await admin.pipeline(P1)).transition).toBeNull();
  });

  it("a stuck start holds the org's start lock", async () => {
    const { caller, admin } = await start({ delays: { start: 10 } });
    await admin.addFault({ kind: "stuck", match: { pipelineId: P1 } });
    await caller.start(P1);
    expect((await admin.pipeline(P1)).status).toBe("STARTING");
    expect(codeOf(await caller.start(P2))).toBe(61121);
  });

  it("startError makes a start end in RUN_ERROR and frees its CUs", async () => {
    const { caller, admin } = await start({ delays: { start: 20 } });
    await admin.addFault({ kind: "startError", match: { pipelineId: P1 }, count: 1 });
    expect(
      codeOf(await caller.start(P1, { executionMode: 0, kafkaRate: 5, resourceConfig: { server: 30 } })),
    ).toBe(0);
    await admin.waitForPipelineStatus(P1, "RUN_ERROR");
    const row = (await caller.list({ ifReleased: "true" })).json.data.pipelines[0];
    expect(row.status).toBe("RUN_ERROR");
    expect((await admin.state()).orgs[0]!.used.standalone).toBe(0);
    expect(codeOf(await caller.start(P1))).toBe(0);
    await admin.waitForPipelineStatus(P1, "RUNNING");
  });

  describe("malformed answers", () => {
    it("nonJson", async () => {
      const { caller, admin } = await start();
      await admin.addFault({ kind: "malformed", malformed: "nonJson", count: 1 });
      const res = await caller.list();
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      expect(res.json).toBeUndefined();
    });

    it("wrongTypes swaps the types of every data field", async () => {
      const { caller, admin } = await start();
      await admin.addFault({
        kind: "malformed",
        malformed: "wrongTypes",
        count: 1,
        match: { endpoint: "listPipelines" },
      });
      const res = await caller.list({ ifReleased: "true" });
      expect(res.json.code).toBe(0);
      expect(typeof res.json.data.count).toBe("string");
      expect(typeof res.json.data.pipelines[0].status).toBe("number");
      expect(typeof res.json.data.pipelines[0].pipelineId).toBe("number");
    });

    it("truncated: a complete HTTP answer with half a JSON body", async () => {
      const { caller, admin } = await start();
      await admin.addFault({ kind: "malformed", malformed: "truncated", count: 1 });
      const res = await caller.list();
      expect(res.status).toBe(200);
      expect(res.json).toBeUndefined();
      expect(res.text.startsWith('{"code":0')).toBe(true);
    });

    it("cutOff: the connection dies in the middle of the body", async () => {
      const { caller, admin } = await start();
      await admin.addFault({ kind: "malformed", malformed: "cutOff", count: 1 });
      await expect(caller.list()).rejects.toThrow();
      expect(codeOf(await caller.list())).toBe(0);
    });

    it("huge: a valid envelope padded to the requested size", async () => {
      const { caller, admin } = await start();
      await admin.addFault({ kind: "malformed", malformed: "huge", hugeBytes: 2_000_000, count: 1 });
      const res = await caller.list();
      expect(res.text.length).toBeGreaterThan(2_000_000);
      expect(res.json.code).toBe(0);
      expect(res.json.data.count).toBe(0);
    });

    it("phase after: the mutation took effect under the broken answer", async () => {
      const { caller, admin } = await start();
      await admin.addFault({ kind: "malformed", malformed: "nonJson", match: { endpoint: "stopPipeline" } });
      await caller.start(P1);
      const res = await caller.operate(P1, "stop");
      expect(res.json).toBeUndefined();
      expect((await admin.pipeline(P1)).status).toBe("STOPPED");
    });
  });

  describe("matching and limits", () => {
    it("matches by method, path glob, endpoint, pipelineId, flowId and orgId", async () => {
      const { caller, admin } = await start();
      await admin.addFaults([
        {
          kind: "serverError",
          id: "by-method",
          match: { method: "post", path: `${STREAMING}/pipeline/${P2}` },
        },
        {
          kind: "serverError",
          id: "by-glob",
          status: 504,
          match: { path: `${STREAMING}/pipeline/demo-pipeline-3*` },
        },
        { kind: "serverError", id: "by-flow", status: 502, match: { flowId: 3378 } },
        { kind: "serverError", id: "by-org", status: 500, match: { orgId: "o-other" } },
      ]);
      expect((await caller.details(P2)).status).toBe(200);
      expect((await caller.operate(P2, "stop")).status).toBe(503);
      expect((await caller.details("demo-pipeline-3")).status).toBe(504);
      expect((await caller.offsetLag("demo-pipeline-3")).status).toBe(504);
      expect((await caller.getFlow(3378)).status).toBe(502);
      expect((await caller.setFlow("enable", 3378)).status).toBe(502);
      expect((await caller.getFlow(3377)).status).toBe(200);
      expect(
        (await caller.call("GET", `${STREAMING}/pipelines`, { query: { orgId: "o-other" } })).status,
      ).toBe(500);
      expect((await caller.list()).status).toBe(200);
      expect(await admin.removeFault("by-flow")).toBe(true);
      expect((await caller.getFlow(3378)).status).toBe(200);
      await admin.clearFaults();
      expect(await admin.faults()).toEqual([]);
      expect((await caller.operate(P2, "stop")).status).toBe(200);
    });

    it("probability draws from the injected random source", async () => {
      const draws = [0.9, 0.1, 0.6, 0.4];
      let i = 0;
      const { caller, admin } = await start({ ...FAST, random: () => draws[i++ % draws.length]! });
      await admin.addFault({ kind: "serverError", probability: 0.5, match: { endpoint: "getFlow" } });
      const statuses: number[] = [];
      for (let n = 0; n < 4; n++) statuses.push((await caller.getFlow(3377)).status);
      expect(statuses).toEqual([200, 503, 200, 503]);
      expect((await admin.faults())[0]).toMatchObject({ fired: 2, remaining: null });
    });

    it("the token service can be faulted too", async () => {
      const { caller, admin } = await start();
      await admin.addFault({ kind: "serverError", count: 1, match: { endpoint: "tokenGet" } });
      expect((await caller.tokenGet()).status).toBe(503);
      expect((await caller.tokenGet()).json.status).toBe(0);
    });

    it("rejects invalid rules with HTTP 400", async () => {
      const { admin } = await start();
      await expect(admin.addFault({ kind: "explode" } as never)).rejects.toThrow(/HTTP 400/);
      await expect(admin.addFault({ kind: "serverError", status: 404 } as never)).rejects.toThrow(/HTTP 400/);
      await expect(
        admin.addFault({ kind: "latency", latencyMs: 1, match: { bogus: 1 } } as never),
      ).rejects.toThrow(/HTTP 400/);
      expect(await admin.faults()).toEqual([]);
    });
  });

  it("flows endpoints honour faults on the batch path", async () => {
    const { caller, admin } = await start();
    await admin.addFault({ kind: "rateLimit", match: { path: FLOWS }, count: 1 });
    expect((await caller.setFlow("enable", 3377)).status).toBe(429);
    expect((await caller.getFlow(3377)).json.data.active).toBe(0);
  });
});
