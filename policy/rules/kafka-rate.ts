import type { ResourceValidationPolicy } from "@pulumi/policy";
import { kafkaRateSchema, maxKafkaRateOf, type KafkaRateConfig } from "../config.js";
import { PIPELINE_DEFAULTS, PIPELINE_TYPE, withDefault } from "../resources.js";

/** `enos-kafka-rate-limit`: a pipeline's Kafka read rate stays within what the team agreed its brokers carry. */
export const kafkaRateLimit: ResourceValidationPolicy = {
  name: "enos-kafka-rate-limit",
  description: "EnosPipelineDeployment kafkaRate is at most maxKafkaRate records/s (default 100000).",
  enforcementLevel: "advisory",
  configSchema: kafkaRateSchema,
  validateResource: (args, reportViolation) => {
    if (args.type !== PIPELINE_TYPE) return;
    const max = maxKafkaRateOf(args.getConfig<KafkaRateConfig>());
    const rate = withDefault((args.props as Record<string, unknown>).kafkaRate, PIPELINE_DEFAULTS.kafkaRate);
    if (typeof rate !== "number" || rate <= max) return;
    reportViolation(
      `EnosPipelineDeployment "${args.name}": kafkaRate ${rate} is above maxKafkaRate ${max} records/s: ` +
        `lower kafkaRate to ${max} or less, or raise the limit in policy config ` +
        `({ "enos-kafka-rate-limit": { "maxKafkaRate": ${rate} } }).`,
    );
  },
};
