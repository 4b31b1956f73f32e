// State written by earlier versions keeps working: refresh, update and destroy of committed fixtures
// (test/fixtures/state) through the dynamic-provider host. Fields older state lacks get their defaults.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  callsSince,
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
  useSuite,
  type Entry,
} from "./support.js";

const suite = useSuite();
const FIXTURES = path.join(__dirname, "..", "fixtures", "state");

const PIPELINES: Entry[] = [
  { name: "p1", pipelineId: P1 },
  { name: "p2", pipelineId: P2, desiredState: "PAUSED", onDelete: "PAUSE", kafkaRate: 2000 },
  { name: "p3", pipelineId: P3, releaseTrigger: "r1" },
];
const FLOWS: Entry[] = [{ name: "nightly", flowId: 3377, enabled: true, onDelete: "RESTORE" }];

/** A stack whose state file is a copy of the fixture, and EnOS as that state says it was left. */
async function stackFrom(fixture: string, pipelines: Entry[] = PIPELINES) {
  const { sim } = suite;
  const stateFile = path.join(suite.dir, `old-${fixture}-${process.pid}.json`);
  fs.copyFileSync(path.join(FIXTURES, fixture), stateFile);
  await sim.admin.setPipelineStatus(P1, "RUNNING");
  await sim.admin.setPipelineStatus(P2, "PAUSED");
  await sim.admin.setPipelineStatus(P3, "RUNNING");
  await sim.admin.setFlow(3377, { active: 1 });
  return suite.stack(environment(pipelines, FLOWS), { stack: "fixture", stateFile });
}

describe.each(["0.1.0.json", "early.json"])("state from %s", (fixture) => {
  it("refreshes, then destroys with each resource's onDelete (defaults where the state has none)", async () => {
    const { sim } = suite;
    const stack = await stackFrom(fixture);
    await sim.admin.setPipelineStatus(P1, "STOPPED");
    expectOk(await stack.refresh());
    expect(outputsOf(stack, "p1")).toMatchObject({ status: "STOPPED", pipelineId: P1 });
    expect(outputsOf(stack, "nightly")).toMatchObject({ active: true, flowId: 3377 });

    const since = await mark(sim);
    expectOk(await stack.destroy());
    const early = fixture === "early.json";
    // 0.1.0: p2 onDelete PAUSE (already paused), flow RESTORE (adopted disabled). Early: STOP and DISABLE.
    expect(mutations(await callsSince(sim, since)).sort()).toEqual(
      early
        ? ["disableFlow 3377 0", `stopPipeline ${P2} 0`, `stopPipeline ${P3} 0`]
        : ["disableFlow 3377 0", `stopPipeline ${P3} 0`],
    );
    expect(stack.state().resources).toEqual([]);
  });

  it("updates: a changed desiredState is applied in today's layout, nothing else is called", async () => {
    const { sim } = suite;
    const stack = await stackFrom(fixture, [
      { ...PIPELINES[0], desiredState: "STOPPED" },
      ...PIPELINES.slice(1),
    ]);
    const since = await mark(sim);
    expectOk(await stack.up(PROGRAM));
    expect(mutations(await callsSince(sim, since))).toEqual([`stopPipeline ${P1} 0`]);
    expect(await statuses(sim, P1, P2, P3)).toEqual({ [P1]: "STOPPED", [P2]: "PAUSED", [P3]: "RUNNING" });
    // The updated resource is written in today's layout; the others had nothing to change and keep theirs.
    expect(outputsOf(stack, "p1")).toMatchObject({
      schemaVersion: 1,
      timeouts: { create: "10m", update: "10m", delete: "10m" },
      restartStrategy: "PAUSE",
    });
    expect(outputsOf(stack, "nightly")).toMatchObject({ adoptedActive: false, onDelete: "RESTORE" });
  });
});

describe("state from a newer version", () => {
  it("is refused with what to do, and nothing is called", async () => {
    const { sim } = suite;
    const stack = await stackFrom("0.1.0.json");
    const state = stack.state();
    for (const r of state.resources) r.outputs.schemaVersion = 99;
    fs.writeFileSync(path.join(suite.dir, `old-0.1.0.json-${process.pid}.json`), JSON.stringify(state));
    const since = await mark(sim);
    const result = await stack.refresh();
    expect(result.errors.map((e) => e.message).join("\n")).toMatch(
      /written by a newer pulumi-enos \(schemaVersion 99; this version reads up to 1\)\. Upgrade pulumi-enos/,
    );
    expect(mutations(await callsSince(sim, since))).toEqual([]);
  });
});
