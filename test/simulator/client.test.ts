/**
 * The project's EnosClient against the simulator: the two were written independently from docs/ENOS-API.md, so
 * this checks that they agree on signing, envelopes, paging, status strings and error codes.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EnosApiError, EnosClient, type StartPipelineBody } from "../../provider/client/index.js";
import { resetProcessGlobals } from "../../provider/registry.js";
import { type RunningSimulator, makeSeed, startSimulator } from "../../simulator/index.js";
import { ACCESS_KEY, FAST, ORG, SECRET_KEY, USER } from "./helpers.js";

const CLUSTER_5: StartPipelineBody = {
  executionMode: 1,
  kafkaRate: 1000,
  resourceConfig: {
    server: 1,
    yarn: { workerCount: 2, master: 2, slave: 1 },
    advanced: [{ key: "spark.streaming.backpressure.enabled", value: "true" }],
  },
};

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
afterAll(() => {
  resetProcessGlobals();
});

async function start(options = FAST): Promise<{ client: EnosClient; admin: RunningSimulator["admin"] }> {
  sim = await startSimulator(options);
  const client = new EnosClient(
    { apiGateway: sim.url, accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
    { pageSize: 4, sleep: () => Promise.resolve(), requestTimeoutMs: 10_000 },
  );
  return { client, admin: sim.admin };
}

async function apiError(promise: Promise<unknown>): Promise<EnosApiError> {
  try {
    await promise;
  } catch (err) {
    if (EnosApiError.isInstance(err)) return err;
    throw err;
  }
  throw new Error("expected an EnosApiError");
}

const P1 = "demo-pipeline-1";

describe("EnosClient against the simulator", () => {
  it("lists every page and reads details, draft and released", async () => {
    const { client, admin } = await start({ ...FAST, seed: makeSeed({ pipelines: 6 }) });
    const all = await client.listPipelines(ORG, { ifReleased: true });
    expect(all).toHaveLength(9);
    expect(all[0]).toEqual({
      pipelineId: P1,
      pipelineName: "Demo pipeline 1",
      status: "PUBLISHED",
      version: "1",
      orgId: ORG,
      executionMode: 0,
    });
    expect(await client.listPipelines(ORG, { ifReleased: false })).toEqual([]);
    await admin.saveDraft(P1);
    expect((await client.getPipeline(ORG, P1)).version).toBe("2");
    expect((await client.getPipeline(ORG, P1, { ifReleased: true })).version).toBe("1");
    const missing = await apiError(client.getPipeline(ORG, "nope"));
    expect(missing.code).toBe(61108);
  });

  it("drives release → start → pause → reset → start → stop and reads status and offsets", async () => {
    const { client, admin } = await start();
    await admin.saveDraft(P1);
    await client.releasePipeline(ORG, P1);
    expect(await client.getPipelineStatus(ORG, P1, { notBefore: Date.now() })).toMatchObject({
      status: "PUBLISHED",
      version: "2",
    });
    await client.startPipeline(ORG, P1, CLUSTER_5);
    expect((await admin.pipeline(P1)).lastStartBody).toEqual(CLUSTER_5);
    expect((await client.getPipelineStatus(ORG, P1, { notBefore: Date.now() }))?.status).toBe("RUNNING");
    const lag = await client.getOffsetLag(ORG, P1);
    expect(lag.pipelineId).toBe(P1);
    expect(lag.lagAndOffset).toHaveLength(1);
    await client.pausePipeline(ORG, P1);
    await client.resetPipelineOffset(ORG, P1);
    expect((await admin.pipeline(P1)).offsetResets).toBe(1);
    await client.startPipeline(ORG, P1, { executionMode: 0, kafkaRate: 1000, resourceConfig: { server: 2 } });
    await client.stopPipeline(ORG, P1);
    expect((await client.getPipelineStatus(ORG, P1, { notBefore: Date.now() }))?.status).toBe("STOPPED");
    expect(await client.getPipelineStatus(ORG, "nope")).toBeUndefined();
  });

  it("surfaces simulator error codes as EnosApiError", async () => {
    const { client } = await start({ ...FAST, seed: makeSeed({ clusterQuota: null }) });
    expect((await apiError(client.pausePipeline(ORG, P1))).code).toBe(61152);
    expect((await apiError(client.startPipeline(ORG, P1, CLUSTER_5))).code).toBe(61128);
    const big = { executionMode: 0 as const, kafkaRate: 1, resourceConfig: { server: 500 } };
    expect((await apiError(client.startPipeline(ORG, P1, big))).code).toBe(61126);
    await client.startPipeline(ORG, P1, { executionMode: 0, kafkaRate: 1, resourceConfig: { server: 1 } });
    const again = await apiError(
      client.startPipeline(ORG, P1, { executionMode: 0, kafkaRate: 1, resourceConfig: { server: 1 } }),
    );
    expect(again.code).toBe(61165);
    expect(again.message).toContain("[RUNNING]");
    expect((await apiError(client.releasePipeline(ORG, P1))).code).toBe(61169);
    expect((await apiError(client.resetPipelineOffset(ORG, P1))).code).toBe(61168);
  });

  it("gets, enables and disables flows, with batch error codes", async () => {
    const { client, admin } = await start();
    const flow = await client.getFlow(ORG, USER, 3377);
    expect(flow).toMatchObject({ flowId: 3377, active: 0, owner: USER, locked: false, isUserLocked: false });
    await client.enableFlow(ORG, USER, 3377);
    expect((await client.getFlow(ORG, USER, 3377)).active).toBe(1);
    await client.disableFlow(ORG, USER, 3378);
    expect((await client.getFlow(ORG, USER, 3378)).active).toBe(0);
    expect((await apiError(client.getFlow(ORG, "nobody", 3377))).code).toBe(62101);
    expect((await apiError(client.getFlow(ORG, USER, 1))).code).toBe(62102);
    await admin.setFlow(3377, { locked: true });
    expect((await client.getFlow(ORG, USER, 3377)).locked).toBe(true);
    expect((await apiError(client.disableFlow(ORG, USER, 3377))).code).toBe(62105);
  });

  it("renews an expired token once, and retries 61121 and 429 as the contracts say", async () => {
    const { client, admin } = await start();
    await client.listPipelines(ORG);
    await admin.expireTokens();
    await client.listPipelines(ORG);
    await admin.addFault({ kind: "startLock", count: 1 });
    await admin.addFault({
      kind: "rateLimit",
      count: 1,
      retryAfterSeconds: 0,
      match: { endpoint: "listPipelines" },
    });
    await client.startPipeline(ORG, P1, { executionMode: 0, kafkaRate: 1, resourceConfig: { server: 1 } });
    await client.listPipelines(ORG);
    const log = await admin.requests();
    const codes = log.map((e) => [e.endpoint, e.httpStatus, e.code]);
    expect(codes).toEqual([
      ["tokenGet", 200, 0],
      ["listPipelines", 200, 0],
      ["listPipelines", 401, 1203],
      ["tokenGet", 200, 0],
      ["listPipelines", 200, 0],
      ["startPipeline", 200, 61121],
      ["startPipeline", 200, 0],
      ["listPipelines", 429, 429],
      ["listPipelines", 200, 0],
    ]);
    expect(JSON.stringify(log)).not.toContain(SECRET_KEY);
  });
});
