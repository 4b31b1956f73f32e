import * as pulumi from "@pulumi/pulumi";
import { EnosPipelineDeployment } from "pulumi-enos";

// Publish the pipeline's saved draft by bumping `releaseVersion` in stack config:
//   pulumi config set releaseVersion 2026.11.3 && pulumi up
// The running pipeline is paused, released and started again, resuming from where it paused.
const config = new pulumi.Config();
const enrich = new EnosPipelineDeployment("enrich-alarms", {
  pipelineId: "demo-pipeline-2",
  releaseTrigger: config.require("releaseVersion"),
});

export const releasedVersion = enrich.releasedVersion;
export const status = enrich.status;
