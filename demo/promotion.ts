/**
 * The demo's promotion step (real CLI only: stack references need the engine): a staging and a prod stack of the
 * root program, each with its own simulator. staging runs a release healthy and prod takes it; then a release
 * that fails its health check in staging is refused for prod at preview, with the reason, and no call to prod's
 * EnOS. docs/promotion.md describes the gate.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { defaultSeed, startSimulator, type RunningSimulator } from "../simulator/index.js";
import { pulumiEnvironment, type PulumiCli } from "../tools/pulumi-cli/locate.js";
import type { EnosEvidence } from "../provider/promotion/evidence.js";
import { PROJECT } from "./environment.js";

const PROGRAM = path.join("dist", "program", "index.js");
const PIPELINE = "demo-pipeline-2";
const entry = (releaseTrigger: string) => ({
  name: "enrich-alarms",
  pipelineId: PIPELINE,
  releaseTrigger,
  healthCheck: { stableFor: "1s", maxLag: 500 },
});

interface Environments {
  readonly staging: Stack;
  readonly prod: Stack;
  readonly simStaging: RunningSimulator;
  readonly simProd: RunningSimulator;
}

/** Two stacks of one project in `dir` (file backend), each pointed at its own simulator. */
async function openEnvironments(repoRoot: string, dir: string, cli: PulumiCli, sims: RunningSimulator[]) {
  const project = path.join(dir, "promotion");
  fs.mkdirSync(path.join(project, "node_modules"), { recursive: true });
  fs.mkdirSync(path.join(dir, "promotion-state"));
  fs.symlinkSync(repoRoot, path.join(project, "node_modules", "pulumi-enos"), "dir");
  fs.symlinkSync(
    path.join(repoRoot, "node_modules", "@pulumi"),
    path.join(project, "node_modules", "@pulumi"),
  );
  fs.writeFileSync(
    path.join(project, "index.js"),
    `module.exports = require(${JSON.stringify(path.join(repoRoot, PROGRAM))});\n`,
  );
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(cli.dir), skipVersionCheck: true });
  const envVars = pulumiEnvironment(cli, {
    backendDir: path.join(dir, "promotion-state"),
    home: path.join(dir, "home"),
    passphrase: "pulumi-enos-demo",
  });
  const open = async (stackName: string, sim: RunningSimulator) => {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName, workDir: project },
      {
        projectSettings: {
          name: PROJECT,
          runtime: { name: "nodejs", options: { typescript: false } },
          main: "index.js",
        },
        envVars,
        secretsProvider: "passphrase",
        pulumiCommand,
      },
    );
    await stack.setAllConfig({
      "enos:apiGateway": { value: sim.url },
      "enos:accessKey": { value: "demo-access-key" },
      "enos:secretKey": { value: "demo-secret-key", secret: true },
      "enos:orgId": { value: "o-demo" },
    });
    return stack;
  };
  const [simStaging, simProd] = sims as [RunningSimulator, RunningSimulator];
  return {
    staging: await open("staging", simStaging),
    prod: await open("prod", simProd),
    simStaging,
    simProd,
  };
}

const setPipelines = (stack: Stack, releaseTrigger: string) =>
  stack.setConfig(`${PROJECT}:pipelines`, { value: JSON.stringify([entry(releaseTrigger)]) });

async function enos(stack: Stack): Promise<EnosEvidence | undefined> {
  return (await stack.outputs()).enos?.value as EnosEvidence | undefined;
}

/** Runs the promotion step, printing with `out`; throws naming what did not happen as it should. */
export async function runPromotion(
  repoRoot: string,
  dir: string,
  cli: PulumiCli,
  out: (line?: string) => void,
): Promise<void> {
  const sims = [
    await startSimulator({
      port: 0,
      seed: defaultSeed,
      delays: { start: 300, pause: 100, stop: 100, release: 100 },
    }),
  ];
  try {
    sims.push(
      await startSimulator({
        port: 0,
        seed: defaultSeed,
        delays: { start: 300, pause: 100, stop: 100, release: 100 },
      }),
    );
    const env = await openEnvironments(repoRoot, dir, cli, sims);
    await promoteHealthy(env, out);
    await refuseUnhealthy(env, out);
  } finally {
    for (const sim of sims) await sim.close();
  }
}

async function promoteHealthy(env: Environments, out: (line?: string) => void): Promise<void> {
  for (const sim of [env.simStaging, env.simProd]) await sim.admin.saveDraft(PIPELINE);
  await setPipelines(env.staging, "2026.11.3");
  await env.staging.up({ color: "never" });
  const judged = (await enos(env.staging))?.pipelines["enrich-alarms"]?.health;
  out(
    `  staging: pulumi up released 2026.11.3 and its health check judged it ${judged?.verdict ?? "(none)"}`,
  );
  if (judged?.verdict !== "HEALTHY") throw new Error("staging did not judge 2026.11.3 HEALTHY");
  await setPipelines(env.prod, "2026.11.3");
  await env.prod.setConfig(`${PROJECT}:promotion`, {
    value: JSON.stringify({ from: "staging", soak: "0s" }),
  });
  await env.prod.up({ color: "never" });
  const provenance = (await enos(env.prod))?.pipelines["enrich-alarms"]?.promotedFrom;
  if (!provenance) throw new Error("prod took 2026.11.3 without recording where it came from");
  out(
    `  prod (promotion from staging, soak 0s for the demo): pulumi up took it; enos.promotedFrom = ${provenance.stack} ${provenance.releaseTrigger} ${provenance.verdict} at ${provenance.checkedAt}`,
  );
}

async function refuseUnhealthy(env: Environments, out: (line?: string) => void): Promise<void> {
  await env.simStaging.admin.saveDraft(PIPELINE);
  await env.simStaging.admin.addFault({
    kind: "lagGrowth",
    lagPerSecond: 5000,
    match: { pipelineId: PIPELINE },
  });
  await setPipelines(env.staging, "2026.11.4");
  const failed = await env.staging.up({ color: "never" }).then(
    () => false,
    () => true,
  );
  if (!failed) throw new Error("staging's up of the lagging release 2026.11.4 did not fail its health check");
  await env.staging.up({ color: "never" }).catch(() => undefined); // a retry publishes what staging now holds
  out("  staging: 2026.11.4 failed its health check (lag growing past maxLag 500)");
  await setPipelines(env.prod, "2026.11.4");
  const mark = (await env.simProd.admin.requests()).at(-1)?.seq ?? 0;
  const refusal = await env.prod.preview({ color: "never" }).then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  const reasons = (refusal ?? "").split("\n").filter((l) => /^\s+enrich-alarms: 2026\.11\.4/.test(l));
  if (reasons.length === 0) throw new Error("prod's preview did not refuse 2026.11.4");
  const calls = (await env.simProd.admin.requests()).filter((r) => r.seq > mark).length;
  if (calls > 0) throw new Error(`prod's refused preview made ${calls} EnOS calls`);
  out("  prod: pulumi preview refused it before any EnOS call:");
  for (const line of [...new Set(reasons.map((l) => l.trim()))]) out(`    ${line}`);
}
