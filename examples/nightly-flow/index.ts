import * as pulumi from "@pulumi/pulumi";
import { EnosFlowSchedule } from "pulumi-enos";

// A nightly batch flow whose schedule runs only in prod; in every other stack it is kept disabled.
const nightly = new EnosFlowSchedule("nightly-rollup", {
  flowId: 3377,
  enabled: pulumi.getStack() === "prod",
  onDelete: "RESTORE",
});

export const active = nightly.active;
export const cron = nightly.cron;
