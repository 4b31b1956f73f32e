// Transport fault matrix: connection resets, 5xx bursts, 429 with Retry-After and slow answers, injected by the
// simulator while a real `up`/`destroy` runs through the dynamic-provider host. Faults fire a fixed number of
// times ("then the fault clears"); every row ends converged in the same run and asserts the EnOS state, the
// Pulumi state and the EnOS calls. Rows that fault a single pipeline's calls share one `up` of five pipelines
// (each pipeline gets its own fault, so its calls stay attributable); each row is its own test over that run.
//
// Per-request timeouts are tested at the client and in-process provider level (last block): the host's client
// waits 30 s per request, far too long for this suite's budget.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EnosClient, EnosTimeoutError, type EnosCallEvent } from "../../provider/client/index.js";
import { resetProcessGlobals } from "../../provider/registry.js";
import { PipelineProvider } from "../../provider/resources/pipeline/provider.js";
import { makeSeed, type FaultRuleInput } from "../../simulator/index.js";
import {
  ACCESS_KEY,
  callsSince,
  changes,
  count,
  environment,
  expectOk,
  mark,
  mutations,
  ORG,
  outcome,
  outputsOf,
  P1,
  P2,
  P3,
  pipelineIn,
  PROGRAM,
  SECRET_KEY,
  snapshot,
  stateEntry,
  statuses,
  until,
  useSuite,
  type RunSnapshot,
} from "./support.js";

const S1 = "sim-pipeline-0001";
const S2 = "sim-pipeline-0002";
const suite = useSuite(makeSeed({ pipelines: 2 }));

const entry = (name: string, pipelineId: string) => ({
  name,
  pipelineId,
  timeouts: { create: "30s", update: "30s", delete: "30s" },
});

/** Outcomes of the start calls of one pipeline, without 61121 (org busy: nothing happened, retried). */
const startOutcomes = (snap: RunSnapshot, id: string): string[] =>
  snap.calls
    .filter((c) => c.endpoint === "startPipeline" && c.pipelineId === id && c.code !== 61121)
    .map(outcome);

describe("faults on one pipeline's start call (one up of five pipelines)", () => {
  const ROWS: [row: string, pipelineId: string, name: string, fault: FaultRuleInput, starts: string[]][] = [
    [
      "connection reset before the start reached EnOS: re-read, re-plan, start again",
      P1,
      "p1",
      { kind: "reset", phase: "before", count: 1 },
      ["reset", "0"],
    ],
    [
      "connection reset after the start took effect: the re-read sees it, no second start",
      P2,
      "p2",
      { kind: "reset", phase: "after", count: 1 },
      ["reset"],
    ],
    [
      "HTTP 500 after the start took effect: the re-read sees it, no second start",
      P3,
      "p3",
      { kind: "serverError", status: 500, phase: "after", count: 1 },
      ["500"],
    ],
    [
      "a burst of 503 (nothing happened): the client retries the start",
      S1,
      "s1",
      { kind: "serverError", status: 503, count: 3 },
      ["503", "503", "503", "0"],
    ],
    [
      "429 with Retry-After: waited out, then the start is repeated",
      S2,
      "s2",
      { kind: "rateLimit", retryAfterSeconds: 1, count: 1 },
      ["429", "0"],
    ],
  ];
  let snap: RunSnapshot;

  beforeAll(async () => {
    const { sim } = suite;
    await sim.admin.reset();
    await sim.admin.addFaults(
      ROWS.map(([, pipelineId, , fault]) => ({
        ...fault,
        match: { endpoint: "startPipeline", pipelineId },
      })),
    );
    const stack = suite.stack(environment(ROWS.map(([, id, name]) => entry(name, id))));
    snap = await snapshot(sim, stack, await stack.up(PROGRAM));
  });

  it("the up succeeds with five creates and one accepted start per pipeline", () => {
    expectOk(snap.result);
    expect(changes(snap.result)).toEqual(["create p1", "create p2", "create p3", "create s1", "create s2"]);
    expect(snap.calls.filter((c) => c.endpoint === "startPipeline" && c.code === 0)).toHaveLength(3);
    // Starts are queued per org, also while a start whose answer was lost settles: no 61121 in one host.
    expect(count(snap.calls, "startPipeline", 61121)).toBe(0);
    // Accepted starts whose answer was lost are seen in the log as reset/500; EnOS counts five in total.
    expect(snap.enos.pipelines.reduce((n, p) => n + p.startCount, 0)).toBe(5);
    expect(snap.calls.filter((c) => c.mutation && c.endpoint !== "startPipeline")).toEqual([]);
  });

  it.each(ROWS)("%s", (_row, pipelineId, name, _fault, starts) => {
    expect(pipelineIn(snap, pipelineId)).toMatchObject({ status: "RUNNING", startCount: 1 });
    const kept = stateEntry(snap, name);
    expect(kept?.outputs).toMatchObject({ status: "RUNNING", pipelineId });
    expect(kept?.initErrors).toBeUndefined();
    expect(startOutcomes(snap, pipelineId)).toEqual(starts);
  });

  it("a lost answer is reported in the log as such", () => {
    for (const id of [P1, P2, P3]) {
      expect(snap.result.logs).toContainEqual(
        expect.stringContaining(`${id}: start may or may not have reached EnOS`),
      );
    }
    expect(snap.result.logs).toContainEqual(expect.stringMatching(new RegExp(`${P2}: start took effect`)));
  });
});

describe("faults on reads and the token service", () => {
  it("resets, 5xx and 429 on token, details and listing calls are retried; the up converges", async () => {
    const { sim } = suite;
    await sim.admin.addFaults([
      { kind: "reset", phase: "before", count: 1, match: { endpoint: "tokenGet" } },
      { kind: "serverError", status: 504, count: 1, match: { endpoint: "getPipeline" } },
      { kind: "reset", phase: "after", count: 1, match: { endpoint: "listPipelines" } },
      { kind: "serverError", status: 502, count: 1, match: { endpoint: "listPipelines" } },
      { kind: "rateLimit", retryAfterSeconds: 0, count: 1, match: { endpoint: "listPipelines" } },
    ]);
    const stack = suite.stack(environment([entry("p1", P1), entry("p2", P2)]));
    const result = expectOk(await stack.up(PROGRAM));
    const calls = await callsSince(sim);

    expect(changes(result)).toEqual(["create p1", "create p2"]);
    expect(await statuses(sim, P1, P2)).toEqual({ [P1]: "RUNNING", [P2]: "RUNNING" });
    expect(outputsOf(stack, "p1")).toMatchObject({ status: "RUNNING" });
    expect(outputsOf(stack, "p2")).toMatchObject({ status: "RUNNING" });
    expect(calls.filter((c) => c.faults.length > 0).map((c) => `${c.endpoint} ${outcome(c)}`)).toEqual(
      expect.arrayContaining([
        "tokenGet reset",
        "getPipeline 504",
        "listPipelines reset",
        "listPipelines 502",
        "listPipelines 429",
      ]),
    );
    expect(calls.filter((c) => c.faults.length > 0)).toHaveLength(5);
    expect(count(calls, "tokenGet", 0)).toBe(1);
    expect(mutations(calls).sort()).toEqual([`startPipeline ${P1} 0`, `startPipeline ${P2} 0`]);
  });

  it("slow answers on every call still converge within the resource's deadline", async () => {
    const { sim } = suite;
    await sim.admin.addFault({ kind: "latency", latencyMs: 100 });
    // A deadline a loaded machine cannot run out of (the run takes a few seconds): what is asserted is that slow
    // answers are waited for, not retried, and the up converges.
    const stack = suite.stack(
      environment([
        { ...entry("p1", P1), timeouts: { create: "2m" } },
        { ...entry("p2", P2), timeouts: { create: "2m" } },
      ]),
    );
    const result = expectOk(await stack.up(PROGRAM));
    const calls = await callsSince(sim);
    expect(changes(result)).toEqual(["create p1", "create p2"]);
    expect(await statuses(sim, P1, P2)).toEqual({ [P1]: "RUNNING", [P2]: "RUNNING" });
    expect(outputsOf(stack, "p1")).toMatchObject({ status: "RUNNING" });
    expect(calls.every((c) => c.faults.includes("latency"))).toBe(true);
    expect(mutations(calls).sort()).toEqual([`startPipeline ${P1} 0`, `startPipeline ${P2} 0`]);
  });
});

describe("faults during destroy", () => {
  it("a stop whose answer was lost is re-read, not failed or repeated", async () => {
    const { sim } = suite;
    const stack = suite.stack(environment([entry("p1", P1), entry("p2", P2)]));
    expectOk(await stack.up(PROGRAM));
    await sim.admin.addFault({
      kind: "reset",
      phase: "after",
      count: 1,
      match: { endpoint: "stopPipeline", pipelineId: P1 },
    });
    // P2's own 503: a rule on any stop would hit whichever of the two parallel deletes' stops came first.
    await sim.admin.addFault({
      kind: "serverError",
      status: 503,
      count: 1,
      match: { endpoint: "stopPipeline", pipelineId: P2 },
    });
    const since = await mark(sim);
    const destroyed = expectOk(await stack.destroy());
    const calls = await callsSince(sim, since);

    expect(changes(destroyed)).toEqual(["delete p1", "delete p2"]);
    expect(stack.state().resources).toEqual([]);
    expect(await statuses(sim, P1, P2)).toEqual({ [P1]: "STOPPED", [P2]: "STOPPED" });
    expect(mutations(calls)).toEqual(
      expect.arrayContaining([`stopPipeline ${P1} reset`, `stopPipeline ${P2} 0`]),
    );
    expect(mutations(calls).filter((m) => m.includes(P1))).toEqual([`stopPipeline ${P1} reset`]);
    expect(mutations(calls).filter((m) => m.includes(P2))).toEqual([
      `stopPipeline ${P2} 503`,
      `stopPipeline ${P2} 0`,
    ]);
    expect(mutations(calls)).toHaveLength(3);
  });
});

// The calls meant to time out are held on the wire by the simulator (a `hold` fault: no answer until the test
// removes the rule), so their timeout must fire whatever the machine's load; every other call has a limit of
// seconds for an answer the simulator gives in milliseconds. Nothing races a timer.
describe("per-request timeouts (client and in-process provider: the host's client waits 30 s)", () => {
  /** A client with this per-request limit; the token cache and listings are process-wide and kept between them. */
  function clientWith(
    timeoutMs: number,
    { maxAttempts, onCall }: { maxAttempts?: number; onCall?: (event: EnosCallEvent) => void } = {},
  ): EnosClient {
    return new EnosClient(
      { apiGateway: suite.sim.url, accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
      {
        requestTimeoutMs: timeoutMs,
        retry: { baseDelayMs: 20, maxDelayMs: 50, ...(maxAttempts === undefined ? {} : { maxAttempts }) },
        ...(onCall === undefined ? {} : { onCall }),
      },
    );
  }

  /** Hold the next matching request unanswered; resolves the rule's id. */
  const hold = (match: FaultRuleInput["match"]): Promise<string> =>
    suite.sim.admin.addFault({ kind: "hold", count: 1, match });

  /** Resolves once the hold rule `id` has caught a request (it is waiting, unanswered). */
  const caught = (id: string): Promise<void> =>
    until(async () => (await suite.sim.admin.faults()).find((r) => r.id === id)?.fired === 1);

  beforeEach(() => {
    resetProcessGlobals();
  });
  afterEach(() => {
    resetProcessGlobals();
  });

  it("a slow answer within the limit is used as is, with no retry", async () => {
    const { sim } = suite;
    const client = clientWith(10_000);
    const held = await hold({ endpoint: "getPipeline" });
    const answer = client.getPipeline(ORG, P1);
    await caught(held);
    // Keep the client waiting for a while (a loaded machine only makes it longer; the limit is 10 s).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sim.admin.removeFault(held);
    expect((await answer).pipelineId).toBe(P1);
    const calls = await callsSince(sim);
    expect(count(calls, "getPipeline")).toBe(1);
    expect(count(calls, "tokenGet")).toBe(1);
  });

  it("a read that times out is retried; with no timely answer at all it fails as EnosTimeoutError", async () => {
    const { sim } = suite;
    const held = await hold({ endpoint: "getPipeline" });
    expect((await clientWith(2_000).getPipeline(ORG, P1)).pipelineId).toBe(P1);
    // The simulator logs a call when it answers: the abandoned one answers once the test lets it go.
    expect(count(await callsSince(sim), "getPipeline")).toBe(1);
    await sim.admin.removeFault(held);
    await until(async () => count(await callsSince(sim), "getPipeline") === 2);

    // Every attempt held: each one times out (the token is cached already, so only these calls are held).
    const always = await sim.admin.addFault({ kind: "hold", count: 2, match: { endpoint: "getOffsetLag" } });
    const events: EnosCallEvent[] = [];
    const error = await clientWith(500, { maxAttempts: 2, onCall: (event) => events.push(event) })
      .getOffsetLag(ORG, P1)
      .catch((e: unknown) => e);
    expect(EnosTimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/timed out after 500 ms/);
    expect(events.map((e) => `${e.path} ${e.outcome}`)).toEqual([
      `/streaming/v2.0/streaming/pipeline/${P1}/offset-lag timeout`,
      `/streaming/v2.0/streaming/pipeline/${P1}/offset-lag timeout`,
    ]);
    // Let the abandoned calls go, and see them answered before the next test resets the simulator.
    const fired = (await sim.admin.faults()).find((r) => r.id === always)?.fired ?? 0;
    await sim.admin.removeFault(always);
    await until(async () => count(await callsSince(sim), "getOffsetLag") >= fired);
    expect((await sim.admin.state()).pipelines.every((p) => p.startCount === 0)).toBe(true);
  });

  it("a start that timed out is not repeated blindly: the provider re-reads and converges", async () => {
    const { sim } = suite;
    const client = clientWith(2_000);
    const logs: string[] = [];
    const provider = new PipelineProvider({
      client: () => client,
      clock: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      log: (line) => logs.push(line),
    });
    // The first start is held before EnOS acts on it, so it times out having done nothing yet.
    const held = await hold({ endpoint: "startPipeline" });
    const checked = await provider.check({}, { pipelineId: P1, orgId: ORG, timeouts: { create: "20s" } });
    const created = await provider.create(checked.inputs as Record<string, unknown>);
    expect(created.outs).toMatchObject({ status: "RUNNING" });
    expect(logs).toContainEqual(expect.stringMatching(/start may or may not have reached EnOS .*timed out/));
    // The re-read found it not started, so the provider started it again, and that start was accepted.
    expect(mutations(await callsSince(sim))).toEqual([`startPipeline ${P1} 0`]);

    // Now the timed-out start reaches EnOS, late: the pipeline is RUNNING, so it is refused and changes nothing.
    await sim.admin.removeFault(held);
    await until(async () => count(await callsSince(sim), "startPipeline") === 2);
    expect(mutations(await callsSince(sim))).toEqual([`startPipeline ${P1} 0`, `startPipeline ${P1} 61165`]);
    expect(await sim.admin.pipeline(P1)).toMatchObject({ status: "RUNNING", startCount: 1 });
  });
});
