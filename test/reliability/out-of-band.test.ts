// Out-of-band changes (someone in the EnOS console) between runs — `refresh` shows them, `up` heals them — and
// during a run, while the provider waits for a transition. Each row asserts the EnOS state, the Pulumi state and
// the EnOS mutations. Flows change instantly in EnOS, so flow rows are between runs only.
import { describe, expect, it } from "vitest";
import { makeSeed } from "../../simulator/index.js";
import {
  callsSince,
  changes,
  environment,
  errorText,
  expectOk,
  mark,
  mutations,
  outputsOf,
  P1,
  P2,
  P3,
  PROGRAM,
  resourceNamed,
  stateNames,
  statuses,
  useSuite,
  type Entry,
} from "./support.js";

const S1 = "sim-pipeline-0001";
const suite = useSuite(makeSeed({ pipelines: 1 }));

const PIPELINES: Entry[] = [
  { name: "p1", pipelineId: P1 },
  { name: "p2", pipelineId: P2 },
  { name: "p3", pipelineId: P3 },
  { name: "s1", pipelineId: S1, releaseTrigger: "r1" },
];
const FLOWS: Entry[] = [
  { name: "nightly", flowId: 3377, enabled: true },
  { name: "hourly", flowId: 3378, enabled: true },
];
const flowActive = async (id: number) =>
  (await suite.sim.admin.state()).flows.find((f) => f.flowId === id)?.active;

describe("between runs: refresh shows the change, up heals it", () => {
  it("deleted, stopped, paused, new draft, flow disabled", async () => {
    const { sim } = suite;
    const stack = suite.stack(environment(PIPELINES, FLOWS));
    expectOk(await stack.up(PROGRAM));

    await sim.admin.deletePipeline(P1);
    await sim.admin.setPipelineStatus(P2, "STOPPED");
    await sim.admin.setPipelineStatus(P3, "PAUSED");
    await sim.admin.saveDraft(S1);
    await sim.admin.setFlow(3377, { active: 0 });

    let since = await mark(sim);
    const refreshed = expectOk(await stack.refresh());
    expect(changes(refreshed)).toEqual(["refresh nightly", "refresh p1", "refresh p2", "refresh p3"]);
    expect(refreshed.steps.find((s) => s.urn.endsWith("::p1"))?.detail).toBe("delete");
    expect(stateNames(stack)).toEqual(["hourly", "nightly", "p2", "p3", "s1"]);
    expect(outputsOf(stack, "p2").status).toBe("STOPPED");
    expect(outputsOf(stack, "p3").status).toBe("PAUSED");
    expect(outputsOf(stack, "nightly").active).toBe(false);
    // A saved draft is not a release: the released version stays until releaseTrigger changes.
    expect(outputsOf(stack, "s1")).toMatchObject({ status: "RUNNING", releasedVersion: "1" });
    expect(refreshed.logs).toContainEqual(expect.stringContaining(`${P1}: no longer exists in org o-demo`));
    expect(mutations(await callsSince(sim, since))).toEqual([]);

    // The deleted pipeline is dropped from the program; the rest is healed: start, resume, enable.
    since = await mark(sim);
    const healed = expectOk(await stack.up(PROGRAM, { config: environment(PIPELINES.slice(1), FLOWS) }));
    expect(changes(healed)).toEqual(["update nightly", "update p2", "update p3"]);
    expect(mutations(await callsSince(sim, since)).sort()).toEqual([
      "enableFlow 3377 0",
      `startPipeline ${P2} 0`,
      `startPipeline ${P3} 0`,
    ]);
    expect(await statuses(sim, P2, P3, S1)).toEqual({ [P2]: "RUNNING", [P3]: "RUNNING", [S1]: "RUNNING" });
    expect(await sim.admin.pipeline(S1)).toMatchObject({ draftVersion: "2", releasedVersion: "1" });
    expect(await flowActive(3377)).toBe(1);
    for (const name of ["p2", "p3", "s1"]) expect(outputsOf(stack, name).status).toBe("RUNNING");
    expect(outputsOf(stack, "nightly").active).toBe(true);

    // The new draft goes out only when asked: releaseTrigger changes → pause, release, start.
    since = await mark(sim);
    const released = expectOk(
      await stack.up(PROGRAM, {
        config: environment([...PIPELINES.slice(1, 3), { ...PIPELINES[3], releaseTrigger: "r2" }], FLOWS),
      }),
    );
    expect(changes(released)).toEqual(["update s1"]);
    expect(mutations(await callsSince(sim, since))).toEqual([
      `pausePipeline ${S1} 0`,
      `releasePipeline ${S1} 0`,
      `startPipeline ${S1} 0`,
    ]);
    expect(outputsOf(stack, "s1")).toMatchObject({
      status: "RUNNING",
      releasedVersion: "2",
      draftVersion: "2",
    });
  });

  it("a deleted pipeline still declared: a clear error, nothing created, nothing changed", async () => {
    const { sim } = suite;
    const stack = suite.stack(environment([{ name: "p1", pipelineId: P1 }]));
    expectOk(await stack.up(PROGRAM));
    await sim.admin.deletePipeline(P1);
    expectOk(await stack.refresh());
    expect(stack.state().resources).toEqual([]);

    const since = await mark(sim);
    const failed = await stack.up(PROGRAM);
    expect(failed.errors).toHaveLength(1);
    expect(errorText(failed)).toMatch(
      new RegExp(`${P1}: no such pipeline in org o-demo .*61108.*never creates one`),
    );
    expect(stack.state().resources).toEqual([]);
    expect(mutations(await callsSince(sim, since))).toEqual([]);
  });

  it("a flow disabled and locked in the console: refused with the fix, nothing changed; converges once unlocked", async () => {
    const { sim } = suite;
    const stack = suite.stack(environment([], FLOWS));
    expectOk(await stack.up(PROGRAM));
    await sim.admin.setFlow(3378, { active: 0, locked: true });
    expectOk(await stack.refresh());
    expect(outputsOf(stack, "hourly")).toMatchObject({ active: false, locked: true });

    let since = await mark(sim);
    const refused = await stack.up(PROGRAM);
    expect(refused.errors).toHaveLength(1);
    expect(errorText(refused)).toMatch(
      /EnosFlowSchedule 3378 .*cannot enable \(update\): the flow is locked\. Unlock it in the EnOS console/,
    );
    expect(mutations(await callsSince(sim, since))).toEqual([]);
    expect(await flowActive(3378)).toBe(0);
    expect(outputsOf(stack, "hourly").active).toBe(false);

    await sim.admin.setFlow(3378, { locked: false });
    since = await mark(sim);
    expectOk(await stack.up(PROGRAM));
    expect(mutations(await callsSince(sim, since))).toEqual(["enableFlow 3378 0"]);
    expect(await flowActive(3378)).toBe(1);
    expect(outputsOf(stack, "hourly")).toMatchObject({ active: true, locked: false });
  });
});

describe("during a run", () => {
  it("stopped, paused or deleted while the provider waits for the start", async () => {
    const { sim } = suite;
    await sim.admin.setConfig({ delays: { start: 400, pause: 30, stop: 30, release: 30 } });
    const stack = suite.stack(
      environment([
        { name: "p1", pipelineId: P1 },
        { name: "p2", pipelineId: P2 },
        { name: "p3", pipelineId: P3 },
      ]),
    );
    // Each start is held in STARTING until the console user has acted on it, so no action can come too late.
    for (const id of [P1, P2, P3]) await sim.admin.holdTransitions(id);
    const running = stack.up(PROGRAM);
    // The console user acts on each pipeline once, the first time it shows STARTING, then stops holding it.
    const act: Record<string, () => Promise<unknown>> = {
      [P1]: async () => {
        await sim.admin.setPipelineStatus(P1, "STOPPED");
        await sim.admin.proceed(P1);
      },
      [P2]: async () => {
        await sim.admin.setPipelineStatus(P2, "PAUSED");
        await sim.admin.proceed(P2);
      },
      [P3]: () => sim.admin.deletePipeline(P3),
    };
    const done = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (done.size < 3 && Date.now() < deadline) {
      for (const [id, status] of Object.entries(
        await statuses(sim, ...Object.keys(act).filter((k) => !done.has(k))),
      )) {
        if (status === "STARTING") {
          await act[id]!();
          done.add(id);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect([...done].sort()).toEqual([P1, P2, P3]);
    const result = await running;
    const calls = await callsSince(sim);

    // Stopped and paused under it: the provider re-reads, re-plans and starts again.
    expect(await statuses(sim, P1, P2)).toEqual({ [P1]: "RUNNING", [P2]: "RUNNING" });
    expect(outputsOf(stack, "p1").status).toBe("RUNNING");
    expect(outputsOf(stack, "p2").status).toBe("RUNNING");
    for (const id of [P1, P2]) {
      expect(result.logs).toContainEqual(
        expect.stringMatching(new RegExp(`^${id}: start met a status change`)),
      );
      expect(mutations(calls).filter((m) => m.includes(id) && !m.endsWith("61121"))).toEqual([
        `startPipeline ${id} 0`,
        `startPipeline ${id} 0`,
      ]);
    }
    // Deleted under it: a clear error naming it, and no state for it.
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.urn).toMatch(/::p3$/);
    expect(errorText(result)).toMatch(
      new RegExp(`${P3} .*the pipeline disappeared while waiting for RUNNING`),
    );
    expect(errorText(result)).toMatch(/deleted in EnOS/);
    expect(resourceNamed(stack, "p3")).toBeUndefined();
    expect(mutations(calls).filter((m) => m.includes(P3) && !m.endsWith("61121"))).toEqual([
      `startPipeline ${P3} 0`,
    ]);
  });
});
