// One pipeline and one flow through every RPC of the SDK's dynamic-provider host, in the order `pulumi up`,
// `pulumi refresh`, a second `up` and `pulumi destroy` call them: configure → check → create → read → diff →
// update → delete. `__provider` comes from a program run the way `pulumi up` runs it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { ProviderHost } from "./host.js";
import { runProgram } from "./program.js";

const SECRET = "demo-secret-key";
let sim: RunningSimulator;
let host: ProviderHost;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
  host = await ProviderHost.start();
});

afterAll(async () => {
  await host.close();
  await sim.close();
});

async function register(source: string) {
  const run = await runProgram(
    { name: "lifecycle", source },
    {
      project: "lifecycle",
      stack: "dev",
      config: { "enos:orgId": "o-demo", "enos:userId": "u-demo" },
      preview: false,
    },
  );
  const [resource] = run.resources;
  if (!resource) throw new Error(`program registered nothing:\n${run.logs.join("\n")}`);
  return resource;
}

describe("RPC lifecycle through the dynamic-provider host", () => {
  it("configure → check → create → read → diff → update → delete (handed over: this host checked it), for a pipeline and a flow", async () => {
    const config = {
      "enos:apiGateway": sim.url,
      "enos:accessKey": "demo-access-key",
      "enos:secretKey": SECRET,
      "enos:orgId": "o-demo",
      "enos:userId": "u-demo",
    };
    expect((await host.configure(config)).acceptSecrets).toBe(false);

    const pipeline = await register(
      'const { EnosPipelineDeployment } = require("pulumi-enos");\nnew EnosPipelineDeployment("ingest", { pipelineId: "demo-pipeline-1", kafkaRate: 1200 });\n',
    );
    const provider = String(pipeline.inputs.__provider);
    expect(pipeline.type).toBe("pulumi-nodejs:dynamic/enos:EnosPipelineDeployment");
    expect(provider.length).toBeLessThanOrEqual(2048);
    for (const value of Object.values(config)) {
      if (value !== "o-demo" && value !== "u-demo") expect(provider).not.toContain(value);
    }

    const checked = await host.check(pipeline.urn, {}, pipeline.inputs);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toMatchObject({ orgId: "o-demo", desiredState: "RUNNING", kafkaRate: 1200 });
    const created = await host.create(pipeline.urn, checked.inputs);
    expect(created.id).toBe("demo-pipeline-1");
    expect(created.properties).toMatchObject({ status: "RUNNING", releasedVersion: "1" });
    expect(JSON.stringify(created.properties)).not.toContain(SECRET);

    await sim.admin.setPipelineStatus("demo-pipeline-1", "PAUSED");
    const read = await host.read(pipeline.urn, created.id, created.properties, checked.inputs);
    expect(read.id).toBe("demo-pipeline-1");
    expect(read.properties.status).toBe("PAUSED");

    const diff = await host.diff(pipeline.urn, created.id, read.properties, checked.inputs);
    expect(diff).toMatchObject({ changes: "some", replaces: [] });
    // The host's stdout reaches us asynchronously, as it reaches the engine: wait for it as long as a loaded
    // machine may need (expect.poll's default of 1 s is a window such a machine can miss).
    await expect
      .poll(() => host.logs, { timeout: 20_000 })
      .toContain("demo-pipeline-1 is PAUSED, desired RUNNING: will start");
    const updated = await host.update(pipeline.urn, created.id, read.properties, checked.inputs);
    expect(updated.properties.status).toBe("RUNNING");
    const same = await host.diff(pipeline.urn, created.id, updated.properties, checked.inputs);
    expect(same.changes).toBe("none");

    // This host checked the resource, as the engine does for the new half of a replace or a rename before it
    // deletes the old one: the delete hands the pipeline over instead of stopping it, naming the adopter by the
    // URN the engine gave it (the resource class computes the same one). A destroy, a new host that checks
    // nothing, stops it: test/provider/pipeline.test.ts and test/cli/stories.test.ts.
    expect(checked.inputs).not.toHaveProperty("adopterUrn");
    await host.delete(pipeline.urn, created.id, updated.properties);
    expect((await sim.admin.pipeline("demo-pipeline-1")).status).toBe("RUNNING");
    await expect
      .poll(() => host.logs, { timeout: 20_000 })
      .toContain(`demo-pipeline-1: adopted by ${pipeline.urn} in this update; not stopping`);

    const flow = await register(
      'const { EnosFlowSchedule } = require("pulumi-enos");\nnew EnosFlowSchedule("nightly", { flowId: 3377 });\n',
    );
    expect(flow.type).toBe("pulumi-nodejs:dynamic/enos:EnosFlowSchedule");
    expect(String(flow.inputs.__provider).length).toBeLessThanOrEqual(2048);
    const flowChecked = await host.check(flow.urn, {}, flow.inputs);
    expect(flowChecked.failures).toEqual([]);
    const flowCreated = await host.create(flow.urn, flowChecked.inputs);
    expect(flowCreated).toMatchObject({ id: "3377", properties: { active: true, adoptedActive: false } });
    await sim.admin.setFlow(3377, { active: 0 });
    const flowRead = await host.read(flow.urn, flowCreated.id, flowCreated.properties, flowChecked.inputs);
    expect(flowRead.properties.active).toBe(false);
    expect((await host.diff(flow.urn, flowCreated.id, flowRead.properties, flowChecked.inputs)).changes).toBe(
      "some",
    );
    const flowUpdated = await host.update(flow.urn, flowCreated.id, flowRead.properties, flowChecked.inputs);
    expect(flowUpdated.properties.active).toBe(true);
    await host.delete(flow.urn, flowCreated.id, flowUpdated.properties);
    expect((await sim.admin.state()).flows.find((f) => f.flowId === 3377)?.active).toBe(1);
    await expect
      .poll(() => host.logs, { timeout: 20_000 })
      .toContain(`flow 3377: adopted by ${flow.urn} in this update; not disabling it`);
  });
});
