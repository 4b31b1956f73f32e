import { afterEach, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../simulator/index.js";
import { ORG, STREAMING, TestCaller, codeOf, sha256, sign, withSim } from "./helpers.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options?: Parameters<typeof withSim>[0]): Promise<TestCaller> {
  const made = await withSim(options);
  sim = made.sim;
  return made.caller;
}

describe("the test's own signing helper", () => {
  it("reproduces the docs/ENOS-API.md vectors", () => {
    const query = { k3: "v3", k1: "v1", k2: "v2" };
    const body = '{"count":20,"page":1,"desc":"description"}';
    expect(sign("xxxxaaaxxxx", query, body, "1572574909697", "xxxappSecretxxx")).toBe(
      "41a6685e7d044aeb864bd6b24d90614117c638f2d94627ea5dfe5c24746850de",
    );
    expect(sign("xxxxaaaxxxx", query, "", "1572574909697", "xxxappSecretxxx")).toBe(
      "9c7e8810c67a4c1642b41acf89c6d8ebdb697d19ba45a6ee9f170dbbc8ad0e0a",
    );
  });
});

describe("token service", () => {
  it("issues a token with the documented envelope and returns the same one before expiry", async () => {
    const caller = await start();
    const first = await caller.tokenGet();
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: 0, msg: "SUCCESS", business: "apim-token-service" });
    expect(typeof first.json.data.accessToken).toBe("string");
    expect(first.json.data.expire).toBe(7200);
    const second = await caller.tokenGet();
    expect(second.json.data.accessToken).toBe(first.json.data.accessToken);
  });

  it("refuses an unknown app key (1002), a bad encryption (1003), a replay (1001), empty params (1202)", async () => {
    const caller = await start();
    const unknown = await caller.tokenGet({ ...caller.tokenBody(), appKey: "nope" });
    expect(unknown.json).toMatchObject({ status: 1002, business: "apim-token-service", data: null });

    const bad = await caller.tokenGet({ ...caller.tokenBody(), encryption: sha256("wrong") });
    expect(bad.json.status).toBe(1003);

    const body = caller.tokenBody();
    expect((await caller.tokenGet(body)).json.status).toBe(0);
    const replay = await caller.tokenGet(body);
    expect(replay.json.status).toBe(1001);
    expect(replay.json.msg).toMatch(/replay/i);

    const empty = await caller.tokenGet({ appKey: "demo-access-key", timestamp: Date.now() });
    expect(empty.json.status).toBe(1202);
    expect(empty.json.msg).toContain("encryption");

    const notJson = await caller.raw("POST", "/apim-token-service/v2.0/token/get", "{oops");
    expect(notJson.json.status).toBe(1004);
  });

  it("uses the configured lifetime and a new token after expiry (injected clock)", async () => {
    let now = 1_700_000_000_000;
    const caller = await start({ tokenTtlSeconds: 60, clock: () => now, delays: { start: 0 } });
    const first = await caller.tokenGet();
    expect(first.json.data.expire).toBe(60);
    now += 30_000;
    const again = await caller.tokenGet();
    expect(again.json.data.accessToken).toBe(first.json.data.accessToken);
    expect(again.json.data.expire).toBe(30);

    expect(codeOf(await caller.list())).toBe(0);
    now += 31_000;
    const expired = await caller.list();
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ code: 1203, data: null });
    expect(expired.json.msg).toMatch(/expired/);

    const fresh = await caller.tokenGet();
    expect(fresh.json.data.accessToken).not.toBe(first.json.data.accessToken);
  });

  it("refreshes: new token, the old one stops working; unknown token gets 1204", async () => {
    const caller = await start();
    const old = await caller.accessToken();
    const refreshed = await caller.raw(
      "POST",
      "/apim-token-service/v2.0/token/refresh",
      JSON.stringify(caller.tokenBody({ accessToken: old })),
    );
    expect(refreshed.json.status).toBe(0);
    const next = refreshed.json.data.accessToken as string;
    expect(next).not.toBe(old);
    expect(codeOf(await caller.list())).toBe(1203);
    caller.forgetToken();
    expect(
      codeOf(await caller.call("GET", `${STREAMING}/pipelines`, { query: { orgId: ORG }, token: next })),
    ).toBe(0);

    const unknown = await caller.raw(
      "POST",
      "/apim-token-service/v2.0/token/refresh",
      JSON.stringify(caller.tokenBody({ accessToken: "not-a-token" })),
    );
    expect(unknown.json.status).toBe(1204);
    const missing = await caller.raw(
      "POST",
      "/apim-token-service/v2.0/token/refresh",
      JSON.stringify(caller.tokenBody()),
    );
    expect(missing.json.status).toBe(1202);
  });

  it("admin expireTokens makes live tokens fail with 1203", async () => {
    const caller = await start();
    expect(codeOf(await caller.list())).toBe(0);
    expect(await sim!.admin.expireTokens()).toBe(1);
    const res = await caller.list();
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe(1203);
    caller.forgetToken();
    expect(codeOf(await caller.list())).toBe(0);
  });
});

describe("request signature", () => {
  it("accepts a correct signature including sorted, decoded query values and the exact body", async () => {
    const caller = await start();
    const res = await caller.list({ pageSize: "2", pageNo: "1", isSystem: "false", ifReleased: "true" });
    expect(res.status).toBe(200);
    expect(res.json.code).toBe(0);
    // Values that need percent-encoding are signed decoded.
    const odd = await caller.call("GET", `${STREAMING}/pipelines`, { query: { orgId: "o demo+/é" } });
    expect(odd.status).toBe(200);
    expect(odd.json.code).toBe(99403);
    // The body is signed byte for byte, whitespace included.
    const body = '{ "executionMode": 0, "kafkaRate": 10,  "resourceConfig": {"server": 1} }';
    const started = await caller.operate("demo-pipeline-1", "start", body);
    expect(started.json.code).toBe(0);
  });

  it.each([
    ["apim-signature", 1202],
    ["apim-accesstoken", 1202],
    ["apim-timestamp", 1202],
  ])("rejects a call without %s with 401", async (name, code) => {
    const caller = await start();
    const res = await caller.call("GET", `${STREAMING}/pipelines`, {
      query: { orgId: ORG },
      headers: { [name]: undefined },
    });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code, data: null });
    expect(res.json.msg).toContain(name);
  });

  it("rejects a wrong signature (1003), an unknown token (1203), a stale timestamp (1004)", async () => {
    const caller = await start();
    const wrong = await caller.call("GET", `${STREAMING}/pipelines`, {
      query: { orgId: ORG },
      headers: { "apim-signature": sha256("nope") },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe(1003);
    expect(wrong.json.msg).toMatch(/signature/);

    // Signed over a different body than the one sent.
    const token = await caller.accessToken();
    const ts = String(Date.now());
    const tampered = await caller.raw(
      "POST",
      `${STREAMING}/pipeline/demo-pipeline-1?action=stop&orgId=${ORG}`,
      "{}",
      {
        "apim-accesstoken": token,
        "apim-timestamp": ts,
        "apim-signature": sign(token, { action: "stop", orgId: ORG }, "", ts, caller.secretKey),
      },
    );
    expect(tampered.status).toBe(401);
    expect(tampered.json.code).toBe(1003);

    const unknown = await caller.call("GET", `${STREAMING}/pipelines`, {
      query: { orgId: ORG },
      token: "deadbeef",
    });
    expect(unknown.status).toBe(401);
    expect(unknown.json.code).toBe(1203);

    const stale = await caller.call("GET", `${STREAMING}/pipelines`, {
      query: { orgId: ORG },
      timestamp: Date.now() - 5 * 60 * 1000 - 5000,
    });
    expect(stale.status).toBe(401);
    expect(stale.json.code).toBe(1004);
    expect(stale.json.msg).toMatch(/timestamp/);

    const future = await caller.call("GET", `${STREAMING}/pipelines`, {
      query: { orgId: ORG },
      timestamp: Date.now() + 6 * 60 * 1000,
    });
    expect(future.status).toBe(401);

    const garbage = await caller.call("GET", `${STREAMING}/pipelines`, {
      query: { orgId: ORG },
      headers: { "apim-timestamp": "yesterday" },
    });
    expect(garbage.status).toBe(401);
    expect(garbage.json.code).toBe(1004);
  });

  it("refuses an org the app is not registered in (99403) and a missing orgId (99400)", async () => {
    const caller = await start();
    expect(codeOf(await caller.call("GET", `${STREAMING}/pipelines`, { query: { orgId: "o-other" } }))).toBe(
      99403,
    );
    expect(codeOf(await caller.call("GET", `${STREAMING}/pipelines`))).toBe(99400);
  });

  it("answers 404 for an unknown API", async () => {
    const caller = await start();
    const res = await caller.call("GET", "/streaming/v2.0/streaming/nothing", { query: { orgId: ORG } });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe(99404);
  });

  it("answers 413 for a body above the limit", async () => {
    const made = await withSim({ maxBodyBytes: 400 });
    sim = made.sim;
    const res = await made.caller.operate("demo-pipeline-1", "start", { pad: "x".repeat(1000) });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe(413);
  });
});
