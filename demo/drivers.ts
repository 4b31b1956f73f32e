/**
 * Two ways to run the same Pulumi steps on the demo stack:
 * - `CliDriver`: the real `pulumi` CLI through the Automation API (LocalWorkspace, a `file://` backend in a
 *   temporary directory, passphrase secrets), in a temporary project that has pulumi-enos "installed".
 * - `HarnessDriver`: without the CLI, the engine-boundary harness (test/host) plays the engine against the SDK's
 *   own dynamic-provider host, so the provider code, its serialisation and the gRPC boundary are still real.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { pulumiEnvironment, type PulumiCli } from "../tools/pulumi-cli/locate.js";
import { Engine, type VerbResult } from "../test/host/engine.js";
import { PROJECT, type DemoStack } from "./environment.js";

export const PIPELINE_TYPE = "pulumi-nodejs:dynamic/enos:EnosPipelineDeployment";
export const FLOW_TYPE = "pulumi-nodejs:dynamic/enos:EnosFlowSchedule";
const PROGRAM = path.join("dist", "program", "index.js");

/** The provider's one-line plan messages, e.g. "demo-pipeline-1 is STOPPED, desired RUNNING: will start". */
const PLAN_LINE = /\S.* is \S+, desired \S+: will .*/;

/** What a step did. */
export interface StepOutcome {
  readonly ok: boolean;
  /** Why it failed (the engine's or provider's words), when it did. */
  readonly error?: string;
  /** Resource operations by kind (create, update, same, delete, replace), the stack resource left out. */
  readonly ops: Readonly<Record<string, number>>;
  /** The provider's plan messages, in order, without duplicates. */
  readonly messages: readonly string[];
}

/** What `pulumi-enos drift` printed, and its exit code (0 no drift, 2 drift, 1 a stack not checked). */
export interface DriftOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A resource in the Pulumi state. */
export interface StateResource {
  readonly name: string;
  readonly type: string;
  readonly outputs: Readonly<Record<string, unknown>>;
}

export interface Driver {
  /** `pulumi up` (with `--refresh` when asked). */
  up(options?: { refresh?: boolean }): Promise<StepOutcome>;
  /** `pulumi preview --refresh`: reads EnOS, plans, changes nothing and writes no state. */
  previewRefresh(): Promise<StepOutcome>;
  /** `pulumi destroy`. */
  destroy(): Promise<StepOutcome>;
  /** The resources in the stack's state. */
  state(): Promise<readonly StateResource[]>;
  /** `pulumi-enos drift --format markdown` in the project (only with the real CLI: it drives the user's own). */
  drift?(): Promise<DriftOutcome>;
  /** Removes everything the driver created on disk. */
  dispose(): Promise<void>;
}

/**
 * The provider's plan lines, each once. The engine's diagnostic events come first; the CLI's own output repeats
 * them behind its progress prefix (`~  pulumi:pulumi:Stack … refreshing <message>`), which is dropped.
 */
function planMessages(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    for (const part of line.split(/\r?\n/)) {
      const message = PLAN_LINE.exec(part)?.[0].trim();
      if (message && !out.some((seen) => message.endsWith(seen))) out.push(message);
    }
  }
  return out;
}

const nameOf = (urn: string): string => urn.split("::").pop() ?? urn;

// ---------------------------------------------------------------------------------------------------------------
// Engine-boundary harness

/** Runs the steps through test/host's Engine: one fresh dynamic-provider host per verb, state in a JSON file. */
export class HarnessDriver implements Driver {
  private readonly engine: Engine;
  private readonly stateFile: string;

  constructor(
    private readonly dir: string,
    stack: DemoStack,
  ) {
    this.stateFile = path.join(dir, "dev.json");
    this.engine = new Engine({
      stateFile: this.stateFile,
      project: PROJECT,
      stack: "dev",
      config: stack.config,
      secretKeys: stack.secretKeys,
    });
  }

  static create(stack: DemoStack): HarnessDriver {
    return new HarnessDriver(fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-demo-")), stack);
  }

  private static outcome(results: readonly VerbResult[], planFrom?: VerbResult): StepOutcome {
    const errors = results.flatMap((r) => r.errors);
    const last = results.at(-1);
    const ops: Record<string, number> = {};
    for (const step of last?.steps ?? []) {
      const op = step.op === "delete-replaced" ? "delete" : step.op;
      ops[op] = (ops[op] ?? 0) + 1;
    }
    const outcome = { ops, messages: planMessages((planFrom ?? last)?.logs ?? []) };
    if (errors.length === 0) return { ok: true, ...outcome };
    const error = errors
      .map((e) => `${e.urn ? `${nameOf(e.urn)}: ` : ""}${e.message}`)
      .join("\n")
      .trim();
    return { ok: false, error, ...outcome };
  }

  async up(options: { refresh?: boolean } = {}): Promise<StepOutcome> {
    const results: VerbResult[] = [];
    if (options.refresh) {
      const refreshed = await this.engine.refresh();
      if (refreshed.errors.length > 0) return HarnessDriver.outcome([refreshed]);
      results.push(refreshed);
    }
    results.push(await this.engine.up(PROGRAM));
    return HarnessDriver.outcome(results);
  }

  async previewRefresh(): Promise<StepOutcome> {
    // `pulumi preview --refresh` refreshes in memory only: keep the checkpoint as it was.
    const saved = fs.existsSync(this.stateFile) ? fs.readFileSync(this.stateFile) : undefined;
    try {
      const refreshed = await this.engine.refresh();
      if (refreshed.errors.length > 0) return HarnessDriver.outcome([refreshed]);
      const preview = await this.engine.preview(PROGRAM);
      return HarnessDriver.outcome([refreshed, preview], preview);
    } finally {
      if (saved) fs.writeFileSync(this.stateFile, saved);
    }
  }

  async destroy(): Promise<StepOutcome> {
    return HarnessDriver.outcome([await this.engine.destroy()]);
  }

  state(): Promise<readonly StateResource[]> {
    return Promise.resolve(
      this.engine
        .state()
        .resources.filter((r) => !r.delete)
        .map((r) => ({ name: nameOf(r.urn), type: r.type, outputs: r.outputs })),
    );
  }

  dispose(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
    return Promise.resolve();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Real Pulumi CLI

/** Runs the steps with the real Pulumi CLI through the Automation API. */
export class CliDriver implements Driver {
  private constructor(
    private readonly dir: string,
    private readonly stack: Stack,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  /**
   * A throwaway Pulumi project whose node_modules has pulumi-enos (this repository) and @pulumi/pulumi, and whose
   * main loads the root program; state in a `file://` backend in the same temporary directory.
   */
  static async create(repoRoot: string, demo: DemoStack, cli: PulumiCli): Promise<CliDriver> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-demo-"));
    try {
      const project = path.join(dir, "project");
      const backend = path.join(dir, "state");
      fs.mkdirSync(path.join(project, "node_modules"), { recursive: true });
      fs.mkdirSync(backend);
      fs.mkdirSync(path.join(dir, "home"));
      fs.symlinkSync(repoRoot, path.join(project, "node_modules", "pulumi-enos"), "dir");
      fs.symlinkSync(
        path.join(repoRoot, "node_modules", "@pulumi"),
        path.join(project, "node_modules", "@pulumi"),
        "dir",
      );
      fs.writeFileSync(
        path.join(project, "package.json"),
        JSON.stringify({ name: "pulumi-enos-demo", private: true }),
      );
      fs.writeFileSync(
        path.join(project, "index.js"),
        `module.exports = require(${JSON.stringify(path.join(repoRoot, PROGRAM))});\n`,
      );
      const env = pulumiEnvironment(cli, {
        backendDir: backend,
        home: path.join(dir, "home"),
        passphrase: "pulumi-enos-demo",
      });
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "dev", workDir: project },
        {
          projectSettings: {
            name: PROJECT,
            runtime: { name: "nodejs", options: { typescript: false } },
            main: "index.js",
          },
          envVars: env,
          secretsProvider: "passphrase",
          pulumiCommand: await PulumiCommand.get({ root: path.dirname(cli.dir), skipVersionCheck: true }),
        },
      );
      const secrets = new Set(demo.secretKeys);
      await stack.setAllConfig(
        Object.fromEntries(
          Object.entries(demo.config).map(([key, value]) => [key, { value, secret: secrets.has(key) }]),
        ),
      );
      return new CliDriver(dir, stack, env);
    } catch (error) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private async run(
    verb: (onEvent: (e: EngineEvent) => void) => Promise<{ stdout: string }>,
  ): Promise<StepOutcome> {
    const ops: Record<string, number> = {};
    const lines: string[] = [];
    const onEvent = (event: EngineEvent): void => {
      const meta = event.resourcePreEvent?.metadata;
      if (meta && meta.type !== "pulumi:pulumi:Stack" && !meta.type.startsWith("pulumi:providers:")) {
        const op =
          meta.op === "create-replacement"
            ? "replace"
            : meta.op === "delete-replaced"
              ? undefined
              : meta.op === "refresh" || meta.op === "read"
                ? undefined
                : meta.op;
        if (op) ops[op] = (ops[op] ?? 0) + 1;
      }
      if (event.diagnosticEvent) lines.push(event.diagnosticEvent.message);
    };
    try {
      const result = await verb(onEvent);
      return { ok: true, ops, messages: planMessages([...lines, result.stdout]) };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const relevant = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => /error/i.test(l));
      return {
        ok: false,
        error: (relevant.length > 0 ? relevant.slice(0, 8) : text.split(/\r?\n/).slice(-8)).join("\n"),
        ops,
        messages: planMessages(lines),
      };
    }
  }

  up(options: { refresh?: boolean } = {}): Promise<StepOutcome> {
    return this.run((onEvent) =>
      this.stack.up({ color: "never", refresh: options.refresh ?? false, onEvent }),
    );
  }

  previewRefresh(): Promise<StepOutcome> {
    return this.run((onEvent) => this.stack.preview({ color: "never", refresh: true, onEvent }));
  }

  destroy(): Promise<StepOutcome> {
    return this.run((onEvent) => this.stack.destroy({ color: "never", onEvent }));
  }

  drift(): Promise<DriftOutcome> {
    const project = path.join(this.dir, "project");
    const bin = path.join(project, "node_modules", "pulumi-enos", "dist", "provider", "import", "cli.js");
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [bin, "drift", "--format", "markdown"],
        { cwd: project, env: this.env },
        (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
        },
      );
    });
  }

  async state(): Promise<readonly StateResource[]> {
    const exported = await this.stack.exportStack();
    const deployment = exported.deployment as
      | { resources?: { urn: string; type: string; outputs?: Record<string, unknown>; delete?: boolean }[] }
      | undefined;
    return (deployment?.resources ?? [])
      .filter((r) => !r.delete && r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"))
      .map((r) => ({ name: nameOf(r.urn), type: r.type, outputs: r.outputs ?? {} }));
  }

  dispose(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
    return Promise.resolve();
  }
}
