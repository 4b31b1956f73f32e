import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { EnosApiError, EnosClient } from "../../provider/client/index.js";
import { clientFor, rejection, useLoopback } from "./helpers/client.js";
import { ACCESS_KEY, SECRET_KEY, fail, ok, send } from "./helpers/loopback.js";

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
const offsetLag = ok({ pipelineId: "p1", topicName: "t", lagAndOffset: [] });
const HOUR2 = 7200_000;

describe("access token over the wire", () => {
  const ctx = useLoopback();

  it("asks token/get with appKey, encryption and a ms timestamp, and no apim headers", async () => {
    const { lb } = ctx;
    lb.script(offsetLag);
    const { client } = clientFor(lb, { clock: () => 1_700_000_000_000 });
    await client.getOffsetLag("o1", "p1");
    const [tokenReq] = lb.tokenRequests;
    expect(tokenReq!.method).toBe("POST");
    expect(tokenReq!.path).toBe("/apim-token-service/v2.0/token/get");
    expect(JSON.parse(tokenReq!.text)).toEqual({
      appKey: ACCESS_KEY,
      timestamp: 1_700_000_000_000,
      encryption: sha256(`${ACCESS_KEY}1700000000000${SECRET_KEY}`),
    });
    expect(tokenReq!.headers["apim-accesstoken"]).toBeUndefined();
    expect(tokenReq!.headers["apim-signature"]).toBeUndefined();
    expect(lb.received[0]!.headers["apim-accesstoken"]).toBe(lb.issued[0]);
  });

  it("caches the token per (gateway, access key, secret key) across calls and clients", async () => {
    const { lb } = ctx;
    lb.route(() => true, offsetLag);
    const a = clientFor(lb).client;
    const b = clientFor(lb).client;
    await a.getOffsetLag("o1", "p1");
    await a.getOffsetLag("o1", "p1");
    await b.getOffsetLag("o1", "p1");
    expect(lb.tokenRequests).toHaveLength(1);
    // Another access key is another cache entry.
    await clientFor(lb, {}, "other-access-key").client.getOffsetLag("o1", "p1");
    expect(lb.tokenRequests).toHaveLength(2);
    expect(JSON.parse(lb.tokenRequests[1]!.text).appKey).toBe("other-access-key");
    // Another secret key is another entry too: a client with a wrong secret never borrows a token got with the
    // right one, so its mistake shows on its first call (as EnOS's 1003) instead of when the token expires.
    const otherSecret = new EnosClient({
      apiGateway: lb.url,
      accessKey: ACCESS_KEY,
      secretKey: "other-secret",
    });
    await otherSecret.getOffsetLag("o1", "p1");
    expect(lb.tokenRequests).toHaveLength(3);
    const { timestamp, encryption } = JSON.parse(lb.tokenRequests[2]!.text) as {
      timestamp: number;
      encryption: string;
    };
    expect(encryption).toBe(sha256(`${ACCESS_KEY}${timestamp}other-secret`));
  });

  it("refreshes about 5 minutes before expiry, with token/refresh and the current token", async () => {
    const { lb } = ctx;
    lb.route(() => true, offsetLag);
    let now = 1_000_000;
    const { client } = clientFor(lb, { clock: () => now });
    await client.getOffsetLag("o1", "p1");
    now += HOUR2 - 5 * 60_000 - 1;
    await client.getOffsetLag("o1", "p1");
    expect(lb.tokenRequests).toHaveLength(1);
    now += 1;
    await client.getOffsetLag("o1", "p1");
    expect(lb.tokenRequests.map((r) => r.path)).toEqual([
      "/apim-token-service/v2.0/token/get",
      "/apim-token-service/v2.0/token/refresh",
    ]);
    const refreshBody = JSON.parse(lb.tokenRequests[1]!.text);
    expect(refreshBody).toMatchObject({ appKey: ACCESS_KEY, accessToken: lb.issued[0], timestamp: now });
    expect(refreshBody.encryption).toBe(sha256(`${ACCESS_KEY}${now}${SECRET_KEY}`));
    expect(lb.received[2]!.headers["apim-accesstoken"]).toBe(lb.issued[1]);
  });

  it("on 1203 fetches a new token once and retries the call, even a mutation", async () => {
    const { lb } = ctx;
    lb.script(fail(1203, "access token expired"), (req, res) => {
      expect(req.headers["apim-accesstoken"]).toBe(lb.issued[1]);
      expect(req.signatureOk).toBe(true);
      ok()(req, res);
    });
    const { client, sleeps } = clientFor(lb);
    await client.stopPipeline("o1", "p1");
    expect(lb.received.map((r) => r.headers["apim-accesstoken"])).toEqual([lb.issued[0], lb.issued[1]]);
    expect(lb.tokenRequests.map((r) => r.path)).toEqual([
      "/apim-token-service/v2.0/token/get",
      "/apim-token-service/v2.0/token/get",
    ]);
    expect(sleeps).toEqual([]);
  });

  it("surfaces a second 1203 instead of looping", async () => {
    const { lb } = ctx;
    lb.script(fail(1203, "expired"), fail(1203, "expired again"));
    const err = await rejection(clientFor(lb).client.getOffsetLag("o1", "p1"));
    expect(EnosApiError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: 1203, msg: "expired again" });
    expect(lb.received).toHaveLength(2);
    expect(lb.tokenRequests).toHaveLength(2);
  });

  it("shares one token request among concurrent callers (single flight)", async () => {
    const { lb } = ctx;
    lb.tokenHandler = async (req, res) => {
      await delay(30);
      lb.issueToken(req, res);
    };
    lb.route(() => true, offsetLag);
    const clients = [clientFor(lb).client, clientFor(lb).client];
    await Promise.all(Array.from({ length: 40 }, (_, i) => clients[i % 2]!.getOffsetLag("o1", "p1")));
    expect(lb.tokenRequests).toHaveLength(1);
    expect(lb.received).toHaveLength(40);
    expect(new Set(lb.received.map((r) => r.headers["apim-accesstoken"]))).toEqual(new Set([lb.issued[0]]));
  });

  it("makes concurrent 1203s cost one new token", async () => {
    const { lb } = ctx;
    const expired = new Set<string>();
    lb.route(
      () => true,
      (req, res) => {
        const token = String(req.headers["apim-accesstoken"]);
        (expired.has(token) ? fail(1203, "expired") : offsetLag)(req, res);
      },
    );
    const { client } = clientFor(lb);
    await client.getOffsetLag("o1", "p1");
    expired.add(lb.issued[0]!);
    await Promise.all(Array.from({ length: 20 }, () => client.getOffsetLag("o1", "p1")));
    expect(lb.tokenRequests).toHaveLength(2);
    expect(lb.received).toHaveLength(41);
  });

  it.each([
    [1002, "appKey does not exist"],
    [1003, "invalid encryption"],
    [1004, "invalid parameter"],
    [1202, "parameter empty"],
  ])("maps token-service error %i and never calls the API", async (code, msg) => {
    const { lb } = ctx;
    lb.tokenHandler = (_req, res) => {
      send(res, 200, { status: code, msg, business: "apim-token-service", data: null });
    };
    const err = await rejection(clientFor(lb).client.getOffsetLag("o1", "p1"));
    expect(EnosApiError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      code,
      msg,
      call: { method: "POST", path: "/apim-token-service/v2.0/token/get" },
      retryable: false,
    });
    expect(lb.received).toHaveLength(0);
    expect(lb.tokenRequests).toHaveLength(1);
  });

  it("retries the token call on 503 with a fresh timestamp each time", async () => {
    const { lb } = ctx;
    let calls = 0;
    lb.tokenHandler = (req, res) => {
      calls++;
      if (calls === 1) {
        send(res, 503, "busy");
        return;
      }
      lb.issueToken(req, res);
    };
    lb.script(offsetLag);
    let now = 10;
    const { client, sleeps } = clientFor(lb, { clock: () => now++ });
    await client.getOffsetLag("o1", "p1");
    expect(sleeps).toHaveLength(1);
    const stamps = lb.tokenRequests.map((r) => JSON.parse(r.text).timestamp);
    expect(new Set(stamps).size).toBe(2);
  });

  it("rejects a token answer without a token as a shape error", async () => {
    const { lb } = ctx;
    lb.tokenHandler = (_req, res) => {
      send(res, 200, { status: 0, msg: "SUCCESS", data: { expire: 7200 } });
    };
    const err = await rejection(clientFor(lb).client.getOffsetLag("o1", "p1"));
    expect(err).toMatchObject({
      name: "EnosResponseShapeError",
      call: { path: "/apim-token-service/v2.0/token/get" },
    });
  });
});
