/** `pulumi-enos drift`'s pure parts: judging a resource, the formats' escaping, the command line. */
import { describe, expect, it } from "vitest";
import { DRIFT_USAGE, parseDriftArgs, type DriftArgs } from "../../../provider/drift/args.js";
import { judge, type Sighting } from "../../../provider/drift/classify.js";
import { supportsRunProgram } from "../../../provider/drift/check.js";
import {
  FLOW_TYPE,
  PIPELINE_TYPE,
  summarise,
  exitCode,
  type StackDrift,
} from "../../../provider/drift/model.js";
import { render } from "../../../provider/drift/render.js";

const stored = {
  pipelineId: "p-1",
  orgId: "o-1",
  desiredState: "RUNNING",
  status: "RUNNING",
  releasedVersion: "3",
};

function pipeline(
  observed: Record<string, unknown> | undefined,
  desired: Record<string, unknown> = {},
): Sighting {
  return {
    urn: "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/enos:EnosPipelineDeployment::ingest",
    type: PIPELINE_TYPE,
    stored,
    observed: observed && { ...stored, ...observed },
    desired: { ...stored, ...desired },
    op: "same",
    inState: true,
  };
}

const flow = (active: boolean, enabled: boolean): Sighting => ({
  urn: "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/enos:EnosFlowSchedule::nightly",
  type: FLOW_TYPE,
  stored: { flowId: 7, orgId: "o-1", userId: "u-1", enabled: true, active: true },
  observed: { flowId: 7, active },
  desired: { flowId: 7, enabled },
  op: "update",
  inState: true,
});

describe("judging one resource", () => {
  it.each([
    ["in step", pipeline({}), "none", "nothing"],
    ["stopped in the console", pipeline({ status: "STOPPED" }), "status", "start"],
    ["running, desired paused", pipeline({}, { desiredState: "PAUSED" }), "status", "pause"],
    [
      "released but never started, desired stopped",
      pipeline({ status: "PUBLISHED" }, { desiredState: "STOPPED" }),
      "none",
      "nothing",
    ],
    [
      "in an error status",
      pipeline({ status: "FAILED" }),
      "status",
      "nothing until FAILED is fixed in the EnOS console (up fails)",
    ],
    [
      "mid-transition",
      pipeline({ status: "STARTING" }),
      "status",
      "wait for STARTING to settle, then re-plan",
    ],
    ["deleted", pipeline(undefined), "gone", "remove from state"],
    [
      "released outside Pulumi",
      pipeline({ releasedVersion: "4" }),
      "released",
      "nothing (refresh records the new version)",
    ],
    [
      "running but judged unhealthy",
      pipeline({ health: { verdict: "UNHEALTHY" } }, { healthCheck: { stableFor: "30s" } }),
      "health",
      "nothing (health is judged after the next start)",
    ],
    [
      "running and healthy",
      pipeline({ health: { verdict: "HEALTHY" } }, { healthCheck: { stableFor: "30s" } }),
      "none",
      "nothing",
    ],
    ["flow disabled in the console", flow(false, true), "enabled", "enable"],
    ["flow enabled, desired disabled", flow(true, false), "enabled", "disable"],
  ])("%s", (_, sighting, drift, plan) => {
    expect(judge(sighting)).toMatchObject({ drift, plan });
  });

  it("names the resource, its id and both sides", () => {
    expect(judge(pipeline({ status: "STOPPED" }))).toEqual({
      urn: "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/enos:EnosPipelineDeployment::ingest",
      type: "EnosPipelineDeployment",
      name: "ingest",
      id: "p-1",
      drift: "status",
      desired: { status: "RUNNING", releasedVersion: "3" },
      observed: { status: "STOPPED", releasedVersion: "3" },
      plan: "start",
    });
    expect(judge(flow(false, true))).toMatchObject({
      id: "7",
      desired: { enabled: true },
      observed: { enabled: false },
    });
  });

  it("a resource new in the program has not drifted: up creates it", () => {
    const fresh = { ...pipeline(undefined), stored: {}, op: "create", inState: false };
    expect(judge(fresh)).toMatchObject({ drift: "none", plan: "create (the program changed)" });
  });
});

const odd: StackDrift = {
  stack: "a<b>&c",
  status: "drift",
  otherResources: 1,
  resources: [{ ...judge(pipeline({ status: "STOPPED" })), name: 'in|"x"' }],
};

describe("formats", () => {
  const report = summarise(
    [odd, { stack: "p", status: "error", error: 'stack p: <no> & "way"', otherResources: 0, resources: [] }],
    new Date(0),
  );

  it("exit code: 1 when a stack failed, else 2 on drift, else 0", () => {
    expect(exitCode(report)).toBe(1);
    expect(exitCode(summarise([odd], new Date(0)))).toBe(2);
    expect(exitCode(summarise([{ ...odd, status: "clean", resources: [] }], new Date(0)))).toBe(0);
  });

  it("JUnit escapes names and messages", () => {
    const xml = render("junit", report);
    expect(xml).toContain('<testsuite name="a&lt;b&gt;&amp;c" tests="1" failures="1" errors="0">');
    expect(xml).toContain('name="in|&quot;x&quot; (p-1)"');
    expect(xml).toContain('<error type="error" message="stack p: &lt;no&gt; &amp; &quot;way&quot;">');
    expect(xml).not.toMatch(/<no>/);
  });

  it("Markdown escapes pipes in cells", () => {
    const md = render("markdown", report);
    expect(md).toContain('| in\\|"x" | EnosPipelineDeployment | `p-1` | **status** |');
  });
});

describe("the command line", () => {
  it("--help lists every flag the parser accepts, and the parser accepts every flag --help lists", () => {
    // The option lines of the help: "  --flag  what it does" (or "  -h, --help").
    const listed = [...DRIFT_USAGE.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+) /gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(["--cwd", "--format", "--help", "--out", "--parallel", "--stack"]);
    const values: Record<string, string[]> = {
      "--cwd": ["--cwd", "d"],
      "--format": ["--format", "json"],
      "--help": ["--help"],
      "--out": ["--out", "f.md"],
      "--parallel": ["--parallel", "2"],
      "--stack": ["--stack", "dev"],
    };
    for (const flag of Object.keys(values)) expect(() => parseDriftArgs(values[flag] ?? [])).not.toThrow();
    expect(() => parseDriftArgs(["--stacks", "dev"])).toThrow(/--stacks/);
  });

  it("each --out file gets the format its extension names, or --format for a single one", () => {
    const where = (argv: string[]) => (parseDriftArgs(argv) as DriftArgs).destinations;
    expect(where([])).toEqual([{ file: undefined, format: "text" }]);
    expect(where(["--format", "junit"])).toEqual([{ file: undefined, format: "junit" }]);
    expect(where(["--out", "r.xml", "--format", "text"])).toEqual([{ file: "r.xml", format: "text" }]);
    expect(where(["--out", "summary"])).toEqual([{ file: "summary", format: "text" }]);
    expect(where(["--out", "r.json", "--out", "r.md", "--out", "r.XML", "--out", "r.txt"])).toEqual([
      { file: "r.json", format: "json" },
      { file: "r.md", format: "markdown" },
      { file: "r.XML", format: "junit" },
      { file: "r.txt", format: "text" },
    ]);
  });

  it.each([
    [["--format", "html"], '--format must be one of text, json, markdown, junit (got "html")'],
    [["--parallel", "0"], '--parallel must be a whole number from 1 to 9999 (got "0")'],
    [["--stack", ""], "--stack must name a stack"],
    [["--out", ""], "--out must not be empty"],
    [
      ["--out", "a.md", "--out", "b"],
      "--out b: with several --out files, name each .json, .md, .xml (JUnit) or .txt",
    ],
  ])("%j is refused", (argv, message) => {
    expect(() => parseDriftArgs(argv)).toThrow(message);
  });
});

describe("the project's SDK", () => {
  it("needs the Automation API that passes runProgram to preview (3.181.0), or the check would read old config", () => {
    expect(["3.139.0", "3.177.0", "3.180.9", "2.99.0"].map(supportsRunProgram)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(["3.181.0", "3.248.0", "3.181.1-alpha.1", "4.0.0"].map(supportsRunProgram)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});
