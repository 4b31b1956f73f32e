/**
 * The real Pulumi CLI in a user's project: pulumi-enos packed with `npm pack` and installed with `npm install`,
 * a `file://` backend and passphrase secrets in a temporary directory, and every verb run as the `pulumi`
 * command a person types (so it can be killed like one). Used by test/cli and the bench.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pulumiEnvironment, REPO_ROOT, type PulumiCli } from "./locate.js";

const REPO = REPO_ROOT;
export const PASSPHRASE = "cli-story-passphrase";

/** `npm pack` of the built repository, once per process, into a directory removed when the process exits. */
let packed: string | undefined;
export function packOnce(): string {
  if (packed && fs.existsSync(packed)) return packed;
  const into = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-pack-"));
  process.once("exit", () => {
    fs.rmSync(into, { recursive: true, force: true });
  });
  const result = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", into, "--json"], {
    cwd: REPO,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`npm pack failed:\n${result.stderr}`);
  const [info] = JSON.parse(result.stdout) as { filename: string }[];
  if (!info) throw new Error(`npm pack printed no file:\n${result.stdout}`);
  packed = path.join(into, info.filename);
  return packed;
}

/** The version of a package the repository's lockfile installs (the SDK, the policy library). */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`package-lock.json has no ${name}`);
  return version;
}

/**
 * node_modules for a user's project: the packed pulumi-enos, the locked @pulumi/pulumi and any `extra` packages
 * (name → version), installed by npm from its cache. Installed once per tarball content and package list into
 * the temp dir and shared (read-only) by the projects.
 */
function installedModules(extra: Readonly<Record<string, string>>): string {
  const tarball = packOnce();
  const dependencies = { "@pulumi/pulumi": lockedVersion("@pulumi/pulumi"), ...extra };
  const key = createHash("sha256")
    .update(fs.readFileSync(tarball))
    .update(JSON.stringify(dependencies))
    .digest("hex")
    .slice(0, 12);
  const dir = path.join(os.tmpdir(), `pulumi-enos-cli-modules-${key}`);
  if (fs.existsSync(path.join(dir, "node_modules", "pulumi-enos", "package.json"))) return dir;
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const manifest = {
    name: "enos-user-project",
    private: true,
    dependencies: { "pulumi-enos": `file:${tarball}`, ...dependencies },
  };
  fs.writeFileSync(path.join(staging, "package.json"), JSON.stringify(manifest, null, 2));
  const install = spawnSync(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
    {
      cwd: staging,
      encoding: "utf8",
    },
  );
  if (install.status !== 0) throw new Error(`npm install in a user project failed:\n${install.stderr}`);
  try {
    fs.renameSync(staging, dir);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another worker finished first: use theirs
  }
  return dir;
}

/** A plain JavaScript Pulumi project's package.json and Pulumi.yaml, in a new directory. */
function writeJavaScriptProject(dir: string, name: string): void {
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, main: "index.js" }));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`,
  );
}

/** What one `pulumi` command did. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The engine events of `--event-log` (up/preview/refresh/destroy). */
  readonly events: readonly EngineEvent[];
}

/** The parts of Pulumi's engine events the tests read. */
export interface EngineEvent {
  readonly diagnosticEvent?: { readonly message: string; readonly severity: string; readonly urn?: string };
  readonly resOutputsEvent?: { readonly metadata: { readonly op: string; readonly urn: string } };
  readonly resOpFailedEvent?: { readonly metadata: { readonly op: string; readonly urn: string } };
  readonly summaryEvent?: { readonly resourceChanges: Readonly<Record<string, number>> };
}

/** A resource of `pulumi stack export`. */
export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  readonly initErrors?: string[];
}

/** A user's Pulumi project in a temp directory, with pulumi-enos installed and one stack. */
export class UserProject {
  readonly dir: string;
  /** The stack the commands operate on; {@link use} switches it (a project may have several). */
  stack: string;
  private readonly root: string;
  private readonly env: Record<string, string>;
  private running: ChildProcess | undefined;
  private commands = 0;

  /**
   * @param program the program's files (index.js at least), written into the project
   * @param options.modules `"shared"` links the shared install; `"copy"` copies it, so a test may change the
   *   installed pulumi-enos; `"none"` installs nothing (the test runs npm itself)
   * @param options.dependencies packages the user installs beside pulumi-enos and @pulumi/pulumi (name → version)
   * @param options.source a Pulumi project directory copied as it is (its own Pulumi.yaml, package.json, …)
   *   instead of the generated JavaScript project
   */
  constructor(
    readonly cli: PulumiCli,
    program: Readonly<Record<string, string>>,
    options: {
      readonly stack?: string;
      readonly name?: string;
      readonly modules?: "shared" | "copy" | "none";
      readonly dependencies?: Readonly<Record<string, string>>;
      readonly source?: string;
      /** Another stack of that project: same directory, backend and Pulumi home (see `anotherStack`). */
      readonly sameProjectAs?: UserProject;
    } = {},
  ) {
    this.stack = options.stack ?? "dev";
    const base = options.sameProjectAs;
    if (base) {
      this.root = base.root;
      this.dir = base.dir;
      this.env = base.env;
      return;
    }
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-cli-"));
    this.dir = path.join(this.root, "project");
    fs.mkdirSync(path.join(this.root, "state"));
    fs.mkdirSync(path.join(this.root, "home"));
    if (options.source === undefined) writeJavaScriptProject(this.dir, options.name ?? "enos-user-project");
    else
      fs.cpSync(options.source, this.dir, {
        recursive: true,
        filter: (f) => path.basename(f) !== "node_modules",
      });
    if (options.modules !== "none") {
      const modules = path.join(installedModules(options.dependencies ?? {}), "node_modules");
      if (options.modules === "copy") copyPulumiEnos(modules, path.join(this.dir, "node_modules"));
      else fs.symlinkSync(modules, path.join(this.dir, "node_modules"), "dir");
    }
    for (const [file, text] of Object.entries(program)) fs.writeFileSync(path.join(this.dir, file), text);
    this.env = pulumiEnvironment(cli, {
      backendDir: path.join(this.root, "state"),
      home: path.join(this.root, "home"),
      passphrase: PASSPHRASE,
    });
  }

  /** A second stack of this project (`init` it before use); disposing of either removes both. */
  anotherStack(stack: string): UserProject {
    return new UserProject(this.cli, {}, { stack, sameProjectAs: this });
  }

  /** Replaces the program's files (a refactor of the user's program). */
  writeProgram(program: Readonly<Record<string, string>>): void {
    for (const [file, text] of Object.entries(program)) fs.writeFileSync(path.join(this.dir, file), text);
  }

  /** Operate on another stack of this project from now on (`init` creates it). */
  use(stack: string): this {
    this.stack = stack;
    return this;
  }

  /** The environment every command runs with (file backend, Pulumi home, passphrase), for other tools. */
  get environment(): Record<string, string> {
    return { ...this.env };
  }

  /** The installed pulumi-enos (a copy with `modules: "copy"`). */
  get installedPackage(): string {
    return path.join(this.dir, "node_modules", "pulumi-enos");
  }

  /** `pulumi stack init` with passphrase secrets, then the stack's config (secrets set with `--secret`). */
  async init(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>> = {}) {
    await this.ok(["stack", "init", this.stack, "--secrets-provider", "passphrase"]);
    await this.setConfig(config, secrets);
  }

  /**
   * Sets stack config with `pulumi config set-all --json`: strings as they are, lists and maps as structured
   * values (as in Pulumi.<stack>.yaml), `secrets` encrypted.
   */
  async setConfig(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>> = {}) {
    const values: Record<string, { value: string; objectValue?: unknown; secret: boolean }> = {};
    for (const [key, value] of Object.entries(config))
      values[key] =
        typeof value === "string"
          ? { value, secret: false }
          : { value: JSON.stringify(value), objectValue: value, secret: false };
    for (const [key, value] of Object.entries(secrets)) values[key] = { value, secret: true };
    await this.ok(["config", "set-all", "--stack", this.stack, "--json", JSON.stringify(values)]);
  }

  /** Runs `pulumi <args>` in the project; never throws for a non-zero exit (see `ok`). */
  run(
    args: readonly string[],
    options: {
      readonly onSpawn?: (child: ChildProcess) => void;
      /** Extra environment for this command only (another machine's `ENOS_*` variables, say). */
      readonly env?: Readonly<Record<string, string>>;
    } = {},
  ): Promise<CliResult> {
    const eventLog = path.join(this.root, `events-${this.stack}-${++this.commands}.jsonl`);
    const verb = args[0] ?? "";
    const withEvents = ["up", "preview", "refresh", "destroy"].includes(verb)
      ? [...args, "--event-log", eventLog, "--stack", this.stack, "--non-interactive", "--color", "never"]
      : args;
    return new Promise((resolve, reject) => {
      const child = spawn(this.cli.bin, withEvents, {
        cwd: this.dir,
        env: { ...this.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.running = child;
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += String(chunk)));
      child.stderr.on("data", (chunk) => (stderr += String(chunk)));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        this.running = undefined;
        resolve({
          code,
          signal,
          stdout: stripAnsi(stdout),
          stderr: stripAnsi(stderr),
          events: readEvents(eventLog),
        });
      });
      options.onSpawn?.(child);
    });
  }

  /** Runs `pulumi <args>` and throws with its output unless it exits 0. */
  async ok(args: readonly string[]): Promise<CliResult> {
    const result = await this.run(args);
    if (result.code !== 0)
      throw new Error(
        `pulumi ${args.join(" ")} exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`,
      );
    return result;
  }

  up(...extra: string[]): Promise<CliResult> {
    return this.run(["up", "--yes", "--skip-preview", ...extra]);
  }

  preview(...extra: string[]): Promise<CliResult> {
    return this.run(["preview", ...extra]);
  }

  refresh(...extra: string[]): Promise<CliResult> {
    return this.run(["refresh", "--yes", "--skip-preview", ...extra]);
  }

  destroy(...extra: string[]): Promise<CliResult> {
    return this.run(["destroy", "--yes", "--skip-preview", ...extra]);
  }

  /** `pulumi stack export`: the checkpoint as the CLI writes it (secrets stay encrypted). */
  async exportState(): Promise<{ text: string; resources: StateResource[]; pendingOperations: unknown[] }> {
    const { stdout } = await this.ok(["stack", "export", "--stack", this.stack]);
    const parsed = JSON.parse(stdout) as {
      deployment?: { resources?: StateResource[]; pending_operations?: unknown[] };
    };
    return {
      text: stdout,
      resources: parsed.deployment?.resources ?? [],
      pendingOperations: parsed.deployment?.pending_operations ?? [],
    };
  }

  /**
   * The file backend's checkpoint of this stack (`.pulumi/stacks/<project>/<stack>.json`, under an
   * `organization/` folder in newer layouts). The CLI backs the previous one up beside it as `.json.bak`.
   */
  checkpointFile(): string {
    const stacks = path.join(this.root, "state", ".pulumi", "stacks");
    const found = fs
      .readdirSync(stacks, { recursive: true, encoding: "utf8" })
      .find((f) => path.basename(f) === `${this.stack}.json`);
    if (found === undefined) throw new Error(`no checkpoint of stack ${this.stack} under ${stacks}`);
    return path.join(stacks, found);
  }

  /** Outputs of the resource named `name` in the exported state. */
  async outputs(name: string): Promise<Record<string, unknown>> {
    const { resources } = await this.exportState();
    return resources.find((r) => r.urn.endsWith(`::${name}`))?.outputs ?? {};
  }

  /** Kills a running command (if any) and removes the project, its state and its Pulumi home. */
  dispose(): void {
    this.running?.kill("SIGKILL");
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** node_modules with its own copy of pulumi-enos (free to change) and every other package linked to `shared`. */
function copyPulumiEnos(shared: string, into: string): void {
  fs.mkdirSync(into);
  for (const entry of fs.readdirSync(shared)) {
    if (entry === "pulumi-enos")
      fs.cpSync(path.join(shared, entry), path.join(into, entry), { recursive: true });
    else fs.symlinkSync(path.join(shared, entry), path.join(into, entry));
  }
}

/** The CLI colours some error lines even with `--color never`. */
// eslint-disable-next-line no-control-regex -- the escape character is exactly what is matched
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "");

function readEvents(file: string): EngineEvent[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as EngineEvent];
      } catch {
        return []; // a line cut short by a killed process
      }
    });
}

/**
 * Resource operations of a run, e.g. `["create ingest", "update nightly"]`, sorted; `same`, the stack and the
 * default provider left out.
 */
export function operations(result: CliResult): string[] {
  return result.events
    .flatMap((e) => (e.resOutputsEvent ? [e.resOutputsEvent.metadata] : []))
    .filter(
      (m) =>
        m.op !== "same" &&
        !m.urn.includes("::pulumi:pulumi:Stack::") &&
        !m.urn.includes("::pulumi:providers:"),
    )
    .map((m) => `${m.op} ${m.urn.split("::").pop() ?? ""}`)
    .sort();
}

/** The diagnostic messages of a run above debug level (the provider's console output, the engine's errors). */
export function diagnostics(result: CliResult): string {
  return result.events
    .flatMap((e) =>
      e.diagnosticEvent && e.diagnosticEvent.severity !== "debug" ? [e.diagnosticEvent.message] : [],
    )
    .join("");
}

/** The program of the root promotion project (dist/program), as files for a user's project. */
export function promotionProgram(): Record<string, string> {
  const dir = path.join(REPO, "dist", "program");
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((file) => file.endsWith(".js"))
      .map((file) => [file, fs.readFileSync(path.join(dir, file), "utf8")]),
  );
}
