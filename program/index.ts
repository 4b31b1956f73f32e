import * as pulumi from "@pulumi/pulumi";
import { enosEvidence, parsePromotionSettings, promotionGate } from "pulumi-enos";
import { deployEnvironment, parseEnvironment } from "./environment.js";

/**
 * The root Pulumi project's program: the environment described by this stack's config. With
 * `pulumi-enos:promotion: {from, soak}` every release it takes must have run healthy in `from` for `soak` first
 * (docs/promotion.md); a refused promotion stops the program before any resource is declared.
 */
async function main() {
  const config = new pulumi.Config();
  const namespace = pulumi.getProject();
  const env = parseEnvironment(
    { pipelines: config.getObject("pipelines"), flows: config.getObject("flows") },
    namespace,
  );
  const promotion = parsePromotionSettings(config.getObject("promotion"), `${namespace}:promotion`);
  const verdicts = promotion
    ? await promotionGate({ ...promotion, entries: env.pipelines, setting: `${namespace}:promotion` })
    : [];
  const outputs = deployEnvironment(env);
  return {
    pipelines: outputs.pipelines,
    flows: outputs.flows,
    enos: enosEvidence({ ...outputs.resources, verdicts }),
  };
}

export = main;
