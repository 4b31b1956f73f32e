// `pulumi-enos import` against the simulator: 250 pipelines in a mix of statuses (three listing pages of 100)
// and a few flows. Each output format is checked for what it says, then deployed through the real
// dynamic-provider host (test/host Engine): every resource is created with zero EnOS mutations, and a second
// `up` is a no-op. Needs `npm run build` (the bin and the host load dist/).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseEnvironment } from "../../program/environment.js";
import { makeSeed, startSimulator, type RunningSimulator, type Seed } from "../../simulator/index.js";
import { Engine, assertOk, type VerbResult } from "../host/engine.js";
import { REPO, runCli } from "./cli.js";

const SECRET = "demo-secret-key";
const EXTRA = 250;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Two `up`s of 253 resources through the host took 35 s here (2 cores, shared), tsc 15-25 s more. */
const DEPLOY_TIMEOUT_MS = 300_000;

let sim: RunningSimulator;
let tmp: string;
let generated: string;
let env: Record<string, string>;

/** The seed: the default three plus 250 generated pipelines whose statuses, names and modes vary. */
function mixedSeed(): Seed {
  const seed = makeSeed({ pipelines: EXTRA, flows: 3 });
  const statuses = [
    "RUNNING",
    "PAUSED",
    "STOPPED",
    "PUBLISHED",
    "RUNNING",
    "STOPPED",
    "UNRELEASED",
    "RUN_ERROR",
  ];
  const pipelines = (seed.pipelines ?? []).map((p, i) => {
    const status = statuses[i % statuses.length] as (typeof p)["status"];
    const names: Record<number, string> = {
      // Same name three times, a name that slugs to nothing, one with accents and symbols, a very long one.
      10: "Ingest telemetry",
      11: "Ingest telemetry",
      12: "Ingest telemetry",
      13: "数据清洗",
      16: "Météo — vent & pluie (v2)",
      17: `Very long ${"pipeline name ".repeat(8)}`,
    };
    return {
      ...p,
      status,
      pipelineName: names[i] ?? p.pipelineName,
      ...(status === "UNRELEASED" ? { releasedVersion: null } : {}),
      ...(i === 18 ? { executionMode: 1 as const } : {}),
      ...(i === 19 ? { draftVersion: "2", releasedVersion: "1" } : {}),
    };
  });
  const flows = (seed.flows ?? []).map((f) =>
    // 100003 is owned by someone else; u-demo may read it but cannot adopt it.
    f.flowId === 100003 ? { ...f, owner: "u-other", visitor: "u-demo", flowName: "Someone else's" } : f,
  );
  return { ...seed, pipelines, flows };
}

const FLOW_ARGS = ["--flow", "3377", "--flow", "3378", "--flow", "100001", "--flow", "100003"];

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    seed: mixedSeed(),
    delays: { start: 20, pause: 10, stop: 10, release: 10 },
  });
  // One pipeline caught mid-transition, as a console user starting it would leave it.
  await sim.admin.setPipelineStatus("sim-pipeline-0004", "STARTING");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "enos-import-"));
  // Inside the package (dist/ is neither linted nor committed), so `pulumi-enos` resolves by self-reference.
  generated = fs.mkdtempSync(path.join(REPO, "dist", ".import-test-"));
  env = {
    ENOS_API_GATEWAY: sim.url,
    ENOS_ACCESS_KEY: "demo-access-key",
    ENOS_SECRET_KEY: SECRET,
  };
});

afterAll(async () => {
  await sim.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(generated, { recursive: true, force: true });
});

const importArgs = (format: string) => [
  "import",
  "--org",
  "o-demo",
  "--user",
  "u-demo",
  ...FLOW_ARGS,
  "--format",
  format,
];

async function mutationsSince(seq: number) {
  return (await sim.admin.requests()).filter((r) => r.mutation && r.seq > seq);
}
const lastSeq = async () => (await sim.admin.requests()).at(-1)?.seq ?? 0;

function newEngine(stack: string, config: Record<string, string> = {}): Engine {
  return new Engine({
    stateFile: path.join(tmp, `${stack}.json`),
    project: "pulumi-enos",
    stack,
    config: {
      "enos:apiGateway": sim.url,
      "enos:accessKey": "demo-access-key",
      "enos:secretKey": SECRET,
      ...config,
    },
    secretKeys: ["enos:secretKey"],
  });
}

/** Deploys `program` twice: every resource created with no EnOS mutation, then nothing to do at all. */
async function deploysWithoutChange(engine: Engine, program: string, expected: number): Promise<VerbResult> {
  const mark = await lastSeq();
  const up = assertOk(await engine.up(program));
  expect(up.steps.filter((s) => s.op === "create" && s.ok)).toHaveLength(expected);
  expect(await mutationsSince(mark)).toEqual([]);

  const second = await lastSeq();
  const again = assertOk(await engine.up(program));
  expect(again.steps.filter((s) => s.op !== "same")).toEqual([]);
  expect(await mutationsSince(second)).toEqual([]);
  return up;
}

// What the seed holds: 253 pipelines, of which adoptable are the stable, released ones.
const ADOPTABLE_STATUSES = new Set(["RUNNING", "PAUSED", "STOPPED", "PUBLISHED"]);

describe("pulumi-enos import", () => {
  let json: {
    resources: { type: string; name: string; inputs: Record<string, unknown>; notes?: string[] }[];
  };
  let expectedPipelines: number;

  it("lists every page, writes JSON that adopts each object as it is, and says what it skipped", async () => {
    const state = await sim.admin.state();
    expectedPipelines = state.pipelines.filter((p) => ADOPTABLE_STATUSES.has(p.status)).length;
    const mark = await lastSeq();
    const run = await runCli(importArgs("json"), env);
    expect(run.stderr).not.toContain(SECRET);
    expect(run.code).toBe(0);
    json = JSON.parse(run.stdout);

    // Three pages of the released listing (253 pipelines at 100 a page), one of the design view; only reads.
    const calls = (await sim.admin.requests()).filter((r) => r.seq > mark);
    expect(calls.filter((r) => r.mutation)).toEqual([]);
    const listings = calls.filter((r) => r.endpoint === "listPipelines");
    expect(listings.filter((r) => r.query.ifReleased === "true").map((r) => r.query.pageNo)).toEqual([
      "1",
      "2",
      "3",
    ]);
    expect(run.stderr).toContain("released pipelines of org o-demo: 3 pages read");

    const pipelines = json.resources.filter((r) => r.type === "EnosPipelineDeployment");
    const flows = json.resources.filter((r) => r.type === "EnosFlowSchedule");
    expect(pipelines).toHaveLength(expectedPipelines);
    const live = new Map(state.pipelines.map((p) => [p.pipelineId, p]));
    for (const { inputs } of pipelines) {
      const status = live.get(inputs.pipelineId as string)?.status;
      const desired = status === "PUBLISHED" ? "STOPPED" : status;
      expect(inputs).toEqual({
        pipelineId: inputs.pipelineId,
        orgId: "o-demo",
        desiredState: desired,
        onDelete: "KEEP",
      });
    }
    expect(flows.map((f) => f.inputs)).toEqual([
      { flowId: 3377, orgId: "o-demo", userId: "u-demo", enabled: false, onDelete: "KEEP" },
      { flowId: 3378, orgId: "o-demo", userId: "u-demo", enabled: true, onDelete: "KEEP" },
      { flowId: 100001, orgId: "o-demo", userId: "u-demo", enabled: true, onDelete: "KEEP" },
    ]);

    // Names: valid, unique per type, readable.
    const names = pipelines.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of [...names, ...flows.map((f) => f.name)]) expect(name).toMatch(NAME);
    const byId = new Map(pipelines.map((p) => [p.inputs.pipelineId, p]));
    const nameOf = (id: string) => byId.get(id)?.name;
    expect([nameOf("sim-pipeline-0008"), nameOf("sim-pipeline-0009"), nameOf("sim-pipeline-0010")]).toEqual([
      "ingest-telemetry",
      "ingest-telemetry-sim-pipeline-0009",
      "ingest-telemetry-sim-pipeline-0010",
    ]);
    expect(nameOf("sim-pipeline-0011")).toBe("pipeline-sim-pipeline-0011");
    expect(nameOf("sim-pipeline-0014")).toBe("meteo-vent-pluie-v2");
    expect(nameOf("sim-pipeline-0015")?.length).toBe(63);
    expect(nameOf("demo-pipeline-1")).toBe("demo-pipeline-1");
    expect(flows.map((f) => f.name)).toEqual(["demo-flow-3377", "demo-flow-3378", "flow-100001"]);

    // What EnOS does not report is said, not guessed.
    expect(byId.get("sim-pipeline-0016")?.notes?.join()).toMatch(
      /CLUSTER mode .* set executionMode: "CLUSTER"/,
    );
    expect(byId.get("sim-pipeline-0017")?.notes?.join()).toMatch(/draft version 2 is saved but not released/);

    // Skipped, on stderr, with why: never released, in transition, in error, a flow of another owner.
    const skipped = run.stderr.split("\n").filter((l) => l.startsWith("  "));
    const unreleased = state.pipelines.filter((p) => p.status === "UNRELEASED").length;
    const failed = state.pipelines.filter((p) => p.status === "RUN_ERROR").length;
    expect(skipped.filter((l) => l.includes("never released"))).toHaveLength(unreleased);
    expect(skipped.filter((l) => l.includes("status RUN_ERROR: fix the job"))).toHaveLength(failed);
    expect(skipped).toContain(
      '  pipeline sim-pipeline-0004 "sim-pipeline-0004": status STARTING is a transition in progress: import again once it has settled',
    );
    expect(skipped.filter((l) => l.startsWith("  flow 100003"))).toEqual([
      `  flow 100003 "Someone else's": user u-demo does not own it (owners: u-other): import it with --user <owner>`,
    ]);
    expect(unreleased + failed + 1 + expectedPipelines).toBe(EXTRA + 3);
  });

  it("gives the same output on a second run", async () => {
    const again = await runCli(importArgs("json"), env);
    expect(JSON.parse(again.stdout)).toEqual(json);
  });

  it("--match keeps only pipelines whose id or name matches", async () => {
    const run = await runCli(
      ["import", "--org", "o-demo", "--match", "^Ingest|demo-pipeline-2$", "--format", "json"],
      env,
    );
    expect(run.code).toBe(0);
    const names = (JSON.parse(run.stdout) as typeof json).resources.map((r) => r.name).sort();
    expect(names).toEqual([
      "demo-pipeline-2",
      "ingest-telemetry",
      "ingest-telemetry-sim-pipeline-0009",
      "ingest-telemetry-sim-pipeline-0010",
    ]);
  });

  it(
    "program: compiles with tsc against the package and deploys with zero mutations, then a no-op up",
    async () => {
      const out = path.join(generated, "index.ts");
      const run = await runCli([...importArgs("program"), "--out", out], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(`written to ${out}`);
      const source = fs.readFileSync(out, "utf8");
      expect(source).toContain('import { EnosFlowSchedule, EnosPipelineDeployment } from "pulumi-enos";');
      expect(source).toContain("never stops a pipeline or disables a flow");
      expect(source.match(/new EnosPipelineDeployment\(/g)).toHaveLength(expectedPipelines);

      // Strict TypeScript, resolving `pulumi-enos` to the built package's declarations; emits the CommonJS the
      // harness runs, as the Node language host would run a compiled program.
      const tsc = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
      await promisify(execFile)(
        process.execPath,
        [
          tsc,
          "--strict",
          "--target",
          "ES2022",
          "--module",
          "node16",
          "--moduleResolution",
          "node16",
          "--types",
          "node",
          "--rootDir",
          generated,
          "--outDir",
          path.join(generated, "out"),
          out,
        ],
        { cwd: REPO },
      );
      const program = path.join(generated, "out", "index.js");
      const up = await deploysWithoutChange(newEngine("imported-program"), program, expectedPipelines + 3);
      expect(up.resources.filter((r) => r.custom)).toHaveLength(expectedPipelines + 3);
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "config: a stack file the promotion program accepts, deployed with zero mutations, then a no-op up",
    async () => {
      const file = path.join(tmp, "Pulumi.imported.yaml");
      const run = await runCli([...importArgs("config"), "--out", file], env);
      expect(run.code).toBe(0);
      const config = (parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
      expect(config["enos:orgId"]).toBe("o-demo");
      expect(config["enos:userId"]).toBe("u-demo");
      const environment = parseEnvironment(
        { pipelines: config["pulumi-enos:pipelines"], flows: config["pulumi-enos:flows"] },
        "pulumi-enos",
      );
      expect(environment.pipelines).toHaveLength(expectedPipelines);
      expect(environment.flows).toHaveLength(3);

      // Stack config as the engine hands it to the program: scalars as text, objects as JSON.
      const stackConfig = Object.fromEntries(
        Object.entries(config).map(([key, value]) => [
          key,
          typeof value === "string" ? value : JSON.stringify(value),
        ]),
      );
      await deploysWithoutChange(
        newEngine("imported-config", stackConfig),
        "dist/program/index.js",
        expectedPipelines + 3,
      );
    },
    DEPLOY_TIMEOUT_MS,
  );
});
