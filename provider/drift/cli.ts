/**
 * `pulumi-enos drift`: checks stacks for drift and reports it (text, JSON, Markdown or JUnit). Exit codes: 0 no
 * drift, 2 drift, 1 a stack could not be checked or the command could not run.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { DRIFT_USAGE, DriftUsageError, parseDriftArgs } from "./args.js";
import { checkStacks, DriftSetupError } from "./check.js";
import { exitCode, summarise } from "./model.js";
import { render } from "./render.js";

const PREFIX = "pulumi-enos drift";

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write(text, () => {
      resolve();
    });
  });
}

async function drift(argv: readonly string[]): Promise<number> {
  const args = parseDriftArgs(argv);
  if (args === "help") {
    await write(DRIFT_USAGE);
    return 0;
  }
  const cwd = path.resolve(args.cwd ?? ".");
  const stacks = await checkStacks({
    cwd,
    stacks: args.stacks,
    parallel: args.parallel,
    progress: (stack, line) => {
      say(`${PREFIX}: ${stack}: ${line}`);
    },
  });
  const report = summarise(stacks, new Date());
  for (const { file, format } of args.destinations) {
    const text = render(format, report);
    if (file === undefined) await write(text);
    else {
      writeFileSync(file, text);
      say(`${PREFIX}: ${format} report written to ${file}`);
    }
  }
  return exitCode(report);
}

/** Runs the `drift` subcommand (argv after `drift`) and exits with its code. */
export function runDriftCli(argv: readonly string[]): void {
  drift(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof DriftUsageError) say(`${PREFIX}: ${error.message}\n\n${DRIFT_USAGE}`);
      else if (error instanceof DriftSetupError) say(`${PREFIX}: ${error.message}`);
      else say(`${PREFIX}: failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
