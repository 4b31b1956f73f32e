import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { EnosFlowSchedule, EnosPipelineDeployment } from "pulumi-enos";

/**
 * The environment-promotion program: an environment's pipelines and flows are listed in stack config
 * (`pulumi-enos:pipelines`, `pulumi-enos:flows`), so dev, staging and prod run the same program with their own
 * start options and states.
 */

const name = z
  .string({ error: "must be a string: a short name for the resource, unique in this stack" })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and '-' (e.g. ingest-telemetry)");

/** One pipeline entry; fields are passed to EnosPipelineDeployment, which validates their values in `check`. */
const pipelineEntry = z
  .object({
    name,
    pipelineId: z.string({ error: "is required: the EnOS pipeline ID" }).min(1, "must not be empty"),
    orgId: z.string().optional(),
    desiredState: z.enum(["RUNNING", "PAUSED", "STOPPED"]).optional(),
    executionMode: z.enum(["STANDALONE", "CLUSTER"]).optional(),
    kafkaRate: z.number().int().positive().optional(),
    resourceConfig: z
      .object({
        server: z.number().int().positive(),
        yarn: z
          .object({
            workerCount: z.number().int().positive(),
            master: z.number().int().positive(),
            slave: z.number().int().positive(),
          })
          .strict()
          .optional(),
        advanced: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
    releaseTrigger: z.string().optional(),
    offsetResetTrigger: z.string().optional(),
    restartStrategy: z.enum(["PAUSE", "STOP"]).optional(),
    onDelete: z.enum(["STOP", "PAUSE", "KEEP"]).optional(),
    timeouts: z
      .object({ create: z.string().optional(), update: z.string().optional(), delete: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();

const flowEntry = z
  .object({
    name,
    flowId: z.number({ error: "is required: the EnOS flow ID (a number)" }).int().positive(),
    orgId: z.string().optional(),
    userId: z.string().optional(),
    enabled: z.boolean().optional(),
    onDelete: z.enum(["DISABLE", "KEEP", "RESTORE"]).optional(),
  })
  .strict();

const environmentSchema = z.object({
  pipelines: z.array(pipelineEntry).default([]),
  flows: z.array(flowEntry).default([]),
});

export type EnvironmentConfig = z.infer<typeof environmentSchema>;

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
      problems.push(`${where}: ${issue.message}`);
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
  return parsed.data;
}

/** What `pulumi stack output` shows: each pipeline's status and released version, each flow's state. */
export interface EnvironmentOutputs {
  readonly pipelines: Record<string, pulumi.Output<{ status: string; releasedVersion: string | undefined }>>;
  readonly flows: Record<string, pulumi.Output<{ enabled: boolean; active: boolean }>>;
}

/** Declare the environment's resources. */
export function deployEnvironment(env: EnvironmentConfig): EnvironmentOutputs {
  const pipelines: EnvironmentOutputs["pipelines"] = {};
  for (const { name: resourceName, ...args } of env.pipelines) {
    const pipeline = new EnosPipelineDeployment(resourceName, args);
    pipelines[resourceName] = pulumi
      .all([pipeline.status, pipeline.releasedVersion])
      .apply(([status, releasedVersion]) => ({ status, releasedVersion }));
  }
  const flows: EnvironmentOutputs["flows"] = {};
  for (const { name: resourceName, ...args } of env.flows) {
    const flow = new EnosFlowSchedule(resourceName, args);
    flows[resourceName] = pulumi
      .all([flow.enabled, flow.active])
      .apply(([enabled, active]) => ({ enabled, active }));
  }
  return { pipelines, flows };
}
