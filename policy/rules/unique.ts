import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { FLOW_TYPE, PIPELINE_TYPE, shown } from "../resources.js";

/** One EnOS object a stack adopts, in words a message can use. */
interface Adoption {
  readonly type: string;
  /** The resource class users write, e.g. "EnosPipelineDeployment". */
  readonly className: string;
  /** The input holding the object's ID, e.g. "pipelineId". */
  readonly idField: string;
  /** What the object is, e.g. "pipeline". */
  readonly noun: string;
  /** What two owners would fight over, e.g. "its run state". */
  readonly contested: string;
}

/**
 * Two resources adopting one EnOS object each drive it to their own declared state, every update, and a destroy
 * of one releases it under the other: a stack must adopt each (orgId, id) once.
 */
function uniqueAdoption(name: string, adoption: Adoption): StackValidationPolicy {
  const { className, idField, noun } = adoption;
  return {
    name,
    description: `Each ${noun} is adopted by at most one ${className} per stack (same orgId and ${idField}).`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const owners = new Map<string, PolicyResource[]>();
      for (const resource of args.resources) {
        if (resource.type !== adoption.type) continue;
        const { orgId, [idField]: id } = resource.props as Record<string, unknown>;
        // A resource without either value fails the provider's own check with a clearer message.
        if (orgId === undefined || orgId === null || id === undefined || id === null) continue;
        const key = JSON.stringify([orgId, id]);
        owners.set(key, [...(owners.get(key) ?? []), resource]);
      }
      for (const unsorted of owners.values()) {
        if (unsorted.length < 2) continue;
        // The engine lists resources in no promised order; sorted names make the message the same every run.
        const group = [...unsorted].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const [first] = group;
        const props = first?.props as Record<string, unknown>;
        const names = group.map((r) => `"${r.name}"`).join(", ");
        reportViolation(
          `${className} resources ${names} all adopt ${noun} ${idField} ${shown(props[idField])} in orgId ` +
            `${shown(props.orgId)}: they would fight over ${adoption.contested}. Keep one resource per ${noun}: ` +
            `remove the others or point each at a different ${idField}.`,
          first?.urn,
        );
      }
    },
  };
}

/** `enos-unique-pipeline`: one EnosPipelineDeployment per (orgId, pipelineId) in a stack. */
export const uniquePipeline = uniqueAdoption("enos-unique-pipeline", {
  type: PIPELINE_TYPE,
  className: "EnosPipelineDeployment",
  idField: "pipelineId",
  noun: "pipeline",
  contested: "its run state",
});

/** `enos-unique-flow`: one EnosFlowSchedule per (orgId, flowId) in a stack. */
export const uniqueFlow = uniqueAdoption("enos-unique-flow", {
  type: FLOW_TYPE,
  className: "EnosFlowSchedule",
  idField: "flowId",
  noun: "flow",
  contested: "its schedule",
});
