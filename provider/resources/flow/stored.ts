import { z } from "zod";
import { checkSchemaVersion, parseStored } from "../common/stored.js";
import type { FlowSpec } from "./spec.js";

/** Version of the output layout; bump when outputs change shape so new code can read old state. */
export const FLOW_SCHEMA_VERSION = 1;

/** What state holds for an EnosFlowSchedule, any version so far; defaults fill what older state lacks. */
const storedFlowSchema = z
  .object({
    flowId: z.number().int().positive(),
    orgId: z.string().min(1),
    userId: z.string().min(1),
    enabled: z.boolean().default(true),
    onDelete: z.enum(["DISABLE", "KEEP", "RESTORE"]).default("DISABLE"),
    active: z.boolean().optional(),
    adoptedActive: z.boolean().optional(),
    flowName: z.string().optional(),
    schemaVersion: z.number().optional(),
  })
  .loose();

export type StoredFlow = z.infer<typeof storedFlowSchema>;

/** The flow's stored properties (olds, or props in read/delete), parsed; `id` names it when they cannot be read. */
export function storedFlow(id: string, props: Record<string, unknown>): StoredFlow {
  const label = `EnosFlowSchedule ${id}`;
  checkSchemaVersion(label, props.schemaVersion, FLOW_SCHEMA_VERSION);
  // State from `pulumi import` or a hand edit may lack flowId: the resource id is the flow id.
  const withId = props.flowId === undefined && /^\d+$/.test(id) ? { ...props, flowId: Number(id) } : props;
  return parseStored(label, storedFlowSchema, withId);
}

/** The inputs part of stored or checked properties. */
export function flowSpecOf(stored: StoredFlow): FlowSpec {
  const { flowId, orgId, userId, enabled, onDelete } = stored;
  return { flowId, orgId, userId, enabled, onDelete };
}
