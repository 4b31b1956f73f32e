/** What every test in test/cli/ shares: the CLI (or the reason it is skipped) and the user's-project helpers. */
import { locatePulumiCli, type PulumiCli } from "../../tools/pulumi-cli/locate.js";

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
