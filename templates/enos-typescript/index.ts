import * as pulumi from "@pulumi/pulumi";
import { EnosFlowSchedule, EnosPipelineDeployment } from "pulumi-enos";

// Credentials, gateway, orgId and userId come from the stack's enos:* config (see Pulumi.<stack>.yaml).
const config = new pulumi.Config();

// Adopt an existing pipeline and keep it RUNNING; nothing is created or deleted in EnOS.
const pipeline = new EnosPipelineDeployment("pipeline", {
  pipelineId: config.require("pipelineId"),
  desiredState: "RUNNING",
  kafkaRate: 1000,
  resourceConfig: { server: 1 },
  // Change it (e.g. to a date or version) to publish the pipeline's saved draft on the next `pulumi up`.
  // releaseTrigger: "2026-01-15",
});

// Adopt an existing batch flow and keep its schedule enabled.
const flow = new EnosFlowSchedule("flow", {
  flowId: config.requireNumber("flowId"),
  enabled: true,
});

export const pipelineStatus = pipeline.status;
export const pipelineReleasedVersion = pipeline.releasedVersion;
export const flowActive = flow.active;
