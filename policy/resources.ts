/**
 * What the rules know about pulumi-enos resources as the policy engine shows them: their Pulumi types, the
 * defaults `check` fills in, and the stack a resource belongs to.
 */

/** Pulumi type of EnosPipelineDeployment (a dynamic resource registered under module "enos"). */
export const PIPELINE_TYPE = "pulumi-nodejs:dynamic/enos:EnosPipelineDeployment";
/** Pulumi type of EnosFlowSchedule. */
export const FLOW_TYPE = "pulumi-nodejs:dynamic/enos:EnosFlowSchedule";

/** Defaults the provider's `check` applies when an input is left out (see provider/resources/{pipeline,flow}/spec.ts). */
export const PIPELINE_DEFAULTS = { onDelete: "STOP", kafkaRate: 1000 } as const;
export const FLOW_DEFAULTS = { onDelete: "DISABLE" } as const;

/** The stacks whose resources count as production unless policy config says otherwise. */
export const DEFAULT_PROTECTED_STACKS: readonly string[] = ["prod", "production"];
/** Kafka read rate (records/s) above which `enos-kafka-rate-limit` warns unless policy config says otherwise. */
export const DEFAULT_MAX_KAFKA_RATE = 100_000;

/**
 * The stack a resource belongs to, from its URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). The policy
 * engine hands a pack no stack name of its own, but every URN carries it, and `::` cannot occur in a stack name.
 */
export function stackOfUrn(urn: string): string {
  const prefix = "urn:pulumi:";
  if (!urn.startsWith(prefix)) throw new Error(`not a Pulumi URN: ${urn}`);
  const end = urn.indexOf("::", prefix.length);
  return urn.slice(prefix.length, end === -1 ? undefined : end);
}

/** An input as the resource declares it, or its default when left out (`null` counts as left out, as in `check`). */
export function withDefault(value: unknown, fallback: unknown): unknown {
  return value === undefined || value === null ? fallback : value;
}

/** A value as it reads in a message: strings quoted, everything else as JSON. */
export function shown(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}
