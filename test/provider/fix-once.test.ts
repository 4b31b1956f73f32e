// A failure the provider explains itself states the fix once: EnOS's code, msg and requestId stay, the code's
// generic hint (which would repeat or contradict the specific fix) does not.
import { afterEach, describe, expect, it } from "vitest";
import { fixture, type Fixture } from "./support.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a failure");
}

const count = (text: string, part: RegExp): number => text.match(new RegExp(part.source, "gi"))?.length ?? 0;

describe("messages state a fix once", () => {
  it("an unknown pipeline: EnOS 61108 with its requestId, and one fix", async () => {
    f = await fixture();
    const inputs =
      (await f.pipelines.check({}, { pipelineId: "no-such-pipeline", orgId: "o-demo" })).inputs ?? {};
    const message = await failure(f.pipelines.create(inputs));
    expect(message).toMatch(/no such pipeline in org o-demo \(EnOS 61108 on GET .*\(requestId \w+\)\)/);
    expect(count(message, /check (the )?pipeline ?id/)).toBe(1);
  });

  it("an unknown flow owner: EnOS 62101 with its requestId, and one fix", async () => {
    f = await fixture();
    const inputs =
      (await f.flows.check({}, { flowId: 3377, orgId: "o-demo", userId: "u-nobody" })).inputs ?? {};
    const message = await failure(f.flows.create(inputs));
    expect(message).toMatch(
      /user u-nobody does not exist in org o-demo \(EnOS 62101 on GET .*\(requestId \w+\)\)/,
    );
    expect(count(message, /set userId|check the flow's userId/)).toBe(1);
  });
});
