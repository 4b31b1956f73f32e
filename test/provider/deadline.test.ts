/**
 * The deadline bounds the wait for the org's start queue: a start whose turn would come after its resource's
 * deadline is never sent, and the resource stays in state with the status it has. The start ahead of it is held
 * by the simulator until the test lets it go, so the queue is certainly full while the deadline passes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ResourceInitFailedError } from "../../provider/resources/common/errors.js";
import { fixture, type Fixture } from "./support.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

type Props = Record<string, unknown>;

async function checked(fx: Fixture, inputs: Props): Promise<Props> {
  const result = await fx.pipelines.check({}, inputs);
  expect(result.failures).toEqual([]);
  return result.inputs as Props;
}

describe("the org start queue and the deadline", () => {
  it("a start queued past its resource's deadline is not sent; the resource stays in state", async () => {
    f = await fixture();
    await f.sim.admin.holdTransitions("demo-pipeline-1");
    const first = f.pipelines.create(await checked(f, { pipelineId: "demo-pipeline-1", orgId: "o-demo" }));
    await f.sim.admin.waitForPipelineStatus("demo-pipeline-1", "STARTING", 60_000);

    const queued = await checked(f, {
      pipelineId: "demo-pipeline-2",
      orgId: "o-demo",
      timeouts: { create: "1s" },
    });
    const error = await f.pipelines.create(queued).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceInitFailedError);
    expect(String(error)).toMatch(
      /demo-pipeline-2 \(org o-demo\): create failed during start: still queued behind this deployment's earlier starts in the organisation after \S+; the start was not sent \(the create deadline of 1s passed\)\. Observed status: PUBLISHED\. Next: raise timeouts\.create/,
    );
    expect((error as ResourceInitFailedError).properties).toMatchObject({ status: "PUBLISHED" });
    const starts = (await f.mutations()).filter((m) => m.endpoint === "startPipeline");
    expect(starts.map((m) => m.pipelineId)).toEqual(["demo-pipeline-1"]);

    await f.sim.admin.proceed("demo-pipeline-1");
    expect((await first).outs).toMatchObject({ status: "RUNNING" });
    // The next `up`: the queue is free, the start is sent.
    const retried = await f.pipelines.create(queued);
    expect(retried.outs).toMatchObject({ status: "RUNNING" });
  });
});
