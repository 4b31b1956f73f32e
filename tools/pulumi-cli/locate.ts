/**
 * Finds the Pulumi CLI the tests, the demo and the bench drive: `pulumi` on PATH (a regular install brings its
 * own language hosts and launchers), else the one `npm run pulumi:install` built into `.pulumi-cli/bin`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** A runnable Pulumi CLI. */
export interface PulumiCli {
  /** The `pulumi` executable. */
  readonly bin: string;
  /** Its directory: put first on PATH so the engine finds the language host and launchers beside it. */
  readonly dir: string;
  /** What `pulumi version` prints, e.g. `v3.248.0`. */
  readonly version: string;
  /** Where it was found. */
  readonly source: "PATH" | ".pulumi-cli";
}

/** The repository root (this file is tools/pulumi-cli/locate.ts, or dist/tools/pulumi-cli/locate.js). */
export const REPO_ROOT = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json")) || path.basename(dir) === "dist") {
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = path.dirname(dir);
  }
  return dir;
})();

/** Where `npm run pulumi:install` links its build. */
export const BUILT_CLI_DIR = path.join(REPO_ROOT, ".pulumi-cli", "bin");

function version(bin: string): string | undefined {
  const result = spawnSync(bin, ["version"], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  const text = result.stdout.trim();
  return result.status === 0 && text !== "" ? text : undefined;
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, "pulumi");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The CLI to use, or undefined when there is none (say so; `npm run pulumi:install` builds one). */
export function locatePulumiCli(): PulumiCli | undefined {
  const candidates: [string | undefined, PulumiCli["source"]][] = [[onPath(), "PATH"]];
  // PULUMI_ENOS_BUILT_CLI=off hides the built one (the demo's test of its no-CLI path uses it).
  if (process.env.PULUMI_ENOS_BUILT_CLI !== "off")
    candidates.push([path.join(BUILT_CLI_DIR, "pulumi"), ".pulumi-cli"]);
  for (const [bin, source] of candidates) {
    if (bin === undefined || !fs.existsSync(bin)) continue;
    const found = version(bin);
    if (found !== undefined) return { bin, dir: path.dirname(bin), version: found, source };
  }
  return undefined;
}

/**
 * The environment for running `cli` against a local file backend: its directory first on PATH, no update
 * checks, no plugin downloads (nothing outside can be reached), passphrase secrets, `--event-log` available.
 */
export function pulumiEnvironment(
  cli: PulumiCli,
  options: { readonly backendDir: string; readonly home: string; readonly passphrase: string },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return {
    ...env,
    PATH: [cli.dir, process.env.PATH ?? ""].join(path.delimiter),
    PULUMI_HOME: options.home,
    PULUMI_BACKEND_URL: `file://${options.backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: options.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // Enables `--event-log` (the engine events as JSON lines), as the Automation API does.
    PULUMI_DEBUG_COMMANDS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    NO_COLOR: "1",
  };
}
