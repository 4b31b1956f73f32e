import { parseArgs } from "node:util";
import { FORMATS, type Format } from "./render.js";

export const DRIFT_USAGE = `usage: pulumi-enos drift [--cwd <dir>] [--stack <name>]... [--format text|json|markdown|junit]
                         [--out <file>]... [--parallel <n>]

Checks every stack of a Pulumi project (or the ones named) for drift between what the program asks of its EnOS
pipelines and flows and what EnOS runs now. Changes nothing: each stack gets one \`pulumi preview --refresh
--run-program\` through the Automation API, with your own pulumi CLI and backend, which writes no state and makes
no EnOS change, and reads EnOS with the stack's current config (enos:apiGateway, keys, org).

  --cwd       the Pulumi project directory (default: the current directory)
  --stack     a stack to check; repeat it for more (default: every stack of the project)
  --format    text: a short summary (the default)
              json: the report, {"schemaVersion":1,"generatedAt","summary","stacks":[…]} (docs/drift.md)
              markdown: one table per stack, drifted rows first (a PR comment, $GITHUB_STEP_SUMMARY)
              junit: one <testsuite> per stack, a <failure> per drifted resource, an <error> per failed stack
  --out       write the report to this file instead of stdout, in the format its extension names (.json,
              .md, .xml for JUnit, .txt) or --format; repeat it to write several formats from one check
  --parallel  check at most this many stacks at once (default: all of them)
  -h, --help  show this help

Progress, one line per stack, goes to stderr. Exit codes: 0 no drift, 2 drift, 1 a stack could not be checked
(the others are still reported) or bad usage. Secrets (PULUMI_CONFIG_PASSPHRASE, enos:secretKey) are read by
the pulumi CLI and never appear in the report.
`;

/** A command line that cannot be run; printed with the usage, exit 1. */
export class DriftUsageError extends Error {
  override name = "DriftUsageError";
}

/** Where a report goes: stdout (no file) or a file, and in which format. */
export interface Destination {
  readonly file: string | undefined;
  readonly format: Format;
}

export interface DriftArgs {
  readonly cwd: string | undefined;
  readonly stacks: readonly string[];
  /** Stdout alone, or each --out file. */
  readonly destinations: readonly Destination[];
  readonly parallel: number;
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        cwd: { type: "string" },
        stack: { type: "string", multiple: true },
        format: { type: "string" },
        out: { type: "string", multiple: true },
        parallel: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new DriftUsageError(error instanceof Error ? error.message : String(error));
  }
}

const BY_EXTENSION: Readonly<Record<string, Format>> = {
  json: "json",
  md: "markdown",
  xml: "junit",
  txt: "text",
};

function formatOf(given: string | undefined): Format | undefined {
  if (given === undefined) return undefined;
  if (!(FORMATS as readonly string[]).includes(given)) {
    throw new DriftUsageError(`--format must be one of ${FORMATS.join(", ")} (got ${JSON.stringify(given)})`);
  }
  return given as Format;
}

/** Stdout in --format; one --out in --format or its extension's; several --out each in its extension's. */
function destinationsOf(outs: readonly string[], format: Format | undefined): Destination[] {
  if (outs.length === 0) return [{ file: undefined, format: format ?? "text" }];
  if (outs.some((out) => out === "")) throw new DriftUsageError("--out must not be empty");
  if (outs.length === 1 && format !== undefined) return [{ file: outs[0], format }];
  return outs.map((file) => {
    const byExtension = BY_EXTENSION[file.split(".").pop()?.toLowerCase() ?? ""];
    if (byExtension !== undefined) return { file, format: byExtension };
    if (outs.length === 1) return { file, format: "text" };
    throw new DriftUsageError(
      `--out ${file}: with several --out files, name each .json, .md, .xml (JUnit) or .txt so its format is known`,
    );
  });
}

function parallelOf(given: string | undefined): number {
  if (given === undefined) return Number.MAX_SAFE_INTEGER;
  if (!/^[1-9]\d{0,3}$/.test(given)) {
    throw new DriftUsageError(
      `--parallel must be a whole number from 1 to 9999 (got ${JSON.stringify(given)})`,
    );
  }
  return Number(given);
}

/** `drift …` arguments (after the subcommand), or "help". Throws DriftUsageError naming the bad argument. */
export function parseDriftArgs(argv: readonly string[]): DriftArgs | "help" {
  const { values } = parseFlags(argv);
  if (values.help === true) return "help";
  if (values.cwd === "") throw new DriftUsageError("--cwd must not be empty");
  const stacks = values.stack ?? [];
  if (stacks.some((s) => s.trim() === "")) throw new DriftUsageError("--stack must name a stack");
  return {
    cwd: values.cwd,
    stacks,
    destinations: destinationsOf(values.out ?? [], formatOf(values.format)),
    parallel: parallelOf(values.parallel),
  };
}
