import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, makeSeed } from "../../simulator/index.js";
import { FAST, TestCaller, codeOf, withSim } from "./helpers.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const ids = Array.from({ length: 200 }, (_, i) => `sim-pipeline-${String(i + 1).padStart(4, "0")}`);

function tally(codes: (number | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of codes) out[String(c)] = (out[String(c)] ?? 0) + 1;
  return out;
}

async function start(options: Parameters<typeof withSim>[0]): Promise<TestCaller> {
  const made = await withSim(options);
  sim = made.sim;
  await made.caller.accessToken();
  return made.caller;
}

describe("200 concurrent requests", () => {
  it("200 starts of 200 pipelines all land", async () => {
    const caller = await start({ ...FAST, seed: makeSeed({ pipelines: 200 }) });
    const codes = await Promise.all(ids.map(async (id) => codeOf(await caller.start(id))));
    expect(tally(codes)).toEqual({ "0": 200 });
    const state = await sim!.admin.state();
    expect(state.pipelines.filter((p) => p.status === "RUNNING")).toHaveLength(200);
    expect(state.orgs[0]!.used.standalone).toBe(200);
    expect((await sim!.admin.counts()).mutations).toBe(200);
  });

  it("the quota is never overrun: with 50 free CUs exactly 50 of 200 starts succeed", async () => {
    const caller = await start({ ...FAST, seed: makeSeed({ pipelines: 200, standaloneQuota: 50 }) });
    const codes = await Promise.all(ids.map(async (id) => codeOf(await caller.start(id))));
    expect(tally(codes)).toEqual({ "0": 50, "61126": 150 });
    expect((await sim!.admin.state()).orgs[0]!.used.standalone).toBe(50);
  });

  it("the org start lock admits exactly one of 200 concurrent starts", async () => {
    // A start delay no run of the test reaches: the accepted start is still in progress when the others arrive.
    const caller = await start({ delays: { start: 600_000 }, seed: makeSeed({ pipelines: 200 }) });
    const codes = await Promise.all(ids.map(async (id) => codeOf(await caller.start(id))));
    expect(tally(codes)).toEqual({ "0": 1, "61121": 199 });
    expect((await sim!.admin.state()).pipelines.filter((p) => p.status === "STARTING")).toHaveLength(1);
  });

  it("200 concurrent stops of one pipeline: exactly one is accepted", async () => {
    const caller = await start({ delays: { stop: 0, start: 0 } });
    await caller.start("demo-pipeline-1");
    // The accepted stop stays STOPPING until released, however slowly the other 199 arrive.
    await sim!.admin.holdTransitions("demo-pipeline-1");
    const codes = await Promise.all(
      Array.from({ length: 200 }, async () => codeOf(await caller.operate("demo-pipeline-1", "stop"))),
    );
    expect(tally(codes)).toEqual({ "0": 1, "61152": 199 });
    expect((await sim!.admin.pipeline("demo-pipeline-1")).status).toBe("STOPPING");
  });

  it("200 enables over 100 flows lose no update", async () => {
    const caller = await start({ ...FAST, seed: makeSeed({ flows: 100 }) });
    const flowIds = Array.from({ length: 100 }, (_, i) => 100001 + i);
    const codes = await Promise.all(
      [...flowIds, ...flowIds].map(async (flowId) => codeOf(await caller.setFlow("enable", flowId))),
    );
    expect(tally(codes)).toEqual({ "0": 200 });
    const flows = (await sim!.admin.state()).flows.filter((f) => f.flowId > 100000);
    expect(flows.every((f) => f.active === 1)).toBe(true);
    expect((await sim!.admin.counts()).byEndpoint.enableFlow).toBe(200);
  });
});
