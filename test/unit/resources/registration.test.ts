// Registering a resource with stack traces off (provider/resources/common/enos-resource.ts): the SDK's
// per-output promise stacks are not formatted, the process's limit is put back, and an error raised during
// registration still says where in the program the resource was declared.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { EnosFlowSchedule, EnosPipelineDeployment } from "../../../provider/index.js";

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Record<string, unknown> }),
      call: () => ({}),
    },
    "project",
    "stack",
    false,
  );
});

const outputOf = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => {
    output.apply((value) => {
      resolve(value);
    });
  });

/** How many stack traces with at least one frame were formatted while `work` ran. */
function stacksFormatted(work: () => unknown): number {
  // Node's own formatting when nothing replaced it (vitest may have): `prepareStackTrace` is optional.
  const original = Reflect.get(Error, "prepareStackTrace") as
    ((error: Error, frames: NodeJS.CallSite[]) => unknown) | undefined;
  let withFrames = 0;
  Error.prepareStackTrace = (error, frames) => {
    if (frames.length > 0) withFrames += 1;
    return original === undefined ? String(error) : original(error, frames);
  };
  try {
    work();
  } finally {
    if (original === undefined) Reflect.deleteProperty(Error, "prepareStackTrace");
    else Error.prepareStackTrace = original;
  }
  return withFrames;
}

const noop: pulumi.dynamic.ResourceProvider = { create: () => Promise.resolve({ id: "x" }) };
class Plain extends pulumi.dynamic.Resource {}
const nineteen = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`p${i}`, i]));

describe.each([
  [
    "EnosPipelineDeployment",
    () => new EnosPipelineDeployment("p", { pipelineId: "demo-pipeline-1", orgId: "o" }),
  ],
  [
    "EnosFlowSchedule",
    () => new EnosFlowSchedule("f", { flowId: 3377, orgId: "o", userId: "u", enabled: true }),
  ],
] as const)("%s registration", (_type, construct) => {
  it("keeps the caller's Error.stackTraceLimit and registers the inputs", async () => {
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      let resource: ReturnType<typeof construct> | undefined;
      const formatted = stacksFormatted(() => (resource = construct()));
      expect(Error.stackTraceLimit).toBe(17);
      expect(await outputOf(resource!.orgId)).toBe("o");
      // Only the SDK's own source-position capture formats a stack; not one per output property.
      expect(formatted).toBeLessThanOrEqual(2);
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});

describe("the SDK without stack traces off (the control)", () => {
  it("formats a stack for every output property of a plain dynamic resource", () => {
    expect(stacksFormatted(() => new Plain(noop, "plain", nineteen))).toBeGreaterThanOrEqual(19);
  });
});

describe("an error raised during registration", () => {
  it("has the stack of the program line that declared the resource, and the limit is put back", () => {
    const before = Error.stackTraceLimit;
    let error: unknown;
    try {
      new EnosPipelineDeployment(
        "p",
        { pipelineId: "demo-pipeline-1", orgId: "o" },
        {
          transformations: [
            () => {
              throw new Error("a transformation failed");
            },
          ],
        },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("a transformation failed");
    expect((error as Error).stack).toMatch(/registration\.test\.ts:\d+/);
    expect(Error.stackTraceLimit).toBe(before);
  });
});
