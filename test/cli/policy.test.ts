/**
 * The policy pack through the real Pulumi CLI: a user's project that installed the packed pulumi-enos runs
 * `pulumi preview --policy-pack node_modules/pulumi-enos/policy`, as the README tells users to, with the
 * simulator as EnOS. A refused preview must stop before any EnOS change. pulumi-enos does not install
 * @pulumi/policy: a project that runs the pack without it is told the command that does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { cliOrSkip, lockedVersion, promotionProgram, UserProject, type CliResult } from "./support.js";

const cli = cliOrSkip("test/cli policy");
const PACK = path.join("node_modules", "pulumi-enos", "policy");
/** Each test runs one or two previews (the first also packs and installs pulumi-enos) on two shared cores. */
const PREVIEWS = 240_000;
type Entry = Record<string, unknown>;

/** What the engine's event log says about a policy violation. */
interface PolicyEvent {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly enforcementLevel: string;
  readonly message: string;
  readonly resourceUrn?: string;
}

let sim: RunningSimulator;
const projects: UserProject[] = [];

function violations(result: CliResult): PolicyEvent[] {
  return result.events.flatMap((e) => {
    const event = (e as { policyEvent?: PolicyEvent }).policyEvent;
    return event ? [event] : [];
  });
}

/** A violation's own message: the engine puts the rule's description on the line before it. */
const detail = (v: PolicyEvent) => v.message.trimEnd().split("\n").at(-1) ?? "";

/** The rule names a run reported, with their level, e.g. `["enos-unique-pipeline mandatory"]`, sorted. */
const reported = (result: CliResult) =>
  violations(result)
    .map((v) => `${v.policyName} ${v.enforcementLevel}`)
    .sort();

/**
 * A user's project with the given stack config. `withPolicy` (the default): the user also ran the one command the
 * docs name for the pack, `npm install --save-dev @pulumi/policy` (pulumi-enos leaves it an optional peer).
 */
async function project(
  stack: string,
  pipelines: Entry[],
  flows: Entry[] = [],
  withPolicy = true,
): Promise<UserProject> {
  if (!cli) throw new Error("unreachable: suite skipped without a CLI");
  const dependencies: Record<string, string> = withPolicy
    ? { "@pulumi/policy": lockedVersion("@pulumi/policy") }
    : {};
  const user = new UserProject(cli, promotionProgram(), { name: "pulumi-enos", stack, dependencies });
  projects.push(user);
  await user.init(
    {
      "enos:apiGateway": sim.url,
      "enos:accessKey": "demo-access-key",
      "enos:orgId": "o-demo",
      "enos:userId": "u-demo",
      "pulumi-enos:pipelines": pipelines,
      "pulumi-enos:flows": flows,
    },
    { "enos:secretKey": "demo-secret-key" },
  );
  return user;
}

const preview = (user: UserProject, ...extra: string[]) => user.preview("--policy-pack", PACK, ...extra);

describe.skipIf(!cli)("the policy pack through the real Pulumi CLI", () => {
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });

  beforeEach(async () => {
    await sim.admin.reset(defaultSeed);
  });

  afterEach(() => {
    for (const user of projects.splice(0)) user.dispose();
  });

  afterAll(async () => {
    await sim.close();
  });

  it(
    "refuses a dev stack that adopts one pipeline and one flow twice, before any EnOS change",
    async () => {
      const user = await project(
        "dev",
        [
          { name: "ingest", pipelineId: "demo-pipeline-1" },
          { name: "ingest-again", pipelineId: "demo-pipeline-1" },
        ],
        [
          { name: "nightly", flowId: 3377 },
          { name: "nightly-copy", flowId: 3377 },
        ],
      );
      const result = await preview(user);
      expect(result.code).not.toBe(0);
      expect(reported(result)).toEqual(["enos-unique-flow mandatory", "enos-unique-pipeline mandatory"]);
      const pipeline = violations(result).find((v) => v.policyName === "enos-unique-pipeline");
      expect(pipeline?.policyPackName).toBe("pulumi-enos");
      expect(pipeline?.message).toContain(
        'EnosPipelineDeployment resources "ingest", "ingest-again" all adopt pipeline pipelineId "demo-pipeline-1" in orgId "o-demo"',
      );
      expect(result.stdout).toContain("enos-unique-pipeline");
      expect((await sim.admin.requests()).filter((r) => r.mutation)).toEqual([]);
    },
    PREVIEWS,
  );

  it(
    "passes a clean dev stack",
    async () => {
      const user = await project(
        "dev",
        [
          { name: "ingest", pipelineId: "demo-pipeline-1" },
          { name: "enrich", pipelineId: "demo-pipeline-2", kafkaRate: 5000 },
        ],
        [{ name: "nightly", flowId: 3377 }],
      );
      const result = await preview(user);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(violations(result)).toEqual([]);
      expect(result.stdout).toContain("pulumi-enos@v0.1.0");
    },
    PREVIEWS,
  );

  it(
    "refuses a prod stack whose resources keep the default onDelete, and passes it with safe ones",
    async () => {
      const defaults = await project(
        "prod",
        [{ name: "ingest", pipelineId: "demo-pipeline-1" }],
        [{ name: "nightly", flowId: 3377 }],
      );
      const refused = await preview(defaults);
      expect(refused.code).not.toBe(0);
      expect(reported(refused)).toEqual([
        "enos-protected-stack-delete mandatory",
        "enos-protected-stack-delete mandatory",
      ]);
      expect(
        violations(refused)
          .map((v) => detail(v).split(":")[0])
          .sort(),
      ).toEqual(['EnosFlowSchedule "nightly"', 'EnosPipelineDeployment "ingest"']);
      expect(violations(refused).find((v) => v.message.includes("ingest"))?.message).toContain(
        'onDelete is "STOP" (also its default when left out) in protected stack "prod"',
      );

      const safe = await project(
        "prod",
        [{ name: "ingest", pipelineId: "demo-pipeline-1", onDelete: "PAUSE" }],
        [{ name: "nightly", flowId: 3377, onDelete: "KEEP" }],
      );
      const passed = await preview(safe);
      expect(passed.code, passed.stdout + passed.stderr).toBe(0);
      expect(violations(passed)).toEqual([]);
    },
    PREVIEWS,
  );

  it(
    "shows a kafkaRate above the limit as advisory and lets the preview pass; policy config moves the limit",
    async () => {
      const user = await project("dev", [
        { name: "firehose", pipelineId: "demo-pipeline-1", kafkaRate: 250000 },
      ]);
      const advised = await preview(user);
      expect(advised.code, advised.stdout + advised.stderr).toBe(0);
      expect(reported(advised)).toEqual(["enos-kafka-rate-limit advisory"]);
      expect(violations(advised)[0]?.message).toContain(
        'EnosPipelineDeployment "firehose": kafkaRate 250000 is above maxKafkaRate 100000 records/s',
      );
      expect(advised.stdout).toContain("[advisory]  enos-kafka-rate-limit");

      const config = path.join(user.dir, "policy-config.json");
      fs.writeFileSync(config, JSON.stringify({ "enos-kafka-rate-limit": { maxKafkaRate: 300000 } }));
      const raised = await preview(user, "--policy-pack-config", config);
      expect(raised.code, raised.stdout + raised.stderr).toBe(0);
      expect(violations(raised)).toEqual([]);
    },
    PREVIEWS,
  );

  it(
    "without @pulumi/policy in the project, fails the preview naming the command that installs it",
    async () => {
      const user = await project("dev", [{ name: "ingest", pipelineId: "demo-pipeline-1" }], [], false);
      expect(fs.existsSync(path.join(user.dir, "node_modules", "@pulumi", "policy"))).toBe(false);
      const result = await preview(user);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toContain(
        "the pulumi-enos policy pack needs @pulumi/policy, which pulumi-enos does not install for you: run `npm install --save-dev @pulumi/policy`",
      );
      expect((await sim.admin.requests()).filter((r) => r.mutation)).toEqual([]);
    },
    PREVIEWS,
  );
});
