import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  EnosFlowSchedule,
  EnosPipelineDeployment,
  FLOW_INPUTS,
  PIPELINE_INPUTS,
  type EnosFlowScheduleArgs,
  type EnosPipelineDeploymentArgs,
} from "pulumi-enos";

/**
 * The environment-promotion program: an environment's pipelines and flows are listed in stack config
 * (`pulumi-enos:pipelines`, `pulumi-enos:flows`), so dev, staging and prod run the same program with their own
 * start options and states.
 */

const name = z
  .string({ error: "must be a string: a short name for the resource, unique in this stack" })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and '-' (e.g. ingest-telemetry)");

/**
 * An entry is a resource name plus the resource's inputs. Values are left to the resource's own `check`, which
 * names the field and the fix (and runs before any EnOS call); here only the shape is checked, so a misspelt key
 * fails with its config path before anything is registered.
 */
const entry = (keys: readonly string[]) =>
  z.object({ name, ...Object.fromEntries(keys.map((key) => [key, z.unknown().optional()])) }).strict();

const pipelineEntry = entry(PIPELINE_INPUTS);
const flowEntry = entry(FLOW_INPUTS);

const environmentSchema = z.object({
  pipelines: z.array(pipelineEntry, { error: "must be a list of pipelines" }).default([]),
  flows: z.array(flowEntry, { error: "must be a list of flows" }).default([]),
});

/** An environment: named resource inputs, checked by the resources themselves. */
export interface EnvironmentConfig {
  readonly pipelines: readonly ({ readonly name: string } & EnosPipelineDeploymentArgs)[];
  readonly flows: readonly ({ readonly name: string } & EnosFlowScheduleArgs)[];
}

const CONFIG_ERROR = Symbol.for("pulumi-enos.EnvironmentConfigError");

/** Stack config that does not describe an environment; the message names each bad key and value. */
export class EnvironmentConfigError extends Error {
  readonly [CONFIG_ERROR] = true;
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack config:\n  - ${problems.join("\n  - ")}`);
    this.name = "EnvironmentConfigError";
  }
}

/** Parse `pulumi-enos:pipelines` / `pulumi-enos:flows` (already JSON-decoded), reporting every problem at once. */
export function parseEnvironment(
  raw: { pipelines?: unknown; flows?: unknown },
  namespace: string,
): EnvironmentConfig {
  const parsed = environmentSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [list, index, ...rest] = issue.path.map(String);
      const where = `${namespace}:${list ?? ""}${index === undefined ? "" : `[${index}]`}${rest.length ? `.${rest.join(".")}` : ""}`;
      if (issue.code === "unrecognized_keys") {
        // One line per misspelt key, at its own path, with the input it most likely meant.
        const known: readonly string[] = list === "flows" ? FLOW_INPUTS : PIPELINE_INPUTS;
        for (const key of issue.keys) problems.push(`${where}.${key}: ${unknownKeyHint(key, known)}`);
      } else {
        problems.push(`${where}: ${issue.message}`);
      }
    }
    throw new EnvironmentConfigError(problems);
  }
  for (const list of ["pipelines", "flows"] as const) {
    const seen = new Set<string>();
    parsed.data[list].forEach((entry, index) => {
      if (seen.has(entry.name))
        problems.push(`${namespace}:${list}[${index}].name: "${entry.name}" is used twice`);
      seen.add(entry.name);
    });
  }
  if (problems.length > 0) throw new EnvironmentConfigError(problems);
  return parsed.data as unknown as EnvironmentConfig;
}

function unknownKeyHint(key: string, known: readonly string[]): string {
  const k = key.toLowerCase();
  const near =
    known.find((name) => name.toLowerCase() === k) ??
    known.find((name) => name.toLowerCase().startsWith(k) || k.startsWith(name.toLowerCase()));
  return near === undefined
    ? `not an input; valid keys are name, ${known.join(", ")}`
    : `not an input; did you mean ${near}?`;
}

/** What `pulumi stack output` shows: each pipeline's status and released version, each flow's state. */
export interface EnvironmentOutputs {
  /** The declared resources by name, for the `enos` evidence. */
  readonly resources: {
    readonly pipelines: Record<string, EnosPipelineDeployment>;
    readonly flows: Record<string, EnosFlowSchedule>;
  };
  readonly pipelines: Record<string, pulumi.Output<{ status: string; releasedVersion: string | undefined }>>;
  readonly flows: Record<string, pulumi.Output<{ enabled: boolean; active: boolean }>>;
}

/**
 * The entries in round-robin order across organisations, each org's own order kept. The engine runs at most
 * `--parallel` operations at once (default 4 × CPUs) and a create waiting for its org's start lock holds one, so
 * registering one org's pipelines before another's would keep the second org waiting for slots instead of
 * starting in parallel (EnOS allows one start at a time per org, not per tenant).
 */
export function interleaveOrgs<T extends { readonly orgId?: unknown }>(entries: readonly T[]): T[] {
  const byOrg = new Map<string, T[]>();
  for (const entry of entries) {
    const key = typeof entry.orgId === "string" ? entry.orgId : "";
    byOrg.set(key, [...(byOrg.get(key) ?? []), entry]);
  }
  const queues = [...byOrg.values()];
  const out: T[] = [];
  for (let i = 0; out.length < entries.length; i += 1)
    for (const queue of queues) {
      const entry = queue[i];
      if (entry !== undefined) out.push(entry);
    }
  return out;
}

/** Declare the environment's resources. */
export function deployEnvironment(env: EnvironmentConfig): EnvironmentOutputs {
  const resources: EnvironmentOutputs["resources"] = { pipelines: {}, flows: {} };
  const pipelines: EnvironmentOutputs["pipelines"] = {};
  for (const { name: resourceName, ...args } of interleaveOrgs(env.pipelines)) {
    const pipeline = new EnosPipelineDeployment(resourceName, args);
    resources.pipelines[resourceName] = pipeline;
    pipelines[resourceName] = pulumi
      .all([pipeline.status, pipeline.releasedVersion])
      .apply(([status, releasedVersion]) => ({ status, releasedVersion }));
  }
  const flows: EnvironmentOutputs["flows"] = {};
  for (const { name: resourceName, ...args } of env.flows) {
    const flow = new EnosFlowSchedule(resourceName, args);
    resources.flows[resourceName] = flow;
    flows[resourceName] = pulumi
      .all([flow.enabled, flow.active])
      .apply(([enabled, active]) => ({ enabled, active }));
  }
  return { resources, pipelines, flows };
}
