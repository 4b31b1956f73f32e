import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { FLOW_TYPE, PIPELINE_TYPE } from "../../policy/index.js";

/** A resource as the policy engine hands it to a rule: type, name, URN (carrying the stack) and props. */
export interface FakeResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, unknown>;
}

const urnOf = (stack: string, type: string, name: string) =>
  `urn:pulumi:${stack}::enos-app::${type}::${name}`;

export const pipeline = (stack: string, name: string, props: Record<string, unknown>): FakeResource => ({
  type: PIPELINE_TYPE,
  name,
  urn: urnOf(stack, PIPELINE_TYPE, name),
  props: { orgId: "o15724268424841", ...props },
});

export const flow = (stack: string, name: string, props: Record<string, unknown>): FakeResource => ({
  type: FLOW_TYPE,
  name,
  urn: urnOf(stack, FLOW_TYPE, name),
  props: { orgId: "o15724268424841", userId: "u1", ...props },
});

export interface Violation {
  readonly message: string;
  readonly urn: string | undefined;
}

/** Runs a resource rule on one resource with the given policy config; returns what it reported. */
export async function checkResource(
  policy: ResourceValidationPolicy,
  resource: FakeResource,
  config: object = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const args = {
    ...resource,
    opts: {},
    stackTags: new Map(),
    getConfig: () => config,
    notApplicable: (reason?: string) => {
      throw new Error(`notApplicable: ${reason ?? ""}`);
    },
  } as unknown as ResourceValidationArgs;
  const validations = [policy.validateResource ?? []].flat();
  for (const validate of validations)
    await validate(args, (message, urn) => violations.push({ message, urn }));
  return violations;
}

/** Runs a stack rule on a stack's resources; returns what it reported. */
export async function checkStack(
  policy: StackValidationPolicy,
  resources: readonly FakeResource[],
  config: object = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const args = {
    resources: resources.map((r) => ({
      ...r,
      opts: {},
      dependencies: [],
      propertyDependencies: {},
    })) as unknown as PolicyResource[],
    stackTags: new Map(),
    getConfig: () => config,
    notApplicable: (reason?: string) => {
      throw new Error(`notApplicable: ${reason ?? ""}`);
    },
  } as unknown as StackValidationArgs;
  await policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
  return violations;
}
