// A pipeline missing from one listing is not gone yet: a page-based listing skips a row when another pipeline
// is deleted between two page reads. The client here drops the pipeline's row from its first listing, as such
// a listing would; refresh must keep it and converge must not take it for never released.
import { afterEach, describe, expect, it } from "vitest";
import { EnosClient } from "../../provider/client/index.js";
import type { PipelineSummary } from "../../provider/client/types.js";
import { fixture, type Fixture } from "./support.js";

let current: Fixture | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function providerSkippingOnce(pipelineId: string) {
  let skipped = false;
  class SkippingClient extends EnosClient {
    override async getPipelineStatus(
      ...args: Parameters<EnosClient["getPipelineStatus"]>
    ): Promise<PipelineSummary | undefined> {
      const row = await super.getPipelineStatus(...args);
      if (!skipped && args[1] === pipelineId) {
        skipped = true;
        return undefined;
      }
      return row;
    }
  }
  current = await fixture(
    {},
    { start: 0, pause: 0, stop: 0, release: 0 },
    (settings) => new SkippingClient(settings),
  );
  return { provider: current.pipelines, sim: current.sim, logs: current.logs };
}

describe("a pipeline skipped by one listing", () => {
  it("refresh confirms with Get Pipeline Details and keeps it, with its live status", async () => {
    const { provider, sim: s, logs } = await providerSkippingOnce("demo-pipeline-1");
    await s.admin.setPipelineStatus("demo-pipeline-1", "RUNNING");
    const props = { pipelineId: "demo-pipeline-1", orgId: "o-demo", status: "RUNNING" };
    const read = await provider.read("demo-pipeline-1", props);
    expect(read.id).toBe("demo-pipeline-1");
    expect(read.props).toMatchObject({ status: "RUNNING" });
    expect(logs.join("\n")).not.toMatch(/no longer exists/);
    const details = (await s.admin.requests()).filter((r) => r.endpoint === "getPipeline");
    expect(details.map((r) => r.query.ifReleased)).toEqual(["true"]);
  });

  it("create does not take it for never released: no release call", async () => {
    const { provider, sim: s } = await providerSkippingOnce("demo-pipeline-2");
    const checked = await provider.check({}, { pipelineId: "demo-pipeline-2", orgId: "o-demo" });
    const created = await provider.create(checked.inputs);
    expect(created.outs).toMatchObject({ status: "RUNNING" });
    const calls = (await s.admin.requests()).filter((r) => r.mutation).map((r) => r.endpoint);
    expect(calls).toEqual(["startPipeline"]);
  });

  it("a pipeline really deleted is still removed from state on refresh", async () => {
    const { provider, sim: s } = await providerSkippingOnce("none");
    await s.admin.deletePipeline("demo-pipeline-3");
    expect(
      await provider.read("demo-pipeline-3", { pipelineId: "demo-pipeline-3", orgId: "o-demo" }),
    ).toEqual({});
  });
});
