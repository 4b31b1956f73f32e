import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { clientFor, useLoopback } from "./helpers/client.js";
import { ok, send } from "./helpers/loopback.js";

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

describe("signing over the wire", () => {
  const ctx = useLoopback();

  it("signs a GET over the sorted decoded query with the injected clock's timestamp", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect(req.method).toBe("GET");
      expect(req.headers["apim-timestamp"]).toBe("1700000000123");
      expect(req.headers["apim-accesstoken"]).toBe(lb.issued[0]);
      expect(req.headers["apim-signature"]).toMatch(/^[0-9a-f]{64}$/);
      expect(req.headers["content-type"]).toBeUndefined();
      expect(req.body.length).toBe(0);
      expect(req.signatureOk).toBe(true);
      ok({ count: 0, pipelines: [] })(req, res);
    });
    const { client } = clientFor(lb, { clock: () => 1_700_000_000_123 });
    expect(await client.listPipelines("o1")).toEqual([]);
  });

  it("signs the exact body bytes it sends", async () => {
    const { lb } = ctx;
    const body = {
      executionMode: 1,
      kafkaRate: 1000,
      resourceConfig: { server: "1", yarn: { workerCount: 2, master: 1, slave: 2 } },
    } as const;
    lb.script((req, res) => {
      // Independent check: the bytes on the wire hash to the hash of the JSON text the test expects...
      expect(req.bodySha256).toBe(sha256(JSON.stringify(body)));
      expect(req.headers["content-length"]).toBe(String(Buffer.byteLength(JSON.stringify(body))));
      expect(req.headers["content-type"]).toBe("application/json;charset=UTF-8");
      // ...and the signature verifies over exactly those received bytes.
      expect(req.signatureOk).toBe(true);
      ok()(req, res);
    });
    const { client } = clientFor(lb);
    await client.startPipeline("o1", "p1", body);
  });

  it("signs non-ASCII bodies over their UTF-8 bytes", async () => {
    const { lb } = ctx;
    const payload = { name: "流水线 über ✓", n: 1 };
    lb.script((req, res) => {
      expect(req.text).toBe(JSON.stringify(payload));
      expect(req.bodySha256).toBe(sha256(JSON.stringify(payload)));
      expect(req.signatureOk).toBe(true);
      ok("done")(req, res);
    });
    const { client } = clientFor(lb);
    expect(await client.request({ method: "POST", path: "/x/v1/thing", body: payload })).toBe("done");
  });

  it("encodes query values on the wire and signs their decoded form", async () => {
    const { lb } = ctx;
    const query = { b: "a b&c=d", a: "流+%/?#", c: 12, d: false, skipped: undefined };
    lb.script((req, res) => {
      expect(Object.fromEntries(req.query)).toEqual({ b: "a b&c=d", a: "流+%/?#", c: "12", d: "false" });
      expect(req.rawQuery).not.toContain(" ");
      expect(req.signatureOk).toBe(true);
      ok()(req, res);
    });
    const { client } = clientFor(lb);
    await client.request({ method: "GET", path: "/x/v1/query", query });
  });

  it("percent-encodes pipeline ids as one path segment", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect(req.path).toBe("/streaming/v2.0/streaming/pipeline/a%2Fb%20c%3Fd");
      expect(decodeURIComponent(req.path.split("/").pop()!)).toBe("a/b c?d");
      expect(Object.fromEntries(req.query)).toEqual({ orgId: "o1", ifReleased: "false" });
      send(res, 200, { code: 0, msg: "OK", data: { pipelineId: "a/b c?d", pipelineName: "n" } });
    });
    const { client } = clientFor(lb);
    expect((await client.getPipeline("o1", "a/b c?d")).pipelineId).toBe("a/b c?d");
  });

  it("keeps a path prefix of the gateway URL", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      expect(req.path).toBe("/prefix/streaming/v2.0/streaming/pipeline/p1/offset-lag");
      expect(req.signatureOk).toBe(true);
      ok({ pipelineId: "p1", topicName: "t", lagAndOffset: [] })(req, res);
    });
    const { client } = clientFor({ ...lb, url: `${lb.url}/prefix/` });
    await client.getOffsetLag("o1", "p1");
    expect(lb.tokenRequests[0]!.path).toBe("/prefix/apim-token-service/v2.0/token/get");
  });
});
