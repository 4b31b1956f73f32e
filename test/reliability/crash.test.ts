// The provider host killed (SIGKILL, by its pid) in the middle of a verb, while EnOS is still carrying out what
// it was asked. The state file stays readable, and the next verb from the last saved state converges without
// repeating what EnOS already did.
import { describe, expect, it } from "vitest";
import { liveHostPids } from "../host/host.js";
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
  statuses,
  until,
  useSuite,
  type Entry,
} from "./support.js";

const suite = useSuite();

/** Kill this process's only provider host once `probe` holds. */
async function killHostWhen(probe: () => Promise<boolean>): Promise<void> {
  await until(probe);
  const pids = liveHostPids();
  expect(pids).toHaveLength(1);
  process.kill(pids[0]!, "SIGKILL");
}

const showing = (id: string, status: string) => async () =>
  (await suite.sim.admin.pipeline(id)).status === status;

describe("provider host killed mid-verb", () => {
  it("during create, while a start is in progress: the next up adopts it without a second start", async () => {
    const { sim } = suite;
    // Every transition is held (no timer to race): the first start stays STARTING until the test lets it go.
    for (const id of [P1, P2, P3]) await sim.admin.holdTransitions(id);
    const pipelines: Entry[] = [
      { name: "p1", pipelineId: P1 },
      { name: "p2", pipelineId: P2 },
      { name: "p3", pipelineId: P3 },
    ];
    const stack = suite.stack(environment(pipelines));
    const running = stack.up(PROGRAM);
    await killHostWhen(async () => Object.values(await statuses(sim, P1, P2, P3)).includes("STARTING"));
    const crashed = await running;

    expect(crashed.errors.length).toBeGreaterThan(0);
    const starting = Object.entries(await statuses(sim, P1, P2, P3)).filter(([, s]) => s === "STARTING");
    expect(starting).toHaveLength(1);
    // Nothing returned from the creates in flight: the state holds none of them, and it is whole.
    expect(stack.state().resources).toEqual([]);
    expect(mutations(await callsSince(sim))).toHaveLength(1);

    // The next up meets the start still in progress and waits for it. While it is STARTING, EnOS refuses every
    // other start in the org (61121), so the others are refused until the test lets EnOS finish (proceed); it
    // does so once each of them has been refused, which makes the call sequence the same on every run.
    const since = await mark(sim);
    const resumed = stack.up(PROGRAM);
    const others = [P1, P2, P3].filter((id) => id !== starting[0]![0]);
    await until(async () => {
      const refused = mutations(await callsSince(sim, since));
      return others.every((id) => refused.includes(`startPipeline ${id} 61121`));
    });
    for (const id of [P1, P2, P3]) await sim.admin.proceed(id);
    const next = expectOk(await resumed);
    expect(changes(next)).toEqual(["create p1", "create p2", "create p3"]);
    expect(await statuses(sim, P1, P2, P3)).toEqual({ [P1]: "RUNNING", [P2]: "RUNNING", [P3]: "RUNNING" });
    for (const name of ["p1", "p2", "p3"]) expect(outputsOf(stack, name).status).toBe("RUNNING");
    const state = await sim.admin.state();
    expect(state.pipelines.map((p) => p.startCount)).toEqual([1, 1, 1]);
    // The pipeline that was starting at the kill is only waited for, never started again; each other one is
    // refused while the org is busy and accepted once, after the start in progress has finished.
    const calls = mutations(await callsSince(sim, since));
    expect(calls.filter((c) => !c.endsWith(" 61121")).sort()).toEqual(
      others.map((id) => `startPipeline ${id} 0`),
    );
    expect(
      calls
        .filter((c) => c.endsWith(" 61121"))
        .every((c) => others.some((id) => c === `startPipeline ${id} 61121`)),
    ).toBe(true);
    expect(calls.join("\n")).not.toContain(starting[0]![0]);
  });

  it("during an update's restart, after the pause: the next up only starts, with the new options", async () => {
    const { sim } = suite;
    const one = (kafkaRate: number): Record<string, string> =>
      environment([{ name: "p1", pipelineId: P1, kafkaRate }]);
    const stack = suite.stack(one(1000));
    expectOk(await stack.up(PROGRAM));

    await sim.admin.holdTransitions(P1);
    let since = await mark(sim);
    const running = stack.up(PROGRAM, { config: one(4000) });
    await killHostWhen(showing(P1, "PAUSING"));
    const crashed = await running;
    await sim.admin.proceed(P1); // EnOS finishes the pause after the host is gone
    expect(crashed.errors.length).toBeGreaterThan(0);
    expect(mutations(await callsSince(sim, since))).toEqual([`pausePipeline ${P1} 0`]);
    // The update never returned: state still has the old options and the last status it saw.
    expect(outputsOf(stack, "p1")).toMatchObject({ status: "RUNNING", kafkaRate: 1000 });

    since = await mark(sim);
    const next = expectOk(await stack.up(PROGRAM));
    expect(changes(next)).toEqual(["update p1"]);
    expect(mutations(await callsSince(sim, since))).toEqual([`startPipeline ${P1} 0`]);
    expect(await sim.admin.pipeline(P1)).toMatchObject({
      status: "RUNNING",
      startCount: 2,
      lastStartBody: { kafkaRate: 4000 },
    });
    expect(outputsOf(stack, "p1")).toMatchObject({ status: "RUNNING", kafkaRate: 4000 });
  });

  it("during destroy, while the stop is in progress: the next destroy finishes without a second stop", async () => {
    const { sim } = suite;
    const stack = suite.stack(environment([{ name: "p1", pipelineId: P1 }]));
    expectOk(await stack.up(PROGRAM));

    await sim.admin.holdTransitions(P1);
    const since = await mark(sim);
    const running = stack.destroy();
    await killHostWhen(showing(P1, "STOPPING"));
    const crashed = await running;
    await sim.admin.proceed(P1); // EnOS finishes the stop after the host is gone
    expect(crashed.errors.length).toBeGreaterThan(0);
    expect(stack.state().resources).toHaveLength(1);

    expectOk(await stack.destroy());
    expect(stack.state().resources).toEqual([]);
    expect((await sim.admin.pipeline(P1)).status).toBe("STOPPED");
    expect(mutations(await callsSince(sim, since))).toEqual([`stopPipeline ${P1} 0`]);
  });
});
