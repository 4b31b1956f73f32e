import { describe, expect, it } from "vitest";
import { checkPipelineInputs } from "../../../provider/resources/pipeline/spec.js";
import { pipelineSpecOf, storedPipeline } from "../../../provider/resources/pipeline/stored.js";

/** What create/update/delete act on is the stored form of the checked inputs: nothing may be lost on the way. */
describe("stored pipeline state → spec", () => {
  it("keeps healthCheck and onUnhealthy, so the health gate runs on create and update", () => {
    const { inputs, failures } = checkPipelineInputs(
      {
        pipelineId: "p1",
        orgId: "o1",
        healthCheck: { stableFor: "30s", maxLag: 500 },
        onUnhealthy: "PAUSE",
      },
      { orgId: undefined },
    );
    expect(failures).toEqual([]);
    const spec = pipelineSpecOf(storedPipeline("p1", inputs));
    expect(spec.healthCheck).toEqual({ stableFor: "30s", maxLag: 500, requireProgress: true });
    expect(spec.onUnhealthy).toBe("PAUSE");
    // Every checked input comes back as it was checked.
    expect(spec).toEqual(inputs);
  });

  it("state from before the health gate has neither; a stored check without requireProgress requires it", () => {
    const old = pipelineSpecOf(storedPipeline("p1", { pipelineId: "p1", orgId: "o1" }));
    expect(old.healthCheck).toBeUndefined();
    expect(old.onUnhealthy).toBeUndefined();

    const partial = pipelineSpecOf(
      storedPipeline("p1", { pipelineId: "p1", orgId: "o1", healthCheck: { stableFor: "1m" } }),
    );
    expect(partial.healthCheck).toEqual({ stableFor: "1m", requireProgress: true });
  });

  it("refuses an unreadable stored healthCheck, naming the field", () => {
    expect(() =>
      storedPipeline("p1", { pipelineId: "p1", orgId: "o1", healthCheck: { stableFor: 30 } }),
    ).toThrow(/EnosPipelineDeployment p1: .*healthCheck\.stableFor/);
  });
});
