// The `customTimeouts` resource option, which Pulumi never passes to a dynamic provider, reaches the provider
// as the `timeouts` input: proven through the real host with a start the simulator holds forever (`stuck`),
// so only the deadline can end the create. Needs `npm run build`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { Engine } from "./engine.js";

let sim: RunningSimulator;
let dir: string;
let stacks = 0;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, delays: { start: 20, pause: 10, stop: 10, release: 10 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "enos-custom-timeouts-"));
});

beforeEach(async () => {
  await sim.admin.reset(defaultSeed);
});

afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function stack(): Engine {
  const name = `timeouts${++stacks}`;
  return new Engine({
    stateFile: path.join(dir, `${name}.json`),
    stack: name,
    config: {
      "enos:apiGateway": sim.url,
      "enos:accessKey": "demo-access-key",
      "enos:secretKey": "demo-secret-key",
      "enos:orgId": "o-demo",
      "enos:userId": "u-demo",
    },
    secretKeys: ["enos:secretKey"],
  });
}

const program = (body: string) => ({
  source: `const { EnosFlowSchedule, EnosPipelineDeployment } = require("pulumi-enos");\n${body}\n`,
});

describe("customTimeouts", () => {
  it('{ customTimeouts: { create: "4s" } } bounds a create whose start never completes', async () => {
    await sim.admin.addFault({
      kind: "stuck",
      match: { endpoint: "startPipeline", pipelineId: "demo-pipeline-1" },
    });
    const engine = stack();
    const up = await engine.up(
      program(
        'new EnosPipelineDeployment("held", { pipelineId: "demo-pipeline-1" }, { customTimeouts: { create: "4s" } });',
      ),
    );

    const registered = up.resources.find((r) => r.name === "held");
    expect(registered?.inputs.timeouts).toEqual({ create: "4s" });
    expect(up.errors).toHaveLength(1);
    const [error] = up.errors;
    expect(error?.phase).toBe("create");
    expect(error?.message).toMatch(
      /demo-pipeline-1 \(org o-demo\): create failed during start: still STARTING after [\d.]+s, waiting for RUNNING \(the create deadline of 4s passed\)\. Observed status: STARTING\. Next: .*raise timeouts\.create \(or customTimeouts\.create\)/,
    );
    // The resource stays in state with what was observed, and the other deadlines keep their default.
    expect(error?.initFailed?.properties).toMatchObject({
      status: "STARTING",
      timeouts: { create: "4s", update: "10m", delete: "10m" },
    });
    expect((await sim.admin.pipeline("demo-pipeline-1")).status).toBe("STARTING");
  });

  it("an explicit timeouts input wins over customTimeouts, field by field as given", async () => {
    const preview = await stack().preview(
      program(
        [
          'new EnosPipelineDeployment("explicit", { pipelineId: "demo-pipeline-1", timeouts: { update: "7m" } }, { customTimeouts: { create: "4s", delete: "1m" } });',
          'new EnosPipelineDeployment("custom", { pipelineId: "demo-pipeline-2" }, { customTimeouts: { create: "90s", delete: "1h30m", read: "5s" } });',
          'new EnosPipelineDeployment("neither", { pipelineId: "demo-pipeline-3" });',
        ].join("\n"),
      ),
    );
    const inputs = (name: string) => preview.resources.find((r) => r.name === name)?.inputs.timeouts;
    expect(inputs("explicit")).toEqual({ update: "7m" });
    expect(inputs("custom")).toEqual({ create: "90s", delete: "1h30m" });
    expect(inputs("neither")).toBeUndefined();
    expect(preview.errors).toEqual([]);
  });

  it("a customTimeouts value that is not a duration fails the program, naming the option", async () => {
    const before = (await sim.admin.requests()).length;
    const up = await stack().up(
      program(
        'new EnosPipelineDeployment("bad", { pipelineId: "demo-pipeline-1" }, { customTimeouts: { update: "ten minutes" } });',
      ),
    );
    expect(up.errors.map((e) => e.phase)).toEqual(["program"]);
    expect(up.errors[0]?.message).toContain(
      'EnosPipelineDeployment bad: customTimeouts.update "ten minutes" is not a duration: use a value such as "10m", "90s" or "1h30m"',
    );
    expect((await sim.admin.requests()).length).toBe(before);
  });

  it("on a flow, customTimeouts are reported as having no effect rather than ignored silently", async () => {
    const preview = await stack().preview(
      program('new EnosFlowSchedule("nightly", { flowId: 3377 }, { customTimeouts: { create: "4s" } });'),
    );
    expect(preview.programLogs.join("\n")).toContain("customTimeouts have no effect on EnosFlowSchedule");
  });
});
