/**
 * `pulumi-enos drift` with the real Pulumi CLI: a user's project with two stacks, the simulator as EnOS. The
 * command runs as a user types it (`node_modules/.bin/pulumi-enos drift` in the project), in its own process.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import type { DriftReport, ResourceDrift } from "../../provider/drift/model.js";
import {
  cliOrSkip,
  FLOW_TYPE,
  PIPELINE_TYPE,
  promotionProgram,
  simulatorStackConfig,
  UserProject,
  type CliResult,
} from "./support.js";
import { descendants, parseXml } from "./xml.js";

const cli = cliOrSkip("test/cli drift");
const SECRET = "demo-secret-key"; // the simulator's key; it must never appear in a report
const DEAD_GATEWAY = "http://127.0.0.1:1";

let sim: RunningSimulator;
let project: UserProject;
const cleanup: (() => unknown)[] = [];

interface DriftRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command in the project with the project's Pulumi environment (minus the variables in `without`). */
function run(command: string, args: readonly string[], without: readonly string[] = []): Promise<DriftRun> {
  const env = Object.fromEntries(
    Object.entries(project.environment).filter(([name]) => !without.includes(name)),
  );
  return new Promise((resolve) => {
    execFile(command, args, { cwd: project.dir, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `pulumi-enos drift <args>` as a user runs it in the project. */
function drift(args: readonly string[], without: readonly string[] = []): Promise<DriftRun> {
  const bin = path.join(project.installedPackage, "dist", "provider", "import", "cli.js");
  return run(process.execPath, [bin, "drift", ...args], without);
}

function succeeded(result: CliResult): void {
  if (result.code !== 0)
    throw new Error(`pulumi exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
}

const config = (pipelines: unknown[], flows: unknown[]) => simulatorStackConfig(sim.url, pipelines, flows);

/** Each stack's `pulumi stack export` and checkpoint file, as bytes. */
async function snapshot(): Promise<string[]> {
  const texts: string[] = [];
  for (const stack of ["dev", "prod"]) {
    project.use(stack);
    texts.push((await project.exportState()).text, fs.readFileSync(project.checkpointFile(), "utf8"));
  }
  return texts;
}

const FULL_TYPE: Readonly<Record<string, string>> = {
  EnosPipelineDeployment: PIPELINE_TYPE,
  EnosFlowSchedule: FLOW_TYPE,
};

const row = (report: DriftReport, stack: string, name: string): ResourceDrift | undefined =>
  report.stacks.find((s) => s.stack === stack)?.resources.find((r) => r.name === name);

/** The JSON report of the drifted stacks: exactly the three, with desired and observed. */
function expectDriftedJson(json: string): void {
  const report = JSON.parse(json) as DriftReport;
  expect(report.summary).toEqual({ stacks: 2, resources: 5, drifted: 3, errors: 0 });
  expect(report.stacks.map((s) => [s.stack, s.status])).toEqual([
    ["dev", "drift"],
    ["prod", "clean"],
  ]);
  const drifted = report.stacks.flatMap((s) => s.resources).filter((r) => r.drift !== "none");
  const pipeline = (status: string | null) => (status === null ? null : { status, releasedVersion: "1" });
  expect(drifted.map((r) => [r.name, r.id, r.drift, r.desired, r.observed, r.plan])).toEqual([
    ["enrich", "demo-pipeline-2", "gone", pipeline("RUNNING"), null, "remove from state"],
    ["ingest", "demo-pipeline-1", "status", pipeline("RUNNING"), pipeline("STOPPED"), "start"],
    ["nightly", "3377", "enabled", { enabled: true }, { enabled: false }, "enable"],
  ]);
  for (const r of drifted)
    expect(r.urn).toBe(`urn:pulumi:dev::pulumi-enos::${FULL_TYPE[r.type] ?? ""}::${r.name}`);
}

/** Markdown: one table per stack, the drifted rows first. */
function expectDriftedMarkdown(markdown: string): void {
  const tables = markdown.split(/^### /m).slice(1);
  expect(tables.map((t) => t.split("\n")[0])).toEqual(["⚠️ `dev`: 3 of 3 drifted", "✅ `prod`: no drift"]);
  const rows = (table: string | undefined) =>
    (table ?? "").split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| resource"));
  expect(rows(tables[0])).toEqual([
    "| enrich | EnosPipelineDeployment | `demo-pipeline-2` | **gone** | status=RUNNING, releasedVersion=1 | deleted in EnOS | remove from state |",
    "| ingest | EnosPipelineDeployment | `demo-pipeline-1` | **status** | status=RUNNING, releasedVersion=1 | status=STOPPED, releasedVersion=1 | start |",
    "| nightly | EnosFlowSchedule | `3377` | **enabled** | enabled=true | enabled=false | enable |",
  ]);
  expect(rows(tables[1]).map((r) => r.split(" | ")[3])).toEqual(["none", "none"]);
}

/** JUnit, parsed: one suite per stack, a testcase per resource, a failure per drifted one. */
function expectDriftedJunit(junit: string): void {
  const suites = parseXml(junit);
  expect(suites.attributes).toMatchObject({ tests: "5", failures: "3", errors: "0" });
  const bySuite = descendants(suites, "testsuite").map((s) => ({
    name: s.attributes.name,
    tests: descendants(s, "testcase").length,
    failures: descendants(s, "failure").map((f) => f.attributes.type),
    attributes: [s.attributes.tests, s.attributes.failures, s.attributes.errors],
  }));
  expect(bySuite).toEqual([
    { name: "dev", tests: 3, failures: ["gone", "status", "enabled"], attributes: ["3", "3", "0"] },
    { name: "prod", tests: 2, failures: [], attributes: ["2", "0", "0"] },
  ]);
  const ingest = descendants(suites, "failure").find((f) => f.attributes.type === "status");
  expect(ingest?.attributes.message).toBe("status: desired RUNNING, observed STOPPED; next up: start");
  expect(ingest?.text).toContain("observed: status=STOPPED, releasedVersion=1");
}

describe.skipIf(!cli)("pulumi-enos drift with the real Pulumi CLI", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    if (!cli) return;
    sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
    cleanup.push(() => sim.close());
    await sim.admin.reset(defaultSeed);
    project = new UserProject(cli, promotionProgram(), { name: "pulumi-enos" });
    cleanup.push(() => {
      project.dispose();
    });
    const dev = config(
      [
        { name: "ingest", pipelineId: "demo-pipeline-1" },
        { name: "enrich", pipelineId: "demo-pipeline-2" },
      ],
      [{ name: "nightly", flowId: 3377, enabled: true }],
    );
    await project.use("dev").init(dev, { "enos:secretKey": SECRET });
    succeeded(await project.up());
    const prod = config(
      [{ name: "kpis", pipelineId: "demo-pipeline-3" }],
      [{ name: "hourly", flowId: 3378 }],
    );
    await project.use("prod").init(prod, { "enos:secretKey": SECRET });
    succeeded(await project.up());
  });

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("clean: exit 0 and every resource of both stacks `none`", async () => {
    const run = await drift(["--format", "json"]);
    expect(run.stderr).toContain("pulumi-enos drift: dev: clean (3 resources)");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as DriftReport;
    expect(report.schemaVersion).toBe(1);
    expect(report.summary).toEqual({ stacks: 2, resources: 5, drifted: 0, errors: 0 });
    expect(report.stacks.map((s) => [s.stack, s.status])).toEqual([
      ["dev", "clean"],
      ["prod", "clean"],
    ]);
    for (const r of report.stacks.flatMap((s) => s.resources))
      expect([r.name, r.drift]).toEqual([r.name, "none"]);
    expect(row(report, "prod", "hourly")).toMatchObject({
      id: "3378",
      type: "EnosFlowSchedule",
      plan: "nothing",
    });
  });

  it("drift: exit 2 and exactly the three drifted resources in every format; nothing changed in EnOS or state", async () => {
    await sim.admin.setPipelineStatus("demo-pipeline-1", "STOPPED"); // stopped in the console
    await sim.admin.deletePipeline("demo-pipeline-2");
    await sim.admin.setFlow(3377, { active: 0 });
    const mark = (await sim.admin.requests()).at(-1)?.seq ?? 0;
    const before = await snapshot();

    // The shell recipe of examples/drift-check: one check writing the four formats; then the text on stdout.
    const reports = path.join(project.dir, "reports");
    const recipe = await run("bash", [
      path.join(project.installedPackage, "examples", "drift-check", "drift-check.sh"),
      ".",
      reports,
    ]);
    const onStdout = await drift(["--format", "text"]);
    for (const result of [recipe, onStdout]) {
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).not.toContain(SECRET);
    }
    expect(recipe.stderr).toContain(`pulumi-enos drift: junit report written to ${reports}/drift.xml`);
    expect(recipe.stderr).toContain(`drift found: see ${reports}/drift.md`);
    const [json, markdown, junit, text] = ["json", "md", "xml", "txt"].map((ext) =>
      fs.readFileSync(path.join(reports, `drift.${ext}`), "utf8"),
    );
    for (const output of [json, markdown, junit, text]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain("cli-story-passphrase");
    }
    expect(recipe.stdout).toBe(text);
    expect(onStdout.stdout).toBe(text);
    expectDriftedJson(json ?? "");
    expectDriftedMarkdown(markdown ?? "");
    expectDriftedJunit(junit ?? "");
    expect(text?.split("\n")).toEqual([
      "pulumi-enos drift: 2 stacks, 5 resources, 3 drifted, 0 errors",
      "dev: drift in 3 of 3 resources",
      "  enrich (EnosPipelineDeployment demo-pipeline-2) [gone] deleted in EnOS; next up: remove from state",
      "  ingest (EnosPipelineDeployment demo-pipeline-1) [status] status: desired RUNNING, observed STOPPED; next up: start",
      "  nightly (EnosFlowSchedule 3377) [enabled] enabled: desired true, observed false; next up: enable",
      "prod: clean (2 resources)",
      "",
    ]);

    // Four refresh-previews changed nothing: no EnOS mutation, both stacks' state byte for byte the same.
    expect((await sim.admin.requests()).filter((r) => r.mutation && r.seq > mark)).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("a stack whose enos:apiGateway now points nowhere: exit 1, that stack `error` in one line, the other still reported", async () => {
    project.use("prod");
    await project.setConfig({ "enos:apiGateway": DEAD_GATEWAY });
    // What drift avoids: `preview --refresh` reads with the provider config recorded at the last update.
    const plain = await project.preview("--refresh");
    expect(plain.code).toBe(0);

    const run = await drift(["--format", "json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as DriftReport;
    expect(report.summary).toEqual({ stacks: 2, resources: 3, drifted: 3, errors: 1 });
    const prod = report.stacks.find((s) => s.stack === "prod");
    expect(prod).toMatchObject({ status: "error", resources: [] });
    expect(prod?.error).toMatch(/^stack prod: .*check enos:apiGateway \(http:\/\/127\.0\.0\.1:1\)/);
    expect(prod?.error).not.toContain("\n");
    expect(report.stacks.find((s) => s.stack === "dev")?.status).toBe("drift");
    expect(run.stderr).toContain("pulumi-enos drift: prod: error: stack prod: ");
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("no passphrase, no project, or an unknown stack: exit 1 with one line naming the cause", async () => {
    const run = await drift(["--stack", "dev"], ["PULUMI_CONFIG_PASSPHRASE"]);
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines[1]).toMatch(/^could not check stack dev: .*PULUMI_CONFIG_PASSPHRASE/);
    const nowhere = await drift(["--cwd", path.join(project.dir, "node_modules", "pulumi-enos", "docs")]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(
      /^pulumi-enos drift: cannot list the stacks: .*no Pulumi\.yaml project file found/,
    );
    const unknown = await drift(["--stack", "qa", "--format", "json"]);
    expect(unknown.code).toBe(1);
    expect((JSON.parse(unknown.stdout) as DriftReport).stacks).toEqual([
      {
        stack: "qa",
        status: "error",
        error: "stack qa: no such stack in this project (stacks: dev, prod)",
        otherResources: 0,
        resources: [],
      },
    ]);
  });
});
