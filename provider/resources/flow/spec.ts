import { z } from "zod";
import { stackDefaultSource } from "../../config.js";
import {
  checkDefault,
  checkField,
  containsUnknown,
  idSchema,
  unknownKeyFailures,
  withoutUndefined,
  type CheckFailure,
} from "../common/validation.js";

/** Resolved inputs of an EnosFlowSchedule. */
export interface FlowSpec {
  readonly flowId: number;
  readonly orgId: string;
  readonly userId: string;
  readonly enabled: boolean;
  readonly onDelete: "DISABLE" | "KEEP" | "RESTORE";
}

/** Input names of EnosFlowSchedule. */
export const FLOW_INPUTS = ["flowId", "orgId", "userId", "enabled", "onDelete"] as const;

/** `check` for EnosFlowSchedule: validate, resolve defaults; unknown (preview) values pass through. */
export function checkFlowInputs(
  news: Record<string, unknown>,
  defaults: { readonly orgId: string | undefined; readonly userId: string | undefined },
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  unknownKeyFailures(news, FLOW_INPUTS, failures);
  const out: Record<string, unknown> = {};
  const field = <T>(name: string, schema: z.ZodType<T>, fallback: T | undefined, missing?: string): void => {
    const value = news[name];
    if (containsUnknown(value)) out[name] = value;
    else if (value !== undefined && value !== null) out[name] = checkField(name, schema, value, failures);
    else if (fallback !== undefined && (name === "orgId" || name === "userId"))
      out[name] = checkDefault(name, schema, fallback, stackDefaultSource(name), failures);
    else if (fallback !== undefined) out[name] = fallback;
    else if (missing) failures.push({ property: name, reason: `${name}: required: ${missing}` });
  };

  field(
    "flowId",
    z
      .number({
        error: "must be a number: the flow ID from the EnOS console (Batch Processing > Flow Designer)",
      })
      .int("must be a whole number")
      .min(1, "must be a positive flow ID")
      .max(2_147_483_647, "must be at most 2147483647"),
    undefined,
    "the ID of an existing batch-processing flow (EnOS console > Batch Processing)",
  );
  field(
    "orgId",
    idSchema("the EnOS organisation ID"),
    defaults.orgId,
    "set it on the resource or run `pulumi config set enos:orgId <org id>` (the ENOS_ORG_ID environment variable is not a resource default: inputs must not depend on the machine)",
  );
  field(
    "userId",
    idSchema("the EnOS user who owns the flow"),
    defaults.userId,
    "the flow owner's user ID: set it on the resource or run `pulumi config set enos:userId <user id>` (the ENOS_USER_ID environment variable is not a resource default: inputs must not depend on the machine)",
  );
  field("enabled", z.boolean({ error: "must be true (schedule enabled) or false (disabled)" }), true);
  field(
    "onDelete",
    z.enum(["DISABLE", "KEEP", "RESTORE"], {
      error: 'must be one of "DISABLE", "KEEP", "RESTORE" (what destroy does to the schedule)',
    }),
    "DISABLE",
  );
  return { inputs: withoutUndefined(out), failures };
}
