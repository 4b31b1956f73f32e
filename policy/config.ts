import type { PolicyConfigSchema } from "@pulumi/policy";
import { DEFAULT_MAX_KAFKA_RATE, DEFAULT_PROTECTED_STACKS } from "./resources.js";

/**
 * Policy config (`pulumi preview --policy-pack-config <file>`), one schema per rule as CrossGuard keys config by
 * rule name. The schema defaults are what the engine applies; the readers apply the same defaults so a rule
 * called without the engine (a team's own pack, a test) behaves the same.
 */
export interface ProtectedStacksConfig {
  /** Stack names treated as production. */
  readonly protectedStacks?: readonly string[];
}

export interface KafkaRateConfig {
  /** Highest `kafkaRate` (records/s) a pipeline may declare. */
  readonly maxKafkaRate?: number;
}

export const protectedStacksSchema: PolicyConfigSchema = {
  properties: {
    protectedStacks: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: [...DEFAULT_PROTECTED_STACKS],
      description: "Names of the stacks treated as production.",
    },
  },
};

export const kafkaRateSchema: PolicyConfigSchema = {
  properties: {
    maxKafkaRate: {
      type: "integer",
      minimum: 1,
      default: DEFAULT_MAX_KAFKA_RATE,
      description: "Highest kafkaRate (records/s) a pipeline may declare.",
    },
  },
};

export function protectedStacksOf(config: ProtectedStacksConfig): readonly string[] {
  return config.protectedStacks ?? DEFAULT_PROTECTED_STACKS;
}

export function maxKafkaRateOf(config: KafkaRateConfig): number {
  return config.maxKafkaRate ?? DEFAULT_MAX_KAFKA_RATE;
}
