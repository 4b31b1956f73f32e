import { EnosPipelineDeployment } from "pulumi-enos";

// Keep one existing pipeline RUNNING. Credentials and orgId come from stack config (enos:*).
const telemetry = new EnosPipelineDeployment("telemetry", {
  pipelineId: "demo-pipeline-1",
  desiredState: "RUNNING",
  kafkaRate: 1000,
  resourceConfig: { server: 1 },
});

export const status = telemetry.status;
export const releasedVersion = telemetry.releasedVersion;
