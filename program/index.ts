import * as pulumi from "@pulumi/pulumi";
import { deployEnvironment, parseEnvironment } from "./environment.js";

// The root Pulumi project's program: the environment described by this stack's config.
const config = new pulumi.Config();
const env = parseEnvironment(
  { pipelines: config.getObject("pipelines"), flows: config.getObject("flows") },
  pulumi.getProject(),
);
const outputs = deployEnvironment(env);

export const pipelines = outputs.pipelines;
export const flows = outputs.flows;
