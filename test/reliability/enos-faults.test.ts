// EnOS faults through the provider host: a 61121 storm, a transition that never completes, an error status
// during start, the access token expiring in the middle of a rollout, and quota refusals (61126/61128). Each row
// asserts the EnOS state, the Pulumi state and the EnOS calls, then shows the stack converging once the cause
// is gone.
import { describe, expect, it } from "vitest";
import {
  callsSince,
  changes,
  count,
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
  statuses,
  until,
  useSuite,
} from "./support.js";

const suite = useSuite();

const CLUSTER = {
  executionMode: "CLUSTER",
  resourceConfig: { server: 1, yarn: { workerCount: 2, master: 1, slave: 2 } },
};

describe("EnOS faults", () => {
  it("a 61121 storm longer than the client's retries: waited out, every pipeline started once", async () => {
    const { sim } = suite;
    // Five refusals exhaust the client's five attempts for the first start; the provider then waits and re-plans.
    await sim.admin.addFault({ kind: "startLock", count: 5 });
    const stack = suite.stack(
      environment([
        { name: "p1", pipelineId: P1 },
        { name: "p2", pipelineId: P2 },
        { name: "p3", pipelineId: P3 },
      ]),
    );
    const result = expectOk(await stack.up(PROGRAM));
    const calls = await callsSince(sim);

    expect(changes(result)).toEqual(["create p1", "create p2", "create p3"]);
    expect(await statuses(sim, P1, P2, P3)).toEqual({ [P1]: "RUNNING", [P2]: "RUNNING", [P3]: "RUNNING" });
    for (const name of ["p1", "p2", "p3"]) expect(outputsOf(stack, name).status).toBe("RUNNING");
    expect(count(calls, "startPipeline", 61121)).toBe(5);
    expect(count(calls, "startPipeline", 0)).toBe(3);
    expect(mutations(calls)).toHaveLength(8);
    expect(result.logs.join("\n")).not.toMatch(/Error/);
  });

  it("a start that never completes: deadline, init-failed error with the id, state kept; then converges", async () => {
    const { sim } = suite;
    await sim.admin.addFault({ kind: "stuck", match: { pipelineId: P1, action: "start" } });
    const stack = suite.stack(environment([{ name: "p1", pipelineId: P1, timeouts: { create: "1s" } }]));
    const failed = await stack.up(PROGRAM);

    expect(failed.errors).toHaveLength(1);
    const [error] = failed.errors;
    expect(error?.initFailed?.id).toBe(P1);
    expect(error?.message).toMatch(
      new RegExp(
        `${P1} \\(org o-demo\\): create failed during start: still STARTING after .*timeouts\\.create`,
      ),
    );
    expect(resourceNamed(stack, "p1")).toMatchObject({
      id: P1,
      outputs: { status: "STARTING", pipelineId: P1 },
      initErrors: [expect.stringContaining("still STARTING")],
    });
    expect((await sim.admin.pipeline(P1)).status).toBe("STARTING");
    expect(mutations(await callsSince(sim))).toEqual([`startPipeline ${P1} 0`]);

    // The transition finally completes (the operator finishes it in the console); the next up records it.
    await sim.admin.clearFaults();
    await sim.admin.setPipelineStatus(P1, "RUNNING");
    const since = await mark(sim);
    const next = expectOk(await stack.up(PROGRAM));
    expect(changes(next)).toEqual(["update p1"]);
    expect(resourceNamed(stack, "p1")?.initErrors).toBeUndefined();
    expect(outputsOf(stack, "p1").status).toBe("RUNNING");
    expect(mutations(await callsSince(sim, since))).toEqual([]);
  });

  it("an error status during start: init-failed with the status, no blind restart; converges once stopped", async () => {
    const { sim } = suite;
    await sim.admin.addFault({ kind: "startError", count: 1, match: { pipelineId: P1 } });
    const stack = suite.stack(environment([{ name: "p1", pipelineId: P1 }]));
    const failed = await stack.up(PROGRAM);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]?.initFailed?.id).toBe(P1);
    expect(errorText(failed)).toMatch(/create failed during start: status became RUN_ERROR/);
    expect(errorText(failed)).toMatch(/EnOS console .*stop the job there/);
    expect(resourceNamed(stack, "p1")).toMatchObject({ id: P1, outputs: { status: "RUN_ERROR" } });
    expect(mutations(await callsSince(sim))).toEqual([`startPipeline ${P1} 0`]);

    // The fault is gone but the job still shows RUN_ERROR: the next up fails fast and changes nothing.
    let since = await mark(sim);
    const again = await stack.up(PROGRAM);
    expect(errorText(again)).toMatch(/RUN_ERROR/);
    expect(mutations(await callsSince(sim, since))).toEqual([]);
    expect(outputsOf(stack, "p1").status).toBe("RUN_ERROR");

    // The operator stops it in the console; now the up starts it.
    await sim.admin.setPipelineStatus(P1, "STOPPED");
    since = await mark(sim);
    expectOk(await stack.up(PROGRAM));
    expect((await sim.admin.pipeline(P1)).status).toBe("RUNNING");
    expect(outputsOf(stack, "p1").status).toBe("RUNNING");
    expect(resourceNamed(stack, "p1")?.initErrors).toBeUndefined();
    expect(mutations(await callsSince(sim, since))).toEqual([`startPipeline ${P1} 0`]);
  });

  it("the access token expires in the middle of a rollout: one new token, nothing repeated", async () => {
    const { sim } = suite;
    await sim.admin.setConfig({ delays: { start: 250, pause: 30, stop: 30, release: 30 } });
    const stack = suite.stack(
      environment([
        { name: "p1", pipelineId: P1 },
        { name: "p2", pipelineId: P2 },
        { name: "p3", pipelineId: P3 },
      ]),
    );
    // The starts are held in STARTING: the first one is certainly under way, the others queued, at the expiry.
    for (const id of [P1, P2, P3]) await sim.admin.holdTransitions(id);
    const running = stack.up(PROGRAM);
    // Expire every token once the first start is under way and the others are still queued.
    await until(async () => Object.values(await statuses(sim, P1, P2, P3)).includes("STARTING"));
    expect(await sim.admin.expireTokens()).toBe(1);
    for (const id of [P1, P2, P3]) await sim.admin.proceed(id);
    const result = expectOk(await running);
    const calls = await callsSince(sim);

    expect(changes(result)).toEqual(["create p1", "create p2", "create p3"]);
    expect(await statuses(sim, P1, P2, P3)).toEqual({ [P1]: "RUNNING", [P2]: "RUNNING", [P3]: "RUNNING" });
    for (const name of ["p1", "p2", "p3"]) expect(outputsOf(stack, name).status).toBe("RUNNING");
    expect(calls.filter((c) => c.code === 1203).length).toBeGreaterThanOrEqual(1);
    expect(count(calls, "tokenGet", 0)).toBe(2);
    expect(count(calls, "tokenRefresh")).toBe(0);
    expect(
      mutations(calls)
        .filter((m) => m.endsWith(" 0"))
        .sort(),
    ).toEqual([`startPipeline ${P1} 0`, `startPipeline ${P2} 0`, `startPipeline ${P3} 0`]);
    const state = await sim.admin.state();
    expect(
      state.pipelines.filter((p) => [P1, P2, P3].includes(p.pipelineId)).map((p) => p.startCount),
    ).toEqual([1, 1, 1]);
  });

  it("61126 and 61128: one start each, an actionable error, state kept; converges once quotas allow", async () => {
    const { sim } = suite;
    await sim.admin.setQuotas("o-demo", { standalone: 4, cluster: null });
    const stack = suite.stack(
      environment([
        { name: "big", pipelineId: P1, resourceConfig: { server: 8 } },
        { name: "cluster", pipelineId: P3, ...CLUSTER },
      ]),
    );
    const failed = await stack.up(PROGRAM);
    const calls = await callsSince(sim);

    const byName = (name: string) => failed.errors.find((e) => e.urn?.endsWith(`::${name}`));
    expect(failed.errors).toHaveLength(2);
    expect(byName("big")?.message).toMatch(
      /EnOS 61126 .*allocated resource is not enough: lower resourceConfig or free CUs in this org/,
    );
    expect(byName("cluster")?.message).toMatch(
      /EnOS 61128 .*request cluster resources for this org, or use STANDALONE/,
    );
    for (const e of failed.errors) expect(e.message).toMatch(/requestId [0-9a-f]{32}/);
    // Not retried: one start call each.
    expect(mutations(calls).sort()).toEqual([`startPipeline ${P1} 61126`, `startPipeline ${P3} 61128`]);
    expect(await statuses(sim, P1, P3)).toEqual({ [P1]: "PUBLISHED", [P3]: "PUBLISHED" });
    expect(resourceNamed(stack, "big")).toMatchObject({ id: P1, outputs: { status: "PUBLISHED" } });
    expect(resourceNamed(stack, "cluster")).toMatchObject({ id: P3, outputs: { status: "PUBLISHED" } });

    await sim.admin.setQuotas("o-demo", { standalone: 32, cluster: 64 });
    const since = await mark(sim);
    const next = expectOk(await stack.up(PROGRAM));
    expect(changes(next)).toEqual(["update big", "update cluster"]);
    expect(await statuses(sim, P1, P3)).toEqual({ [P1]: "RUNNING", [P3]: "RUNNING" });
    expect(outputsOf(stack, "big").status).toBe("RUNNING");
    expect(outputsOf(stack, "cluster").status).toBe("RUNNING");
    expect(mutations(await callsSince(sim, since)).sort()).toEqual([
      `startPipeline ${P1} 0`,
      `startPipeline ${P3} 0`,
    ]);
  });
});
