import * as pulumi from "@pulumi/pulumi";
import { EnosPipelineDeployment } from "pulumi-enos";

// One release for three pipelines, canary first:
//   pulumi config set releaseVersion 2026.11.4 && pulumi up
// The canary is paused, released, started and watched for `stableFor`; the others depend on it, so they are
// released only once it has stayed RUNNING, kept up with its input and kept its lag under maxLag. A canary that
// fails its health check is paused (onUnhealthy) and the rest of the rollout never starts.
const config = new pulumi.Config();
const releaseTrigger = config.require("releaseVersion");

const canary = new EnosPipelineDeployment("ingest-canary", {
  pipelineId: "demo-pipeline-1",
  releaseTrigger,
  kafkaRate: 1000,
  healthCheck: { stableFor: config.get("stableFor") ?? "30s", maxLag: 500 },
  onUnhealthy: "PAUSE",
});

const rest = ["demo-pipeline-2", "demo-pipeline-3"].map(
  (pipelineId, i) =>
    new EnosPipelineDeployment(
      `ingest-${i + 2}`,
      { pipelineId, releaseTrigger, kafkaRate: 1000 },
      { dependsOn: [canary] },
    ),
);

export const canaryHealth = canary.health;
export const statuses = pulumi
  .all([canary.status, ...rest.map((p) => p.status)])
  .apply((all) => all.join(", "));
