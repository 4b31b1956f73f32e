import type { ResourceValidationPolicy } from "@pulumi/policy";
import { protectedStacksOf, protectedStacksSchema, type ProtectedStacksConfig } from "../config.js";
import { PIPELINE_TYPE, shown, stackOfUrn } from "../resources.js";

/**
 * `enos-gated-release`: in production, a pipeline whose releases are driven by `releaseTrigger` checks its health
 * after each start (`healthCheck`), so a bad release fails the update instead of being reported as a success.
 */
export const gatedRelease: ResourceValidationPolicy = {
  name: "enos-gated-release",
  description: "In protected stacks, an EnosPipelineDeployment with a releaseTrigger has a healthCheck.",
  enforcementLevel: "advisory",
  configSchema: protectedStacksSchema,
  validateResource: (args, reportViolation) => {
    if (args.type !== PIPELINE_TYPE) return;
    const stack = stackOfUrn(args.urn);
    if (!protectedStacksOf(args.getConfig<ProtectedStacksConfig>()).includes(stack)) return;
    const { releaseTrigger, healthCheck } = args.props as Record<string, unknown>;
    if (releaseTrigger === undefined || releaseTrigger === null) return;
    if (healthCheck !== undefined && healthCheck !== null) return;
    reportViolation(
      `EnosPipelineDeployment "${args.name}": releaseTrigger is ${shown(releaseTrigger)} but healthCheck is not set ` +
        `in protected stack "${stack}", so a bad release would be reported as a success: ` +
        `add healthCheck (e.g. { stableFor: "2m", maxLag: 1000 }).`,
    );
  },
};
