// The simulator's Kafka model behind Get Pipeline Offset and Lag, its health faults and seed options, and the
// `hold` control. A manual clock drives offsets and lags, so no assertion depends on a timer.
import { afterEach, describe, expect, it } from "vitest";
import { defaultSeed, type RunningSimulator, type Seed } from "../../simulator/index.js";
import { FAST, codeOf, withSim, type TestCaller } from "./helpers.js";

const P1 = "demo-pipeline-1";
const P2 = "demo-pipeline-2";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A simulator whose clock moves only when the test says. */
async function manual(seed?: Seed): Promise<{ caller: TestCaller; advance: (ms: number) => void }> {
  let now = Date.now();
  const made = await withSim({ ...FAST, clock: () => now, ...(seed ? { seed } : {}) });
  sim = made.sim;
  return {
    caller: made.caller,
    advance: (ms) => {
      now += ms;
    },
  };
}

const start = (caller: TestCaller, id: string, kafkaRate = 2000) =>
  caller.start(id, { executionMode: 0, kafkaRate, resourceConfig: { server: 1 } });

type Sample = { lag: number; offset: number; ts: number };
const samples = async (caller: TestCaller, id: string): Promise<Sample[]> => {
  const res = await caller.offsetLag(id);
  expect(codeOf(res)).toBe(0);
  return res.json.data.lagAndOffset as Sample[];
};

describe("offset and lag: the Kafka model", () => {
  it("a healthy run advances at its kafkaRate with a small lag; samples a second apart, newest last", async () => {
    const { caller, advance } = await manual();
    expect(codeOf(await start(caller, P1, 2000))).toBe(0);
    const atStart = await samples(caller, P1);
    expect(atStart).toHaveLength(1);
    expect(atStart[0]).toMatchObject({ lag: 20, offset: 0 });

    advance(5_000);
    const later = await samples(caller, P1);
    expect(later.map((s) => s.ts - (atStart[0]?.ts ?? 0))).toEqual([3_000, 4_000, 5_000]);
    expect(later.map((s) => s.offset)).toEqual([6_000, 8_000, 10_000]);
    expect(later.every((s) => s.lag === 20)).toBe(true);

    // A pause keeps the offset; a resume continues from it.
    expect(codeOf(await caller.operate(P1, "pause"))).toBe(0);
    advance(60_000);
    expect(codeOf(await caller.offsetLag(P1))).toBe(99000);
    expect(codeOf(await start(caller, P1, 2000))).toBe(0);
    advance(1_000);
    expect((await samples(caller, P1)).at(-1)?.offset).toBe(12_000);
  });

  it("lagGrowth: the lag of the next run grows by lagPerSecond", async () => {
    const { caller, advance } = await manual();
    await sim!.admin.addFault({ kind: "lagGrowth", lagPerSecond: 500, match: { pipelineId: P1 } });
    await start(caller, P1, 1000);
    await start(caller, P2, 1000);
    advance(10_000);
    expect((await samples(caller, P1)).at(-1)).toMatchObject({ lag: 10 + 5_000, offset: 10_000 });
    expect((await samples(caller, P2)).at(-1)).toMatchObject({ lag: 10, offset: 10_000 });
    expect((await sim!.admin.pipeline(P1)).run).toMatchObject({ lagPerSecond: 500, stalled: false });
  });

  it("offsetStall: the offset of the next run never moves and the lag grows at the input rate", async () => {
    const { caller, advance } = await manual();
    await sim!.admin.addFault({ kind: "offsetStall", match: { pipelineId: P1 }, count: 1 });
    await start(caller, P1, 1000);
    advance(3_000);
    const stalled = await samples(caller, P1);
    expect(new Set(stalled.map((s) => s.offset))).toEqual(new Set([0]));
    expect(stalled.map((s) => s.lag)).toEqual([1_010, 2_010, 3_010]);

    // count: 1 — the run after the next start is healthy again.
    await caller.operate(P1, "stop");
    await start(caller, P1, 1000);
    advance(2_000);
    expect((await samples(caller, P1)).at(-1)?.offset).toBe(2_000);
  });

  it("crash afterSamples: N answers, then the run is in RUN_ERROR (99000, and the listing says so)", async () => {
    const { caller } = await manual();
    await sim!.admin.addFault({ kind: "crash", afterSamples: 2, match: { pipelineId: P1 } });
    await start(caller, P1);
    await samples(caller, P1);
    await samples(caller, P1);
    const third = await caller.offsetLag(P1);
    expect(codeOf(third)).toBe(99000);
    expect(third.json.msg).toContain("[RUN_ERROR]");
    const listed = (await caller.list({ ifReleased: "true" })).json.data.pipelines as {
      pipelineId: string;
      status: string;
    }[];
    expect(listed.find((p) => p.pipelineId === P1)?.status).toBe("RUN_ERROR");
  });

  it("crash afterMs: the run turns to the given status after reaching RUNNING", async () => {
    const made = await withSim(FAST);
    sim = made.sim;
    await sim.admin.addFault({ kind: "crash", afterMs: 0, status: "FAILED", match: { pipelineId: P1 } });
    await start(made.caller, P1);
    await sim.admin.waitForPipelineStatus(P1, "FAILED");
    expect((await sim.admin.pipeline(P1)).status).toBe("FAILED");
  });

  it("seed options apply to every run of the pipeline", async () => {
    const seed: Seed = {
      ...defaultSeed,
      pipelines: [
        { pipelineId: P1, orgId: "o-demo", status: "RUNNING", kafkaRate: 300, kafka: { stalled: true } },
        { pipelineId: P2, orgId: "o-demo", kafka: { crashAfterSamples: 1, crashStatus: "RUN_ERROR" } },
      ],
    };
    const { caller, advance } = await manual(seed);
    advance(2_000);
    expect((await samples(caller, P1)).at(-1)).toMatchObject({ offset: 0, lag: 3 + 600 });
    await start(caller, P2);
    await samples(caller, P2);
    expect((await sim!.admin.pipeline(P2)).status).toBe("RUN_ERROR");
  });

  it("refuses a crash rule with neither or both of afterMs and afterSamples", async () => {
    const made = await withSim(FAST);
    sim = made.sim;
    await expect(sim.admin.addFault({ kind: "crash" })).rejects.toThrow(
      /exactly one of afterMs and afterSamples/,
    );
    await expect(sim.admin.addFault({ kind: "crash", afterMs: 1, afterSamples: 1 })).rejects.toThrow(
      /exactly one/,
    );
  });
});

describe("hold", () => {
  it("keeps matching requests unanswered until the rule is removed", async () => {
    const made = await withSim(FAST);
    sim = made.sim;
    const id = await sim.admin.addFault({ kind: "hold", match: { endpoint: "getPipeline", pipelineId: P2 } });
    let answered = false;
    const held = made.caller.details(P2).then((res) => {
      answered = true;
      return res;
    });
    expect(codeOf(await made.caller.details(P1))).toBe(0);
    // The held call reached the simulator and is waiting: the rule has fired.
    await expect
      .poll(async () => (await sim!.admin.faults()).find((r) => r.id === id)?.fired, {
        interval: 10,
        timeout: 20_000,
      })
      .toBe(1);
    expect(answered).toBe(false);
    await sim.admin.removeFault(id);
    expect(codeOf(await held)).toBe(0);
  });
});
