/**
 * The demo's stack: the `dev` stack exactly as `Pulumi.dev.yaml` describes it, pointed at the simulator the
 * demo started, with the app's secret key added as a secret (it is never written in the stack file).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseEnvironment, type EnvironmentConfig } from "../program/environment.js";
import { parse } from "yaml";

/** The root Pulumi project's name (Pulumi.yaml), which is also the namespace of its own config keys. */
export const PROJECT = "pulumi-enos";

/**
 * The `config:` of a stack file as the engine hands it to a program (`PULUMI_CONFIG`): namespaced keys, string
 * values, structured values as JSON text. An encrypted (`secure:`) value cannot be read without the CLI.
 */
export function stackConfigFromYaml(text: string): Record<string, string> {
  const config = (parse(text) as { config?: unknown } | null)?.config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new Error("config: must be a mapping");
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (value !== null && typeof value === "object" && "secure" in value && !Array.isArray(value)) {
      throw new Error(`config ${key} is an encrypted secret; this reader cannot decrypt it`);
    }
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** One pipeline or flow of the stack, with what `up` and `destroy` should leave in EnOS. */
export interface DemoPipeline {
  readonly name: string;
  readonly pipelineId: string;
  /** Status `up` converges to (desiredState, default RUNNING). */
  readonly desired: "RUNNING" | "PAUSED" | "STOPPED";
  /** What destroy does (onDelete, default STOP). */
  readonly onDelete: "STOP" | "PAUSE" | "KEEP";
}

export interface DemoFlow {
  readonly name: string;
  readonly flowId: number;
  /** Schedule state `up` converges to (enabled, default true). */
  readonly enabled: boolean;
  /** What destroy does (onDelete, default DISABLE). */
  readonly onDelete: "DISABLE" | "KEEP" | "RESTORE";
}

export interface DemoStack {
  /** Stack config with namespaced keys and string values, as the engine hands it to the program. */
  readonly config: Record<string, string>;
  /** Keys of `config` that are secrets. */
  readonly secretKeys: readonly string[];
  readonly pipelines: readonly DemoPipeline[];
  readonly flows: readonly DemoFlow[];
}

/** Reads `Pulumi.<stack>.yaml` from the repository root into stack config (namespaced keys, string values). */
export function readStackConfig(repoRoot: string, stack: string): Record<string, string> {
  const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
  return stackConfigFromYaml(fs.readFileSync(file, "utf8"));
}

/** The environment (pipelines and flows) a stack config describes, validated by the root program's parser. */
export function environmentOf(config: Record<string, string>): EnvironmentConfig {
  const json = (key: string): unknown => {
    const value = config[key];
    return value === undefined ? undefined : JSON.parse(value);
  };
  return parseEnvironment(
    { pipelines: json(`${PROJECT}:pipelines`), flows: json(`${PROJECT}:flows`) },
    PROJECT,
  );
}

/**
 * The demo's `dev` stack: Pulumi.dev.yaml with `enos:apiGateway` pointing at the simulator and
 * `enos:secretKey` added as a secret.
 */
export function demoStack(
  fileConfig: Record<string, string>,
  simulatorUrl: string,
  secretKey: string,
): DemoStack {
  const config = { ...fileConfig, "enos:apiGateway": simulatorUrl, "enos:secretKey": secretKey };
  const env = environmentOf(config);
  const str = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);
  return {
    config,
    secretKeys: ["enos:secretKey"],
    pipelines: env.pipelines.map((p) => ({
      name: p.name,
      pipelineId: str(p.pipelineId, ""),
      desired: str(p.desiredState, "RUNNING") as DemoPipeline["desired"],
      onDelete: str(p.onDelete, "STOP") as DemoPipeline["onDelete"],
    })),
    flows: env.flows.map((f) => ({
      name: f.name,
      flowId: Number(f.flowId),
      enabled: typeof f.enabled === "boolean" ? f.enabled : true,
      onDelete: str(f.onDelete, "DISABLE") as DemoFlow["onDelete"],
    })),
  };
}
