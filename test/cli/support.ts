/** What every test in test/cli/ shares: the CLI (or the reason it is skipped) and the user's-project helpers. */
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { locatePulumiCli, type PulumiCli } from "../../tools/pulumi-cli/locate.js";
import { type CliResult, UserProject } from "../../tools/pulumi-cli/project.js";

type SimulatorDelays = NonNullable<Parameters<typeof startSimulator>[0]>["delays"];

export {
  diagnostics,
  lockedVersion,
  operations,
  promotionProgram,
  UserProject,
  type CliResult,
  type EngineEvent,
  type StateResource,
} from "../../tools/pulumi-cli/project.js";

export const PIPELINE_TYPE = "pulumi-nodejs:dynamic/enos:EnosPipelineDeployment";
export const FLOW_TYPE = "pulumi-nodejs:dynamic/enos:EnosFlowSchedule";

/**
 * The CLI, or undefined with the reason printed once. `.ci/run` sets PULUMI_ENOS_REQUIRE_CLI=1 after building
 * it, so there a missing CLI fails the suite instead of skipping it.
 */
export function cliOrSkip(suite: string): PulumiCli | undefined {
  const cli = locatePulumiCli();
  if (cli) return cli;
  const reason = `${suite}: no Pulumi CLI on PATH or in .pulumi-cli/bin (run \`npm run pulumi:install\`)`;
  if (process.env.PULUMI_ENOS_REQUIRE_CLI === "1")
    throw new Error(`${reason}, and PULUMI_ENOS_REQUIRE_CLI=1`);
  console.log(`${reason}: SKIPPED`);
  return undefined;
}

/** A stack's config for the promotion program against the simulator at `gateway` (its demo app and user). */
export function simulatorStackConfig(
  gateway: string,
  pipelines: readonly unknown[],
  flows: readonly unknown[] = [],
): Record<string, unknown> {
  return {
    "enos:apiGateway": gateway,
    "enos:accessKey": "demo-access-key",
    "enos:orgId": "o-demo",
    "enos:userId": "u-demo",
    "pulumi-enos:pipelines": pipelines,
    "pulumi-enos:flows": flows,
  };
}

/** The command's result, or a failure with its output when it did not exit 0. */
export function succeeded(result: CliResult): CliResult {
  if (result.code !== 0)
    throw new Error(`pulumi exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The command's result, or a failure when it exited 0. */
export function failed(result: CliResult): CliResult {
  if (result.code === 0) throw new Error(`pulumi succeeded, expected a failure:\n${result.stdout}`);
  return result;
}

/**
 * One simulator for a describe block: started before it, back to the default seed before each test, closed after
 * it; the projects a test `keep`s are disposed of after that test. Also the request-log helpers every story uses.
 */
export function simulatorSuite(delays: SimulatorDelays = { start: 40, pause: 20, stop: 20, release: 20 }) {
  let current: RunningSimulator | undefined;
  const projects: UserProject[] = [];
  const sim = (): RunningSimulator => {
    if (current === undefined) throw new Error("the suite's simulator is not running");
    return current;
  };
  beforeAll(async () => {
    current = await startSimulator({ port: 0, delays });
  });
  beforeEach(async () => {
    await sim().admin.reset(defaultSeed);
  });
  afterEach(() => {
    for (const project of projects.splice(0)) project.dispose();
  });
  afterAll(async () => {
    await current?.close();
  });
  return {
    sim,
    keep: <T extends UserProject>(project: T): T => {
      projects.push(project);
      return project;
    },
    /** The sequence number of the newest logged EnOS call. */
    lastSeq: async () => (await sim().admin.requests()).at(-1)?.seq ?? 0,
    /** Mutations logged after `since`, as "endpoint target code". */
    mutations: async (since: number) =>
      (await sim().admin.requests())
        .filter((r) => r.mutation && r.seq > since)
        .map((r) => [r.endpoint, r.pipelineId ?? r.flowId, r.code].filter((v) => v != null).join(" ")),
  };
}
