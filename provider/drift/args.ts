import { parseArgs } from "node:util";
import { FORMATS, type Format } from "./render.js";

export const DRIFT_USAGE = `usage: pulumi-enos drift [--cwd <dir>] [--stack <name>]... [--format text|json|markdown|junit]
                         [--out <file>] [--parallel <n>]

Checks every stack of a Pulumi project (or the ones named) for drift between what the program asks of its EnOS
pipelines and flows and what EnOS runs now. Changes nothing: each stack gets one \`pulumi preview --refresh
--run-program\` through the Automation API, with your own pulumi CLI and backend, which writes no state and makes
no EnOS change, and reads EnOS with the stack's current config (enos:apiGateway, keys, org).

  --cwd       the Pulumi project directory (default: the current directory)
  --stack     a stack to check; repeat it for more (default: every stack of the project)
  --format    text: a short summary (the default, unless --out names a .json/.md/.xml file)
              json: the report, {"schemaVersion":1,"generatedAt","summary","stacks":[…]} (docs/drift.md)
              markdown: one table per stack, drifted rows first (a PR comment, $GITHUB_STEP_SUMMARY)
              junit: one <testsuite> per stack, a <failure> per drifted resource, an <error> per failed stack
  --out       write the report to this file instead of stdout (its extension picks the default format)
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

export interface DriftArgs {
  readonly cwd: string | undefined;
  readonly stacks: readonly string[];
  readonly format: Format;
  readonly out: string | undefined;
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
        out: { type: "string" },
        parallel: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new DriftUsageError(error instanceof Error ? error.message : String(error));
  }
}

const BY_EXTENSION: Readonly<Record<string, Format>> = { json: "json", md: "markdown", xml: "junit" };

function formatOf(given: string | undefined, out: string | undefined): Format {
  if (given === undefined) return BY_EXTENSION[out?.split(".").pop()?.toLowerCase() ?? ""] ?? "text";
  if (!(FORMATS as readonly string[]).includes(given)) {
    throw new DriftUsageError(`--format must be one of ${FORMATS.join(", ")} (got ${JSON.stringify(given)})`);
  }
  return given as Format;
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
  for (const name of ["cwd", "out"] as const) {
    if (values[name] === "") throw new DriftUsageError(`--${name} must not be empty`);
  }
  const stacks = values.stack ?? [];
  if (stacks.some((s) => s.trim() === "")) throw new DriftUsageError("--stack must name a stack");
  return {
    cwd: values.cwd,
    stacks,
    format: formatOf(values.format, values.out),
    out: values.out,
    parallel: parallelOf(values.parallel),
  };
}
