// Flows lose nothing: an enable whose answer is lost, followed by failing reads, keeps the resource in state with
// what was there before Pulumi (adoptedActive), so the next `up` finishes the job and `destroy` with
// onDelete RESTORE puts the flow back the way it was found. Through the dynamic-provider host.
import { describe, expect, it } from "vitest";
import {
  callsSince,
  environment,
  errorText,
  expectOk,
  mark,
  mutations,
  outputsOf,
  PROGRAM,
  resourceNamed,
  useSuite,
} from "./support.js";

const suite = useSuite();
const flowActive = async (id: number) =>
  (await suite.sim.admin.state()).flows.find((f) => f.flowId === id)?.active;

describe("a flow toggle that may have taken effect", () => {
  it("enable answer lost, reads failing: init-failed keeps adoptedActive; up heals; destroy RESTORE disables", async () => {
    const { sim } = suite;
    // Flow 3377 starts disabled. Its enable goes through but the answer is lost; the adoption read passes,
    // then the flow's reads fail (a 500 is not retried) until the first up has given up.
    await sim.admin.addFaults([
      { kind: "reset", phase: "after", count: 1, match: { endpoint: "enableFlow" } },
      { kind: "serverError", status: 500, skip: 1, count: 2, match: { endpoint: "getFlow" } },
    ]);
    const config = environment([], [{ name: "nightly", flowId: 3377, enabled: true, onDelete: "RESTORE" }]);
    const stack = suite.stack(config);
    const failed = await stack.up(PROGRAM);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]?.initFailed?.id).toBe("3377");
    expect(errorText(failed)).toMatch(/EnosFlowSchedule 3377 .*\(org o-demo\).*EnOS HTTP 500|EnOS 500/);
    expect(errorText(failed)).toMatch(/create stopped during re-read after enable/);
    expect(await flowActive(3377)).toBe(1);
    expect(resourceNamed(stack, "nightly")).toMatchObject({
      id: "3377",
      outputs: { flowId: 3377, adoptedActive: false, onDelete: "RESTORE" },
    });

    // Reads still fail for the next up: it changes nothing and the state keeps what it had.
    let since = await mark(sim);
    const stillFailing = await stack.up(PROGRAM);
    expect(errorText(stillFailing)).toMatch(/EnosFlowSchedule 3377 \(org o-demo, user u-demo\): EnOS 500/);
    expect(mutations(await callsSince(sim, since))).toEqual([]);
    expect(resourceNamed(stack, "nightly")?.outputs).toMatchObject({ adoptedActive: false });

    // Reads work again: the next up reads the flow, finds it enabled, and calls nothing.
    since = await mark(sim);
    expectOk(await stack.up(PROGRAM));
    expect(mutations(await callsSince(sim, since))).toEqual([]);
    expect(outputsOf(stack, "nightly")).toMatchObject({ active: true, adoptedActive: false });

    // Another up must not re-learn adoptedActive from the state the provider itself set.
    expectOk(await stack.up(PROGRAM));
    expect(outputsOf(stack, "nightly").adoptedActive).toBe(false);

    since = await mark(sim);
    expectOk(await stack.destroy());
    expect(mutations(await callsSince(sim, since))).toEqual(["disableFlow 3377 0"]);
    expect(await flowActive(3377)).toBe(0);
  });
});
