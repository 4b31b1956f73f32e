/**
 * Refactoring safely, through the real Pulumi CLI: a rename without aliases, a move under a component, a forced
 * replace in both orders, two config entries swapping pipelines, and `pulumi state move` between two stacks.
 * In each, the resource that lets go of a pipeline (or flow) another resource of the same update declared hands
 * it over: EnOS receives no stop, pause or disable, and the next `pulumi up --refresh --expect-no-changes` passes.
 */
import { describe, expect, it } from "vitest";
import {
  cliOrSkip,
  diagnostics,
  operations,
  PIPELINE_TYPE,
  promotionProgram,
  simulatorSuite,
  succeeded,
  UserProject,
} from "./support.js";

const cli = cliOrSkip("test/cli refactor");

describe.skipIf(!cli)("real Pulumi CLI: refactoring never stops a pipeline", { timeout: 600_000 }, () => {
  const suite = simulatorSuite();
  const { lastSeq, mutations } = suite;
  const status = async (id: string) => (await suite.sim().admin.pipeline(id)).status;
  const flowActive = async (id: number) =>
    (await suite.sim().admin.state()).flows.find((f) => f.flowId === id)?.active;

  const CONFIG = () => ({
    "enos:apiGateway": suite.sim().url,
    "enos:accessKey": "demo-access-key",
    "enos:orgId": "o-demo",
    "enos:userId": "u-demo",
  });
  const SECRETS = { "enos:secretKey": "demo-secret-key" };

  async function project(program: Record<string, string>, config: Record<string, unknown>) {
    if (!cli) throw new Error("unreachable: suite skipped without a CLI");
    const created = suite.keep(new UserProject(cli, program, { name: "pulumi-enos" }));
    await created.init({ ...CONFIG(), ...config }, SECRETS);
    return created;
  }

  /** A user's hand-written program: one pipeline and one flow, optionally under a component, optionally DBR. */
  function handWritten(options: { readonly grouped: boolean; readonly deleteBeforeReplace: boolean }) {
    return {
      "index.js": `
const pulumi = require("@pulumi/pulumi");
const { EnosPipelineDeployment, EnosFlowSchedule } = require("pulumi-enos");
class Telemetry extends pulumi.ComponentResource {
  constructor(name, opts) {
    super("acme:enos:Telemetry", name, {}, opts);
    this.registerOutputs({});
  }
}
const parent = ${options.grouped ? 'new Telemetry("telemetry")' : "undefined"};
const opts = { parent, deleteBeforeReplace: ${String(options.deleteBeforeReplace)} };
new EnosPipelineDeployment("ingest", { pipelineId: "demo-pipeline-1" }, opts);
new EnosFlowSchedule("nightly", { flowId: 3377 }, opts);
`,
    };
  }

  /** Brought up once: both pipelines RUNNING, flow 3377 enabled. */
  async function upAndMark(stack: UserProject): Promise<number> {
    succeeded(await stack.up());
    expect(await status("demo-pipeline-1")).toBe("RUNNING");
    return lastSeq();
  }

  /** Nothing was sent to EnOS since `mark`, and the next `up --refresh --expect-no-changes` passes. */
  async function nothingSentAndNoDrift(stack: UserProject, mark: number): Promise<void> {
    expect(await mutations(mark)).toEqual([]);
    expect(await status("demo-pipeline-1")).toBe("RUNNING");
    expect(succeeded(await stack.up("--refresh", "--expect-no-changes")).code).toBe(0);
    expect(await mutations(mark)).toEqual([]);
  }

  it("renames a pipeline and a flow without aliases: adopt under the new name, hand over, nothing sent", async () => {
    const stack = await project(promotionProgram(), {
      "pulumi-enos:pipelines": [{ name: "one", pipelineId: "demo-pipeline-1" }],
      "pulumi-enos:flows": [{ name: "nightly", flowId: 3377 }],
    });
    const mark = await upAndMark(stack);
    expect(await flowActive(3377)).toBe(1);

    await stack.setConfig({
      "pulumi-enos:pipelines": [{ name: "uno", pipelineId: "demo-pipeline-1" }],
      "pulumi-enos:flows": [{ name: "nachtlich", flowId: 3377 }],
    });
    const renamed = succeeded(await stack.up());
    expect(operations(renamed)).toEqual(["create nachtlich", "create uno", "delete nightly", "delete one"]);
    const said = diagnostics(renamed);
    expect(said).toMatch(
      /demo-pipeline-1: adopted by urn:pulumi:dev::pulumi-enos::\S+::uno in this update; not stopping/,
    );
    expect(said).toMatch(
      /flow 3377: adopted by urn:pulumi:dev::pulumi-enos::\S+::nachtlich in this update; not disabling it/,
    );
    expect(await flowActive(3377)).toBe(1);
    await nothingSentAndNoDrift(stack, mark);
  });

  it("moves both resources under a component (a parent change) without a stop or a disable", async () => {
    const stack = await project(handWritten({ grouped: false, deleteBeforeReplace: false }), {});
    const mark = await upAndMark(stack);
    stack.writeProgram(handWritten({ grouped: true, deleteBeforeReplace: false }));
    const moved = succeeded(await stack.up());
    expect(operations(moved)).toEqual([
      "create ingest",
      "create nightly",
      "create telemetry",
      "delete ingest",
      "delete nightly",
    ]);
    expect(diagnostics(moved)).toMatch(
      /adopted by urn:pulumi:dev::pulumi-enos::acme:enos:Telemetry\$\S+::ingest/,
    );
    expect(await flowActive(3377)).toBe(1);
    await nothingSentAndNoDrift(stack, mark);
  });

  it.each([
    ["create-before-delete (the default)", false],
    ["delete-before-create (deleteBeforeReplace: true)", true],
  ])("pulumi up --replace on the same pipeline and flow, %s: nothing stopped", async (_order, dbr) => {
    const stack = await project(handWritten({ grouped: false, deleteBeforeReplace: dbr }), {});
    const mark = await upAndMark(stack);
    const urns = (await stack.exportState()).resources
      .filter((r) => r.urn.endsWith("::ingest") || r.urn.endsWith("::nightly"))
      .map((r) => r.urn);
    expect(urns).toHaveLength(2);
    const replaced = succeeded(await stack.up(...urns.flatMap((urn) => ["--replace", urn])));
    expect(operations(replaced)).toEqual([
      "create-replacement ingest",
      "create-replacement nightly",
      "delete-replaced ingest",
      "delete-replaced nightly",
      "replace ingest",
      "replace nightly",
    ]);
    expect(diagnostics(replaced)).toMatch(
      /demo-pipeline-1: adopted by \S+::ingest in this update; not stopping/,
    );
    expect(await flowActive(3377)).toBe(1);
    await nothingSentAndNoDrift(stack, mark);
  });

  it("two config entries swap pipelines: both replaced, each pipeline handed to the other entry", async () => {
    const stack = await project(promotionProgram(), {
      "pulumi-enos:pipelines": [
        { name: "a", pipelineId: "demo-pipeline-1" },
        { name: "b", pipelineId: "demo-pipeline-2" },
      ],
      "pulumi-enos:flows": [],
    });
    const mark = await upAndMark(stack);
    await stack.setConfig({
      "pulumi-enos:pipelines": [
        { name: "a", pipelineId: "demo-pipeline-2" },
        { name: "b", pipelineId: "demo-pipeline-1" },
      ],
    });
    const swapped = succeeded(await stack.up());
    expect(operations(swapped)).toEqual([
      "create-replacement a",
      "create-replacement b",
      "delete-replaced a",
      "delete-replaced b",
      "replace a",
      "replace b",
    ]);
    expect(diagnostics(swapped)).toMatch(/demo-pipeline-1: adopted by \S+::b in this update; not stopping/);
    expect(diagnostics(swapped)).toMatch(/demo-pipeline-2: adopted by \S+::a in this update; not stopping/);
    expect(await status("demo-pipeline-2")).toBe("RUNNING");
    expect(await stack.outputs("a")).toMatchObject({ pipelineId: "demo-pipeline-2", status: "RUNNING" });
    await nothingSentAndNoDrift(stack, mark);
  });

  it("pulumi state move takes a pipeline from one stack to another: nothing is sent to EnOS", async () => {
    const dev = await project(promotionProgram(), {
      "pulumi-enos:pipelines": [{ name: "mover", pipelineId: "demo-pipeline-1", onDelete: "STOP" }],
      "pulumi-enos:flows": [],
    });
    const mark = await upAndMark(dev);
    const prod = dev.anotherStack("prod");
    await prod.init({ ...CONFIG(), "pulumi-enos:pipelines": [], "pulumi-enos:flows": [] }, SECRETS);
    const urn = (await dev.exportState()).resources.find((r) => r.type === PIPELINE_TYPE)?.urn ?? "";
    succeeded(await dev.run(["state", "move", "--source", "dev", "--dest", "prod", "--yes", urn]));

    // Each stack's config now says what its state holds: dev has nothing to delete, prod has nothing to create.
    await dev.setConfig({ "pulumi-enos:pipelines": [] });
    await prod.setConfig({ "pulumi-enos:pipelines": [{ name: "mover", pipelineId: "demo-pipeline-1" }] });
    expect(operations(succeeded(await dev.up()))).toEqual([]);
    expect(operations(succeeded(await prod.up("--refresh", "--expect-no-changes")))).toEqual([
      "refresh mover",
    ]);
    expect(await prod.outputs("mover")).toMatchObject({ pipelineId: "demo-pipeline-1", status: "RUNNING" });
    expect((await dev.exportState()).resources.filter((r) => r.type === PIPELINE_TYPE)).toEqual([]);
    expect(await mutations(mark)).toEqual([]);
    expect(await status("demo-pipeline-1")).toBe("RUNNING");
  });
});
