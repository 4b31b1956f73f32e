import type { ResourceValidationPolicy } from "@pulumi/policy";
import { protectedStacksOf, protectedStacksSchema, type ProtectedStacksConfig } from "../config.js";
import {
  FLOW_DEFAULTS,
  FLOW_TYPE,
  PIPELINE_DEFAULTS,
  PIPELINE_TYPE,
  shown,
  stackOfUrn,
  withDefault,
} from "../resources.js";

/** Per resource type: the onDelete value that stops production work, and the values to use instead. */
const STOPPING_DELETE: Readonly<
  Record<string, { className: string; value: string; fallback: string; fix: string }>
> = {
  [PIPELINE_TYPE]: {
    className: "EnosPipelineDeployment",
    value: "STOP",
    fallback: PIPELINE_DEFAULTS.onDelete,
    fix: 'set onDelete: "PAUSE" (pause it) or "KEEP" (leave it running)',
  },
  [FLOW_TYPE]: {
    className: "EnosFlowSchedule",
    value: "DISABLE",
    fallback: FLOW_DEFAULTS.onDelete,
    fix: 'set onDelete: "KEEP" (leave the schedule as it is) or "RESTORE" (the state found at adoption)',
  },
};

/**
 * `enos-protected-stack-delete`: in a production stack, a `pulumi destroy` (or removing the resource) must not
 * stop a pipeline or disable a flow's schedule. The provider's default does exactly that, so a resource that
 * leaves onDelete out is judged by its default.
 */
export const protectedStackDelete: ResourceValidationPolicy = {
  name: "enos-protected-stack-delete",
  description:
    'In protected stacks, EnosPipelineDeployment onDelete is not "STOP" and EnosFlowSchedule onDelete is not ' +
    '"DISABLE" (defaults included), so a destroy never stops production.',
  enforcementLevel: "mandatory",
  configSchema: protectedStacksSchema,
  validateResource: (args, reportViolation) => {
    const rule = STOPPING_DELETE[args.type];
    if (!rule) return;
    const stack = stackOfUrn(args.urn);
    if (!protectedStacksOf(args.getConfig<ProtectedStacksConfig>()).includes(stack)) return;
    // The engine shows the rule the inputs after the provider's `check`, which has filled the default in; a rule run
    // on raw inputs (a team's own tooling) sees it missing. Either way the value that destroy would use is judged.
    const onDelete = withDefault((args.props as Record<string, unknown>).onDelete, rule.fallback);
    if (onDelete !== rule.value) return;
    reportViolation(
      `${rule.className} "${args.name}": onDelete is ${shown(onDelete)} (also its default when left out) in ` +
        `protected stack "${stack}", so destroying it would ${rule.value === "STOP" ? "stop the pipeline" : "disable the flow's schedule"}: ` +
        `${rule.fix}.`,
    );
  },
};
