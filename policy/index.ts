/**
 * pulumi-enos/policy: the CrossGuard rules for stacks that use pulumi-enos, for teams that assemble their own
 * policy pack. The pack shipped in this package (`node_modules/pulumi-enos/policy`) runs all of them.
 */
import type { Policies } from "@pulumi/policy";
import { gatedRelease } from "./rules/gated-release.js";
import { kafkaRateLimit } from "./rules/kafka-rate.js";
import { protectedStackDelete } from "./rules/protected-delete.js";
import { uniqueFlow, uniquePipeline } from "./rules/unique.js";

export { gatedRelease, kafkaRateLimit, protectedStackDelete, uniqueFlow, uniquePipeline };
export type { KafkaRateConfig, ProtectedStacksConfig } from "./config.js";
export {
  DEFAULT_MAX_KAFKA_RATE,
  DEFAULT_PROTECTED_STACKS,
  FLOW_TYPE,
  PIPELINE_TYPE,
  stackOfUrn,
} from "./resources.js";

/** Every rule, in the order the pack lists them. */
export const enosPolicies: Policies = [
  uniquePipeline,
  uniqueFlow,
  protectedStackDelete,
  kafkaRateLimit,
  gatedRelease,
];
