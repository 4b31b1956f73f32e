import { describe, expect, it } from "vitest";
import type { Received } from "./helpers/loopback.js";
import { clientFor, rejection, useLoopback } from "./helpers/client.js";
import { ok, send } from "./helpers/loopback.js";

const STREAMING = "/streaming/v2.0/streaming";
const BATCH = "/batch-processing-service/v2.1";

const q = (req: Received): Record<string, string> => Object.fromEntries(req.query);
const pipelines = (from: number, n: number): object[] =>
  Array.from({ length: n }, (_, i) => ({
    pipelineId: `p${from + i}`,
    pipelineName: `pipe ${from + i}`,
    status: "RUNNING",
    version: 1,
    orgId: "o1",
    executionMode: 0,
  }));

describe("List Pipelines paging", () => {
  const ctx = useLoopback();

  it("pages from pageNo 1 with pageSize until a short page", async () => {
    const { lb } = ctx;
    const pages = [pipelines(0, 2), pipelines(2, 2), pipelines(4, 1)];
    pages.forEach((page, i) => {
      lb.script((req, res) => {
        expect(req.path).toBe(`${STREAMING}/pipelines`);
        expect(q(req)).toEqual({
          orgId: "o1",
          pageNo: String(i + 1),
          pageSize: "2",
          isSystem: "false",
          ifReleased: "true",
        });
        ok({ count: 99, pipelines: page })(req, res);
      });
    });
    const { client } = clientFor(lb, { pageSize: 2 });
    const list = await client.listPipelines("o1");
    expect(list.map((p) => p.pipelineId)).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    expect(list[0]).toEqual({
      pipelineId: "p0",
      pipelineName: "pipe 0",
      status: "RUNNING",
      version: "1",
      orgId: "o1",
      executionMode: 0,
    });
  });

  it("asks for one more page when the last page is exactly full, and passes ifReleased=false", async () => {
    const { lb } = ctx;
    lb.script(ok({ pipelines: pipelines(0, 2) }), ok({ pipelines: pipelines(2, 2) }), (req, res) => {
      expect(q(req)).toMatchObject({ pageNo: "3", ifReleased: "false" });
      ok({ count: 0, pipelines: [] })(req, res);
    });
    const { client } = clientFor(lb, { pageSize: 2 });
    expect(await client.listPipelines("o1", { ifReleased: false })).toHaveLength(4);
    expect(lb.received).toHaveLength(3);
  });

  it("defaults pageSize to 100", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect(q(req).pageSize).toBe("100");
      ok({ pipelines: pipelines(0, 3) })(req, res);
    });
    expect(await clientFor(lb).client.listPipelines("o1")).toHaveLength(3);
  });

  it("stops when EnOS ignores pageNo and repeats a full page", async () => {
    const { lb } = ctx;
    lb.script(ok({ pipelines: pipelines(0, 2) }), ok({ pipelines: pipelines(0, 2) }));
    const { client } = clientFor(lb, { pageSize: 2 });
    expect(await client.listPipelines("o1")).toHaveLength(2);
    expect(lb.received).toHaveLength(2);
  });
});

describe("typed calls: method, path, query and body", () => {
  const ctx = useLoopback();

  it("getPipeline defaults to the draft (ifReleased=false)", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect([req.method, req.path, q(req)]).toEqual([
        "GET",
        `${STREAMING}/pipeline/p1`,
        { orgId: "o1", ifReleased: "false" },
      ]);
      ok({
        pipelineId: "p1",
        pipelineName: "n",
        desc: "d",
        version: "4",
        templateType: 1,
        pipelineJson: "{}",
      })(req, res);
    });
    lb.script((req, res) => {
      expect(q(req)).toEqual({ orgId: "o1", ifReleased: "true" });
      ok({ pipelineId: "p1", pipelineName: "n", version: 3 })(req, res);
    });
    const { client } = clientFor(lb);
    expect(await client.getPipeline("o1", "p1")).toEqual({
      pipelineId: "p1",
      pipelineName: "n",
      desc: "d",
      version: "4",
      templateType: "1",
    });
    expect((await client.getPipeline("o1", "p1", { ifReleased: true })).version).toBe("3");
  });

  it.each(["release", "pause", "stop"] as const)("%s posts action=%s with no body", async (action) => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect([req.method, req.path, q(req), req.body.length]).toEqual([
        "POST",
        `${STREAMING}/pipeline/p1`,
        { action, orgId: "o1" },
        0,
      ]);
      expect(req.signatureOk).toBe(true);
      send(res, 200, { code: 0, msg: "OK" });
    });
    const { client } = clientFor(lb);
    const calls = {
      release: () => client.releasePipeline("o1", "p1"),
      pause: () => client.pausePipeline("o1", "p1"),
      stop: () => client.stopPipeline("o1", "p1"),
    };
    await calls[action]();
  });

  it("start posts the documented body", async () => {
    const { lb } = ctx;
    const body = { executionMode: 0, kafkaRate: 1000, resourceConfig: { server: 2 } } as const;
    lb.script((req, res) => {
      expect([req.method, req.path, q(req)]).toEqual([
        "POST",
        `${STREAMING}/pipeline/p1`,
        { action: "start", orgId: "o1" },
      ]);
      expect(JSON.parse(req.text)).toEqual(body);
      send(res, 200, { code: 0, msg: "OK" });
    });
    await clientFor(lb).client.startPipeline("o1", "p1", body);
  });

  it("offset reset and offset-lag", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect([req.method, req.path, q(req), req.body.length]).toEqual([
        "POST",
        `${STREAMING}/pipeline/p1/offset`,
        { orgId: "o1" },
        0,
      ]);
      ok()(req, res);
    });
    lb.script((req, res) => {
      expect([req.method, req.path, q(req)]).toEqual([
        "GET",
        `${STREAMING}/pipeline/p1/offset-lag`,
        { orgId: "o1" },
      ]);
      ok({ pipelineId: "p1", topicName: "t", lagAndOffset: [{ lag: 3, offset: 10, ts: 1700000000000 }] })(
        req,
        res,
      );
    });
    const { client } = clientFor(lb);
    await client.resetPipelineOffset("o1", "p1");
    expect(await client.getOffsetLag("o1", "p1")).toEqual({
      pipelineId: "p1",
      topicName: "t",
      lagAndOffset: [{ lag: 3, offset: 10, ts: 1700000000000 }],
    });
  });

  it("getFlow", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect([req.method, req.path, q(req)]).toEqual([
        "GET",
        `${BATCH}/flows`,
        { action: "get", flowId: "3377", userId: "u1", orgId: "o1" },
      ]);
      ok({
        flowId: 3377,
        flowName: "nightly",
        active: 1,
        freq: "0 0 1 * * ? *",
        cycle: "D",
        owner: "u1",
        locked: 0,
        isUserLocked: 0,
        type: 1,
      })(req, res);
    });
    expect(await clientFor(lb).client.getFlow("o1", "u1", 3377)).toEqual({
      flowId: 3377,
      flowName: "nightly",
      active: 1,
      freq: "0 0 1 * * ? *",
      cycle: "D",
      owner: "u1",
      locked: false,
      isUserLocked: false,
    });
  });

  it.each(["enable", "disable"] as const)(
    "%s posts {flowId} with userId and orgId in the query",
    async (action) => {
      const { lb } = ctx;
      lb.script((req, res) => {
        expect([req.method, req.path, q(req), req.text]).toEqual([
          "POST",
          `${BATCH}/flows`,
          { action, userId: "u1", orgId: "o1" },
          '{"flowId":3377}',
        ]);
        expect(req.signatureOk).toBe(true);
        // The batch service answers in the `status` envelope style.
        send(res, 200, { status: 0, msg: "Success", data: "" });
      });
      const { client } = clientFor(lb);
      await (action === "enable"
        ? client.enableFlow("o1", "u1", 3377)
        : client.disableFlow("o1", "u1", 3377));
    },
  );

  it("refuses bad arguments before sending anything", async () => {
    const { lb } = ctx;
    const { client } = clientFor(lb);
    await expect(client.getPipeline("", "p1")).rejects.toThrow(TypeError);
    await expect(client.getPipeline("o1", "")).rejects.toThrow(TypeError);
    await expect(client.getFlow("o1", "u1", 0)).rejects.toThrow(TypeError);
    await expect(client.enableFlow("o1", "u1", 1.5)).rejects.toThrow(TypeError);
    await expect(client.request({ method: "GET", path: "no-slash" })).rejects.toThrow(TypeError);
    expect(lb.received).toHaveLength(0);
    expect(lb.tokenRequests).toHaveLength(0);
  });

  it("rejects bad construction input without echoing the secret", async () => {
    const { EnosClient } = await import("../../provider/client/index.js");
    const make = (apiGateway: string, secretKey = "a-secret-value"): unknown =>
      rejection(Promise.resolve().then(() => new EnosClient({ apiGateway, accessKey: "k", secretKey })));
    for (const bad of ["not a url", "ftp://x", "http://user:pw@h", "http://h/?q=1"]) {
      const err = await make(bad);
      expect(err).toBeInstanceOf(TypeError);
      expect(String(err)).not.toContain("a-secret-value");
    }
    expect(await make("http://h", "")).toBeInstanceOf(TypeError);
  });
});
