import { parseArgs } from "node:util";
import { FORMATS, type Format } from "./render.js";

export const USAGE = `usage: pulumi-enos import --org <orgId> [--user <userId>] [--flow <flowId>]... [--match <regex>]
                          [--format program|config|json] [--out <file>] [--stack-config <Pulumi.<stack>.yaml>]

Writes Pulumi resources that adopt the pipelines of an EnOS organisation, and the flows you name, as they are
now: deploying them changes nothing in EnOS, and they default to onDelete "KEEP" so a later destroy never
stops or disables them. (\`pulumi import\` does not work for dynamic providers; this is the way to adopt what
you already run.)

  --org           organisation whose pipelines are listed (default: enos:orgId or ENOS_ORG_ID)
  --user          the flow owner the flows are read as (default: enos:userId or ENOS_USER_ID); needed with --flow
  --flow          id of a batch-processing flow to import; repeat it for more
  --match         import only pipelines whose id or name matches this regular expression
  --format        program (default): TypeScript for an index.ts
                  config: a Pulumi.<stack>.yaml for the root promotion program (pulumi-enos:pipelines/flows)
                  json: {"resources":[{"type","name","inputs"}],"skipped":[...]}
  --out           write to this file instead of stdout
  --stack-config  read enos:apiGateway, enos:accessKey, enos:secretKey, enos:orgId, enos:userId from a stack
                  file; an encrypted (secure:) value cannot be read: set its environment variable instead
  -h, --help      show this help

Gateway and credentials: ENOS_API_GATEWAY, ENOS_ACCESS_KEY, ENOS_SECRET_KEY (and ENOS_USER_ID), or
--stack-config. Progress, the summary and skipped objects (never released, in transition, in error) go to
stderr. Exit codes: 0 done, 1 EnOS failed (nothing written), 2 bad usage or settings.

\`pulumi-enos drift --help\`: the drift report of every stack of a project.
`;

/** A command line that cannot be run; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface ImportArgs {
  readonly orgId: string | undefined;
  readonly userId: string | undefined;
  readonly flowIds: readonly number[];
  readonly match: RegExp | undefined;
  readonly format: Format;
  readonly out: string | undefined;
  readonly stackConfig: string | undefined;
  /** The command as a person would retype it (no secrets: none are taken as arguments), for the header. */
  readonly command: string;
}

/** The flags and positionals, strictly: an unknown flag or a missing value is a UsageError. */
function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        org: { type: "string" },
        user: { type: "string" },
        flow: { type: "string", multiple: true },
        match: { type: "string" },
        format: { type: "string" },
        out: { type: "string" },
        "stack-config": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** `--flow`: an EnOS flow id, a positive 32-bit whole number. */
function flowIdOf(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 2_147_483_647) {
    throw new UsageError(`--flow must be a flow id, a positive whole number (got ${JSON.stringify(text)})`);
  }
  return Number(text);
}

/** `--match`: a regular expression over pipeline ids and names. */
function matchOf(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    throw new UsageError(
      `--match is not a regular expression: ${error instanceof Error ? error.message : ""}`,
    );
  }
}

/** `import …` arguments (the subcommand first), or "help". Throws UsageError naming the bad argument. */
export function parseImportArgs(argv: readonly string[]): ImportArgs | "help" {
  const { values, positionals } = parseFlags(argv);
  if (values.help === true) return "help";
  if (positionals[0] !== "import" || positionals.length > 1) {
    const got = positionals.length === 0 ? "no command" : `"${positionals.join(" ")}"`;
    throw new UsageError(`the commands are \`import\` and \`drift\` (got ${got})`);
  }
  const format = values.format ?? "program";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")} (got ${JSON.stringify(format)})`);
  }
  const flowIds = (values.flow ?? []).map(flowIdOf);
  const match = values.match === undefined ? undefined : matchOf(values.match);
  const nonEmpty = (name: string, value: string | undefined): string | undefined => {
    if (value === "") throw new UsageError(`--${name} must not be empty`);
    return value;
  };
  return {
    orgId: nonEmpty("org", values.org),
    userId: nonEmpty("user", values.user),
    flowIds,
    match,
    format: format as Format,
    out: nonEmpty("out", values.out),
    stackConfig: nonEmpty("stack-config", values["stack-config"]),
    command: commandLine(argv),
  };
}

function commandLine(argv: readonly string[]): string {
  const shown = argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`));
  return ["pulumi-enos", ...shown].join(" ");
}
