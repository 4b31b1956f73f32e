import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { EnosConfigError, SETTING_SOURCES, rememberStackConfig, requireSettings } from "../config.js";
import type { ProviderSettings } from "../config.js";

type SettingName = keyof typeof SETTING_SOURCES;

/** The `enos:*` values of a stack file: plain ones, and the names of those stored encrypted (`secure:`). */
export interface StackFileSettings {
  readonly values: Readonly<Record<string, string>>;
  readonly secure: readonly SettingName[];
}

/**
 * Read `enos:*` from a `Pulumi.<stack>.yaml`. A `secure:` value is encrypted with the stack's secrets provider,
 * which only the Pulumi CLI can open, so it is reported by name (and never read or echoed).
 */
export function readStackFile(file: string): StackFileSettings {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new EnosConfigError([
      `--stack-config ${file}: cannot read it as YAML: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    ]);
  }
  const config = (doc as { config?: unknown } | null)?.config;
  if (config === undefined || config === null) return { values: {}, secure: [] };
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new EnosConfigError([`--stack-config ${file}: "config" must be a mapping of keys to values`]);
  }
  const values: Record<string, string> = {};
  const secure: SettingName[] = [];
  for (const [name, source] of Object.entries(SETTING_SOURCES) as [SettingName, { config: string }][]) {
    const value = (config as Record<string, unknown>)[source.config];
    if (typeof value === "string" || typeof value === "number") values[source.config] = String(value);
    else if (typeof value === "object" && value !== null && "secure" in value) secure.push(name);
  }
  return { values, secure };
}

/**
 * Gateway, credentials and defaults: a stack file's plain values first, then ENOS_* variables. Throws
 * EnosConfigError naming every missing key, and for an encrypted one the variable to set instead.
 */
export function resolveSettings(file: string | undefined, env: NodeJS.ProcessEnv): ProviderSettings {
  const stack = file === undefined ? { values: {}, secure: [] } : readStackFile(file);
  rememberStackConfig((key) => stack.values[key]);
  const problems: string[] = [];
  for (const name of stack.secure) {
    const { config, env: variable } = SETTING_SOURCES[name];
    if ((env[variable] ?? "") === "") {
      problems.push(
        `${config} in ${file ?? "the stack file"} is encrypted (secure:) and only the Pulumi CLI can decrypt it: set ${variable} instead`,
      );
    }
  }
  try {
    const settings = requireSettings(env);
    if (problems.length > 0) throw new EnosConfigError(problems);
    return settings;
  } catch (error) {
    if (!EnosConfigError.isInstance(error)) throw error;
    const covered = stack.secure.map((name) => SETTING_SOURCES[name].config);
    const others = error.problems.filter((p) => !covered.some((key) => p.startsWith(`${key} `)));
    throw new EnosConfigError([...new Set([...problems, ...others])]);
  }
}
