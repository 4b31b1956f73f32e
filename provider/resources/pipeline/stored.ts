import { z } from "zod";
import type { HealthCheck } from "../../lifecycle/health.js";
import { DESIRED_STATES } from "../../lifecycle/status.js";
import { checkSchemaVersion, parseStored } from "../common/stored.js";
import { DEFAULT_TIMEOUT, type PipelineSpec } from "./spec.js";

/** Version of the output layout; bump when outputs change shape so new code can read old state. */
export const PIPELINE_SCHEMA_VERSION = 1;

const timeout = z.string().default(DEFAULT_TIMEOUT);

/** What state holds for an EnosPipelineDeployment, any version so far; defaults fill what older state lacks. */
const storedPipelineSchema = z
  .object({
    pipelineId: z.string().min(1),
    orgId: z.string().min(1),
    desiredState: z.enum(DESIRED_STATES).default("RUNNING"),
    executionMode: z.enum(["STANDALONE", "CLUSTER"]).default("STANDALONE"),
    kafkaRate: z.number().default(1000),
    resourceConfig: z
      .object({
        server: z.number(),
        yarn: z.object({ workerCount: z.number(), master: z.number(), slave: z.number() }).optional(),
        advanced: z.record(z.string(), z.string()).optional(),
      })
      .default({ server: 1 }),
    releaseTrigger: z.string().optional(),
    offsetResetTrigger: z.string().optional(),
    restartTrigger: z.string().optional(),
    restartStrategy: z.enum(["PAUSE", "STOP"]).default("PAUSE"),
    onDelete: z.enum(["STOP", "PAUSE", "KEEP"]).default("STOP"),
    timeouts: z
      .object({ create: timeout, update: timeout, delete: timeout })
      .default({ create: DEFAULT_TIMEOUT, update: DEFAULT_TIMEOUT, delete: DEFAULT_TIMEOUT }),
    status: z.string().optional(),
    pipelineName: z.string().optional(),
    releasedVersion: z.string().optional(),
    draftVersion: z.string().optional(),
    schemaVersion: z.number().optional(),
    // Since the health gate: state written before it has neither (no check, no offset-lag call).
    healthCheck: z
      .object({
        stableFor: z.string(),
        maxLag: z.number().optional(),
        requireProgress: z.boolean().default(true),
      })
      .optional(),
    onUnhealthy: z.enum(["KEEP", "PAUSE", "STOP"]).optional(),
  })
  .loose();

export type StoredPipeline = z.infer<typeof storedPipelineSchema>;

/** A pipeline's stored properties (olds, or props in read/delete), parsed; `id` names it if they cannot be. */
export function storedPipeline(id: string, props: Record<string, unknown>): StoredPipeline {
  const label = `EnosPipelineDeployment ${id}`;
  checkSchemaVersion(label, props.schemaVersion, PIPELINE_SCHEMA_VERSION);
  // State from `pulumi import` or a hand edit may lack pipelineId: the resource id is the pipeline id.
  const withId = props.pipelineId === undefined ? { ...props, pipelineId: id } : props;
  return parseStored(label, storedPipelineSchema, withId);
}

/** The inputs part of stored or checked properties. */
export function pipelineSpecOf(stored: StoredPipeline): PipelineSpec {
  return {
    pipelineId: stored.pipelineId,
    orgId: stored.orgId,
    desiredState: stored.desiredState,
    executionMode: stored.executionMode,
    kafkaRate: stored.kafkaRate,
    resourceConfig: stored.resourceConfig,
    ...(stored.releaseTrigger === undefined ? {} : { releaseTrigger: stored.releaseTrigger }),
    ...(stored.offsetResetTrigger === undefined ? {} : { offsetResetTrigger: stored.offsetResetTrigger }),
    ...(stored.restartTrigger === undefined ? {} : { restartTrigger: stored.restartTrigger }),
    restartStrategy: stored.restartStrategy,
    onDelete: stored.onDelete,
    timeouts: stored.timeouts,
    ...(stored.healthCheck === undefined ? {} : { healthCheck: healthCheckOf(stored.healthCheck) }),
    ...(stored.onUnhealthy === undefined ? {} : { onUnhealthy: stored.onUnhealthy }),
  };
}

function healthCheckOf(stored: NonNullable<StoredPipeline["healthCheck"]>): HealthCheck {
  return {
    stableFor: stored.stableFor,
    requireProgress: stored.requireProgress,
    ...(stored.maxLag === undefined ? {} : { maxLag: stored.maxLag }),
  };
}
