#!/usr/bin/env node
/**
 * `pulumi-enos import`: write resources that adopt an organisation's pipelines (and named flows) as they are
 * now. `pulumi import` cannot import dynamic resources; this is how existing objects are adopted in bulk.
 */
import { writeFileSync } from "node:fs";
import { EnosClient } from "../client/client.js";
import { EnosConfigError } from "../config.js";
import { runDriftCli } from "../drift/cli.js";
import { describeCause } from "../resources/common/errors.js";
import { parseImportArgs, UsageError, USAGE } from "./args.js";
import { planImport, type ImportPlan } from "./plan.js";
import { count, render } from "./render.js";
import { resolveSettings } from "./settings.js";

const PREFIX = "pulumi-enos import";

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function report(plan: ImportPlan, wrote: string): void {
  say(
    `${PREFIX}: ${count(plan.pipelines.length, "pipeline")} and ${count(plan.flows.length, "flow")} of org ${plan.orgId} written to ${wrote}`,
  );
  if (plan.skipped.length > 0) {
    say(`${PREFIX}: skipped ${plan.skipped.length}:`);
    for (const s of plan.skipped) say(`  ${s.kind} ${s.id} ${JSON.stringify(s.name)}: ${s.reason}`);
  }
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseImportArgs(argv);
  if (args === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const settings = resolveSettings(args.stackConfig, env);
  const orgId = args.orgId ?? settings.orgId;
  if (orgId === undefined) throw new UsageError("--org is required (or set enos:orgId / ENOS_ORG_ID)");
  const userId = args.userId ?? settings.userId;
  if (args.flowIds.length > 0 && userId === undefined) {
    throw new UsageError(
      "--flow needs the flow owner: pass --user <userId> (or set enos:userId / ENOS_USER_ID)",
    );
  }
  // Progress for long listings: one line per page from the second page of a listing on.
  let listing = "released";
  let pages = 0;
  const enos = new EnosClient(settings, {
    onCall: (event) => {
      if (event.outcome === "ok" && event.path.endsWith("/pipelines") && ++pages > 1) {
        say(`${PREFIX}: ${listing} pipelines of org ${orgId}: ${pages} pages read`);
      }
    },
  });
  say(`${PREFIX}: listing the pipelines of org ${orgId} at ${settings.apiGateway}`);
  const plan = await planImport(enos, {
    orgId,
    userId,
    flowIds: args.flowIds,
    match: args.match,
    onListing: (next) => {
      listing = next === "released" ? "released" : "design-view";
      pages = 0;
    },
  });
  const text = render(args.format, plan, args.command);
  if (args.out === undefined) {
    await new Promise<void>((resolve) => {
      process.stdout.write(text, () => {
        resolve();
      });
    });
  } else {
    writeFileSync(args.out, text);
  }
  report(plan, args.out ?? "stdout");
  return 0;
}

const argv = process.argv.slice(2);
if (argv[0] === "drift") runDriftCli(argv.slice(1));
else importCli(argv);

function importCli(argv: readonly string[]): void {
  run(argv, process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        say(`${PREFIX}: ${error.message}\n\n${USAGE}`);
        process.exit(2);
      }
      if (EnosConfigError.isInstance(error)) {
        say(`${PREFIX}: cannot reach EnOS:\n  - ${error.problems.join("\n  - ")}`);
        process.exit(2);
      }
      say(`${PREFIX}: failed, nothing was written: ${describeCause(error)}`);
      process.exit(1);
    },
  );
}
