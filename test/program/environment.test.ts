// The root promotion program's config parsing, and the three stack files it ships with.
// Stack files are read as the demo reads them (demo/environment.ts, with the `yaml` package).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { environmentOf, readStackConfig, stackConfigFromYaml } from "../../demo/environment.js";
import { EnvironmentConfigError, parseEnvironment } from "../../program/environment.js";
import { parsePromotionSettings } from "../../provider/promotion/stack.js";
import { checkFlowInputs } from "../../provider/resources/flow/spec.js";
import { checkPipelineInputs } from "../../provider/resources/pipeline/spec.js";
import { defaultSeed } from "../../simulator/index.js";

const REPO = path.resolve(__dirname, "../..");
const NS = "pulumi-enos";

/** The problems parseEnvironment reports for `raw` (fails the test if it accepts it). */
function problems(raw: { pipelines?: unknown; flows?: unknown }): readonly string[] {
  try {
    parseEnvironment(raw, NS);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as EnvironmentConfigError).problems;
  }
  throw new Error(`parseEnvironment accepted ${JSON.stringify(raw)}`);
}

describe("parseEnvironment", () => {
  it("accepts a valid environment and keeps every input as given", () => {
    const env = parseEnvironment(
      {
        pipelines: [{ name: "ingest", pipelineId: "p1", kafkaRate: 10, resourceConfig: { server: 2 } }],
        flows: [{ name: "nightly", flowId: 3377, enabled: false, onDelete: "RESTORE" }],
      },
      NS,
    );
    expect(env.pipelines).toEqual([
      { name: "ingest", pipelineId: "p1", kafkaRate: 10, resourceConfig: { server: 2 } },
    ]);
    expect(env.flows).toEqual([{ name: "nightly", flowId: 3377, enabled: false, onDelete: "RESTORE" }]);
  });

  it("treats missing lists as empty", () => {
    expect(parseEnvironment({}, NS)).toEqual({ pipelines: [], flows: [] });
  });

  it("names the entry and the unknown key of a misspelt input", () => {
    const found = problems({
      pipelines: [
        { name: "a", pipelineId: "p1" },
        { name: "b", pipelineId: "p2", kafkarate: 1000 },
      ],
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("pulumi-enos:pipelines[1].kafkarate: not an input; did you mean kafkaRate?");
  });

  it("names a missing or malformed name by its path", () => {
    expect(problems({ pipelines: [{ pipelineId: "p1" }] })).toEqual([
      expect.stringMatching(/^pulumi-enos:pipelines\[0\]\.name: must be a string/),
    ]);
    expect(problems({ flows: [{ name: "Nightly Rollup", flowId: 1 }] })).toEqual([
      expect.stringMatching(/^pulumi-enos:flows\[0\]\.name: must be lower-case letters, digits and '-'/),
    ]);
  });

  it("rejects duplicate names within a list, naming the second one", () => {
    expect(
      problems({
        pipelines: [
          { name: "ingest", pipelineId: "p1" },
          { name: "ingest", pipelineId: "p2" },
        ],
      }),
    ).toEqual(['pulumi-enos:pipelines[1].name: "ingest" is used twice']);
  });

  it("allows the same name in pipelines and flows (they are different resource types)", () => {
    expect(() =>
      parseEnvironment(
        { pipelines: [{ name: "x", pipelineId: "p" }], flows: [{ name: "x", flowId: 1 }] },
        NS,
      ),
    ).not.toThrow();
  });

  it("rejects lists that are not lists", () => {
    expect(problems({ pipelines: { name: "ingest" } })).toEqual([
      "pulumi-enos:pipelines: must be a list of pipelines",
    ]);
    expect(problems({ flows: "3377" })).toEqual(["pulumi-enos:flows: must be a list of flows"]);
  });

  it("reports every problem at once, in one readable message", () => {
    const raw = {
      pipelines: [{ pipelineId: "p1" }, { name: "b", pipelineId: "p2", kafkarate: 1 }],
      flows: [{ name: "n", flowId: 1, enable: true }],
    };
    expect(problems(raw)).toHaveLength(3);
    expect(() => parseEnvironment(raw, NS)).toThrow(
      /^Invalid stack config:\n {2}- pulumi-enos:pipelines\[0\]\.name: .*\n {2}- pulumi-enos:pipelines\[1\]\.kafkarate: .*kafkaRate.*\n {2}- pulumi-enos:flows\[0\]\.enable: .*did you mean enabled\?/,
    );
  });

  it("uses the project name as the namespace of the paths", () => {
    expect(() => parseEnvironment({ pipelines: 1 }, "my-project")).toThrow(
      /my-project:pipelines: must be a list/,
    );
  });
});

describe("the stack files (Pulumi.dev/staging/prod.yaml)", () => {
  const stacks = ["dev", "staging", "prod"] as const;
  const config = Object.fromEntries(stacks.map((s) => [s, readStackConfig(REPO, s)])) as Record<
    (typeof stacks)[number],
    Record<string, string>
  >;
  const env = Object.fromEntries(stacks.map((s) => [s, environmentOf(config[s])])) as Record<
    (typeof stacks)[number],
    ReturnType<typeof environmentOf>
  >;

  it.each(stacks)("%s parses, and every entry passes the resources' own check", (stack) => {
    const orgId = config[stack]["enos:orgId"];
    const userId = config[stack]["enos:userId"];
    expect(orgId).toBeTruthy();
    expect(env[stack].pipelines.length).toBeGreaterThan(0);
    for (const { name: _name, ...inputs } of env[stack].pipelines) {
      expect(checkPipelineInputs(inputs as Record<string, unknown>, { orgId }).failures).toEqual([]);
    }
    for (const { name: _name, ...inputs } of env[stack].flows) {
      expect(checkFlowInputs(inputs as Record<string, unknown>, { orgId, userId }).failures).toEqual([]);
    }
  });

  it("promote the same pipelines and flows, in the same order, under the same names", () => {
    const ids = (s: (typeof stacks)[number]) => ({
      pipelines: env[s].pipelines.map((p) => [p.name, p.pipelineId]),
      flows: env[s].flows.map((f) => [f.name, f.flowId]),
    });
    expect(ids("staging")).toEqual(ids("dev"));
    expect(ids("prod")).toEqual(ids("dev"));
  });

  it("give each environment its own start options: more throughput and CUs towards prod", () => {
    for (const [i, dev] of env.dev.pipelines.entries()) {
      const staging = env.staging.pipelines[i]!;
      const prod = env.prod.pipelines[i]!;
      expect(Number(staging.kafkaRate)).toBeGreaterThan(Number(dev.kafkaRate));
      expect(Number(prod.kafkaRate)).toBeGreaterThan(Number(staging.kafkaRate));
      const server = (p: typeof dev) => (p.resourceConfig as { server: number }).server;
      expect(server(staging)).toBeGreaterThanOrEqual(server(dev));
      expect(server(prod)).toBeGreaterThanOrEqual(server(staging));
      // The execution mode is part of the pipeline's design: promotion keeps it.
      expect(staging.executionMode).toBe(dev.executionMode);
      expect(prod.executionMode).toBe(dev.executionMode);
    }
  });

  it("promote the staging release to prod, and keep prod pipelines running on destroy", () => {
    const trigger = (s: (typeof stacks)[number]) => env[s].pipelines.map((p) => [p.name, p.releaseTrigger]);
    expect(trigger("prod")).toEqual(trigger("staging"));
    for (const p of env.prod.pipelines) expect(["KEEP", "PAUSE"]).toContain(p.onDelete);
    for (const f of env.prod.flows) expect(f.onDelete).toBe("RESTORE");
    expect(env.staging.flows.map((f) => f.enabled)).not.toEqual(env.prod.flows.map((f) => f.enabled));
  });

  it("prod promotes from staging with a soak, and staging judges every release prod takes", () => {
    const promotion = parsePromotionSettings(
      JSON.parse(config.prod["pulumi-enos:promotion"] ?? "null"),
      "pulumi-enos:promotion",
    );
    expect(promotion).toEqual({ from: "staging", soak: "30m" });
    for (const p of env.prod.pipelines.filter((p) => p.releaseTrigger !== undefined)) {
      const source = env.staging.pipelines.find((s) => s.name === p.name);
      expect(source?.healthCheck, `${p.name} in staging`).toBeDefined();
    }
  });

  it("dev points at the local simulator with its default seed; staging and prod name their own orgs", () => {
    expect(config.dev["enos:apiGateway"]).toBe("http://127.0.0.1:8360");
    const app = defaultSeed.apps?.find((a) => a.accessKey === config.dev["enos:accessKey"]);
    expect(app?.orgId).toBe(config.dev["enos:orgId"]);
    const seeded = defaultSeed.pipelines?.map((p) => p.pipelineId) ?? [];
    for (const p of env.dev.pipelines) expect(seeded).toContain(p.pipelineId);
    const flows = defaultSeed.flows?.map((f) => f.flowId) ?? [];
    for (const f of env.dev.flows) expect(flows).toContain(f.flowId);

    const orgs = stacks.map((s) => config[s]["enos:orgId"]);
    expect(new Set(orgs).size).toBe(3);
    for (const stack of ["staging", "prod"] as const) {
      // Real gateways and credentials are set per stack (`pulumi config set`), never committed.
      expect(config[stack]["enos:apiGateway"]).toBeUndefined();
      expect(config[stack]["enos:accessKey"]).toBeUndefined();
    }
  });

  it("never hold a secret key in plain text", () => {
    for (const stack of stacks) {
      expect(config[stack]["enos:secretKey"]).toBeUndefined();
      const text = fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8");
      expect(text).not.toMatch(/^\s*enos:secretKey:/m);
    }
  });
});

describe("stackConfigFromYaml (the demo's reading of a stack file)", () => {
  it("turns a stack file's config into what the engine hands the program (strings, JSON for structures)", () => {
    expect(stackConfigFromYaml("config:\n  a:b: c\n  a:n: 3\n  a:l:\n    - k: 1\n")).toEqual({
      "a:b": "c",
      "a:n": "3",
      "a:l": '[{"k":1}]',
    });
    expect(() => stackConfigFromYaml("config:\n  enos:secretKey:\n    secure: AAAB\n")).toThrow(
      /encrypted secret/,
    );
  });
});
