/**
 * Runs the check of each stack through the Automation API: the user's own `pulumi` CLI and backend, in their
 * project directory. One `pulumi preview --refresh --run-program` per stack: a preview writes no state and calls
 * no mutating provider method, and `--run-program` makes the refresh read EnOS through the providers the program
 * configures from the stack's current config, not the ones recorded in state at the last update.
 */
import { execFile } from "node:child_process";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { EventCollector } from "./collect.js";
import type { StackDrift } from "./model.js";

export interface CheckOptions {
  /** The Pulumi project directory. */
  readonly cwd: string;
  /** Stacks to check; all of the project's when empty. */
  readonly stacks: readonly string[];
  /** At most this many stacks at once. */
  readonly parallel: number;
  /** One progress line about one stack. */
  readonly progress: (stack: string, line: string) => void;
}

/** The project could not be opened at all (no Pulumi.yaml, no CLI, no backend): no stack can be checked. */
export class DriftSetupError extends Error {
  override name = "DriftSetupError";
}

const NO_CLI =
  "no `pulumi` CLI on PATH: install the Pulumi CLI (https://www.pulumi.com/docs/install/) or put it on PATH, then run again";

type Automation = typeof import("@pulumi/pulumi/automation");
type PreviewOptions = import("@pulumi/pulumi/automation").PreviewOptions;

/** The first @pulumi/pulumi whose Automation API passes `runProgram` to `pulumi preview`. */
export const RUN_PROGRAM_SINCE = "3.181.0";

/**
 * Whether the project's @pulumi/pulumi can run the refresh-preview with the stack's current config: older
 * Automation APIs drop `runProgram` without a word, and the check would then read EnOS with the config recorded
 * in state.
 */
export function supportsRunProgram(sdkVersion: string): boolean {
  const parse = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
  const [major = 0, minor = 0, patch = 0] = parse(sdkVersion);
  const [wantMajor = 0, wantMinor = 0, wantPatch = 0] = parse(RUN_PROGRAM_SINCE);
  if (major !== wantMajor) return major > wantMajor;
  return minor !== wantMinor ? minor > wantMinor : patch >= wantPatch;
}

/** The one line of a failed command: its `error:` lines from stderr, or the message's first line. */
export function commandErrorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^error: /.test(l))
    .map((l) => l.slice("error: ".length))
    .filter((l) => !/^(preview|update) failed$/.test(l));
  const first = lines[0] ?? message.split("\n").find((l) => l.trim() !== "") ?? "unknown error";
  return first.replace(/\s+/g, " ").trim();
}

/** The cause of a stack's failure, in one line: what the engine reported, else what the CLI printed. */
function causeOf(errors: readonly string[], error: unknown): string {
  const specific = errors.find((e) => !/^(preview|update) failed$/i.test(e));
  return (specific ?? commandErrorLine(error)).replace(/^(preview|update) failed: /i, "");
}

async function openWorkspace(auto: Automation, cwd: string): Promise<LocalWorkspace> {
  try {
    const ws = await auto.LocalWorkspace.create({ workDir: cwd });
    // `Stack.select` runs `pulumi stack select`, which changes the user's current stack. Every operation passes
    // `--stack` itself, and the names come from `listStacks` (or are checked against it): skip the select.
    ws.selectStack = () => Promise.resolve();
    return ws;
  } catch (error) {
    // The CLI could not be started at all: ENOENT (errno -2), as the Automation API reports it.
    if (/ENOENT|code: -2\b/.test(error instanceof Error ? error.message : String(error)))
      throw new DriftSetupError(NO_CLI);
    throw new DriftSetupError(`cannot open the Pulumi project in ${cwd}: ${commandErrorLine(error)}`);
  }
}

/**
 * The project's stacks, from `pulumi stack ls --json` (what `LocalWorkspace.listStacks` runs). Started before the
 * Automation API is loaded, which takes about half a second of CPU, so the two overlap instead of adding up.
 */
function listStacks(cwd: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile("pulumi", ["stack", "ls", "--json"], { cwd, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const notFound = (error as NodeJS.ErrnoException).code === "ENOENT";
        const cause = `cannot list the stacks: ${commandErrorLine(`${stderr}\n${error.message}`)}`;
        reject(new DriftSetupError(notFound ? NO_CLI : cause));
        return;
      }
      try {
        resolve((JSON.parse(stdout) as { name: string }[]).map((s) => s.name));
      } catch {
        reject(new DriftSetupError("cannot list the stacks: `pulumi stack ls --json` printed no stack list"));
      }
    });
  });
}

async function checkStack(auto: Automation, ws: LocalWorkspace, name: string): Promise<StackDrift> {
  const collector = new EventCollector();
  try {
    const stack = await auto.Stack.select(name, ws);
    // Built apart from the call: SDKs before RUN_PROGRAM_SINCE do not declare `runProgram` (checked at start).
    const options: PreviewOptions & { runProgram: boolean } = {
      refresh: true,
      runProgram: true,
      onEvent: collector.onEvent,
      color: "never",
    };
    await stack.preview(options);
  } catch (error) {
    const cause = causeOf(collector.result().errors, error);
    return {
      stack: name,
      status: "error",
      error: `stack ${name}: ${cause}`,
      otherResources: 0,
      resources: [],
    };
  }
  const { resources, otherResources } = collector.result();
  const drifted = resources.some((r) => r.drift !== "none");
  return { stack: name, status: drifted ? "drift" : "clean", otherResources, resources };
}

function progressLine(result: StackDrift): string {
  if (result.status === "error") return `error: ${result.error ?? ""}`;
  const drifted = result.resources.filter((r) => r.drift !== "none").length;
  const judged = `${result.resources.length} resource${result.resources.length === 1 ? "" : "s"}`;
  return result.status === "clean" ? `clean (${judged})` : `drift in ${drifted} of ${judged}`;
}

/** Runs `work` over `items`, at most `limit` at once, results in the order of `items`. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Checks the stacks; a stack that cannot be checked is an `error` entry, never a thrown error. */
export async function checkStacks(options: CheckOptions): Promise<StackDrift[]> {
  const listing = listStacks(options.cwd);
  listing.catch(() => undefined); // awaited below, after the workspace opened (whose error says more)
  // Loaded only here: the import command and the resource classes never need the Automation API.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const auto = require("@pulumi/pulumi/automation") as Automation;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = (require("@pulumi/pulumi/package.json") as { version: string }).version;
  if (!supportsRunProgram(sdk))
    throw new DriftSetupError(
      `pulumi-enos drift needs @pulumi/pulumi ${RUN_PROGRAM_SINCE} or later in the project (it has ${sdk}): older Automation APIs cannot refresh with the stack's current config. Run \`npm install @pulumi/pulumi@^${RUN_PROGRAM_SINCE}\``,
    );
  const ws = await openWorkspace(auto, options.cwd);
  const known = await listing;
  const names = options.stacks.length > 0 ? [...new Set(options.stacks)] : known;
  return pool(names, options.parallel, async (name) => {
    if (!known.includes(name)) {
      const error = `stack ${name}: no such stack in this project (stacks: ${known.join(", ") || "none"})`;
      return { stack: name, status: "error" as const, error, otherResources: 0, resources: [] };
    }
    options.progress(name, "checking");
    const result = await checkStack(auto, ws, name);
    options.progress(name, progressLine(result));
    return result;
  });
}
