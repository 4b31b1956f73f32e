// Two stacks (two engines, so two provider hosts with separate start locks and token caches) acting on
// different pipelines of the same org at the same time. EnOS lets one start run per org (61121 for the next):
// no 61121 may escape as an error, and no pipeline may end in a state neither stack asked for.
import { describe, expect, it } from "vitest";
import { makeSeed } from "../../simulator/index.js";
import {
  callsSince,
  changes,
  environment,
  expectOk,
  mark,
  mutations,
  outputsOf,
  P1,
  P2,
  P3,
  PROGRAM,
  stateNames,
  statuses,
  useSuite,
  type Entry,
} from "./support.js";

const [S1, S2, S3] = ["sim-pipeline-0001", "sim-pipeline-0002", "sim-pipeline-0003"];
const ALL = [P1, P2, P3, S1, S2, S3];
const suite = useSuite(makeSeed({ pipelines: 3 }), { start: 200, pause: 60, stop: 60, release: 30 });

const A: Entry[] = [
  { name: "a1", pipelineId: P1 },
  { name: "a2", pipelineId: P2, kafkaRate: 500 },
  { name: "a3", pipelineId: S1, desiredState: "PAUSED" },
];
const B: Entry[] = [
  {
    name: "b1",
    pipelineId: P3,
    executionMode: "CLUSTER",
    resourceConfig: { server: 1, yarn: { workerCount: 1, master: 1, slave: 1 } },
  },
  { name: "b2", pipelineId: S2 },
  { name: "b3", pipelineId: S3, desiredState: "STOPPED" },
];

/** Mutations of one pipeline that EnOS accepted or refused for a reason other than 61121. */
const ownMutations = (list: string[], id: string) =>
  list.filter((m) => m.split(" ")[1] === id && !m.endsWith(" 61121"));

describe("two stacks on one org at once", () => {
  it("both converge, no 61121 escapes, every pipeline ends where its stack asked", async () => {
    const { sim } = suite;
    const stackA = suite.stack(environment(A));
    const stackB = suite.stack(environment(B));

    const [upA, upB] = await Promise.all([stackA.up(PROGRAM), stackB.up(PROGRAM)]);
    expectOk(upA);
    expectOk(upB);
    let calls = await callsSince(sim);
    expect(changes(upA)).toEqual(["create a1", "create a2", "create a3"]);
    expect(changes(upB)).toEqual(["create b1", "create b2", "create b3"]);
    expect(await statuses(sim, ...ALL)).toEqual({
      [P1]: "RUNNING",
      [P2]: "RUNNING",
      [S1]: "PAUSED",
      [P3]: "RUNNING",
      [S2]: "RUNNING",
      [S3]: "PUBLISHED", // released, never started: satisfies STOPPED with no action
    });
    expect(stateNames(stackA)).toEqual(["a1", "a2", "a3"]);
    expect(stateNames(stackB)).toEqual(["b1", "b2", "b3"]);
    expect(outputsOf(stackA, "a3").status).toBe("PAUSED");
    expect(outputsOf(stackB, "b1").status).toBe("RUNNING");
    const list = mutations(calls);
    for (const id of [P1, P2, P3, S2]) expect(ownMutations(list, id)).toEqual([`startPipeline ${id} 0`]);
    expect(ownMutations(list, S1)).toEqual([`startPipeline ${S1} 0`, `pausePipeline ${S1} 0`]);
    expect(ownMutations(list, S3)).toEqual([]);
    // Whatever 61121s the two hosts met were absorbed; none reached a user.
    for (const result of [upA, upB]) expect(result.logs.join("\n")).not.toMatch(/61121.*(failed|Error)/);

    // Second round, again at once: pause, restart, stop, restart.
    const since = await mark(sim);
    const [againA, againB] = await Promise.all([
      stackA.up(PROGRAM, {
        config: environment([{ ...A[0], desiredState: "PAUSED" }, { ...A[1], kafkaRate: 800 }, A[2]!]),
      }),
      stackB.up(PROGRAM, {
        config: environment([{ ...B[0], desiredState: "STOPPED" }, { ...B[1], kafkaRate: 900 }, B[2]!]),
      }),
    ]);
    expectOk(againA);
    expectOk(againB);
    calls = await callsSince(sim, since);
    expect(changes(againA)).toEqual(["update a1", "update a2"]);
    expect(changes(againB)).toEqual(["update b1", "update b2"]);
    expect(await statuses(sim, ...ALL)).toEqual({
      [P1]: "PAUSED",
      [P2]: "RUNNING",
      [S1]: "PAUSED",
      [P3]: "STOPPED",
      [S2]: "RUNNING",
      [S3]: "PUBLISHED",
    });
    const second = mutations(calls);
    expect(ownMutations(second, P1)).toEqual([`pausePipeline ${P1} 0`]);
    expect(ownMutations(second, P2)).toEqual([`pausePipeline ${P2} 0`, `startPipeline ${P2} 0`]);
    expect(ownMutations(second, P3)).toEqual([`stopPipeline ${P3} 0`]);
    expect(ownMutations(second, S2)).toEqual([`pausePipeline ${S2} 0`, `startPipeline ${S2} 0`]);
    expect(ownMutations(second, S1)).toEqual([]);
    expect(ownMutations(second, S3)).toEqual([]);
    expect((await sim.admin.pipeline(P2)).lastStartBody).toMatchObject({ kafkaRate: 800 });
    expect((await sim.admin.pipeline(S2)).lastStartBody).toMatchObject({ kafkaRate: 900 });
    expect(outputsOf(stackA, "a1").status).toBe("PAUSED");
    expect(outputsOf(stackA, "a2")).toMatchObject({ status: "RUNNING", kafkaRate: 800 });
    expect(outputsOf(stackB, "b1").status).toBe("STOPPED");
    expect(outputsOf(stackB, "b2")).toMatchObject({ status: "RUNNING", kafkaRate: 900 });
  });
});
