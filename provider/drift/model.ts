/**
 * The drift report: what `pulumi-enos drift` found in each stack, in the shape every output format is rendered
 * from and `--format json` prints as it is (docs/drift.md documents it; bump the version when it changes shape).
 */

/** Version of the JSON report's layout. */
export const DRIFT_SCHEMA_VERSION = 1;

export const PIPELINE_TYPE = "pulumi-nodejs:dynamic/enos:EnosPipelineDeployment";
export const FLOW_TYPE = "pulumi-nodejs:dynamic/enos:EnosFlowSchedule";

/**
 * What drifted, most severe first when several apply: `gone` (deleted in EnOS), `status` (pipeline status is not
 * its `desiredState`), `enabled` (flow schedule is not `enabled`), `released` (released version moved outside
 * Pulumi), `health` (RUNNING, but the recorded health verdict is UNHEALTHY), `none`.
 */
export const DRIFT_KINDS = ["none", "gone", "status", "enabled", "released", "health"] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** Plain values only: what the report shows of a resource's desired or observed side. */
export type Facts = Readonly<Record<string, string | number | boolean | null>>;

/** One resource of this package in a stack. */
export interface ResourceDrift {
  readonly urn: string;
  /** `EnosPipelineDeployment` or `EnosFlowSchedule`. */
  readonly type: string;
  /** The resource's name in the program. */
  readonly name: string;
  /** The `pipelineId` or the `flowId`. */
  readonly id: string;
  readonly drift: DriftKind;
  readonly desired: Facts;
  /** `null` when the object no longer exists in EnOS. */
  readonly observed: Facts | null;
  /** What the next `pulumi up` would do about it, in words (`start`, `enable`, `remove from state`, `nothing`). */
  readonly plan: string;
}

export type StackStatus = "clean" | "drift" | "error";

export interface StackDrift {
  readonly stack: string;
  readonly status: StackStatus;
  /** One line naming the cause, when the stack could not be checked. */
  readonly error?: string;
  /** Resources of other packages in the stack (and the stack and providers themselves): counted, not judged. */
  readonly otherResources: number;
  readonly resources: readonly ResourceDrift[];
}

export interface DriftReport {
  readonly schemaVersion: typeof DRIFT_SCHEMA_VERSION;
  /** ISO 8601 time the report was made. */
  readonly generatedAt: string;
  readonly summary: {
    readonly stacks: number;
    /** Resources of this package judged, over all stacks. */
    readonly resources: number;
    /** Of those, the ones whose drift is not `none`. */
    readonly drifted: number;
    /** Stacks that could not be checked. */
    readonly errors: number;
  };
  readonly stacks: readonly StackDrift[];
}

/** The short type name (`EnosPipelineDeployment`) of a full type token. */
export function shortType(type: string): string {
  return type.slice(type.lastIndexOf(":") + 1);
}

/** The report over the stacks, in the order given; exit code: 1 when a stack failed, else 2 on drift, else 0. */
export function summarise(stacks: readonly StackDrift[], now: Date): DriftReport {
  const resources = stacks.flatMap((s) => s.resources);
  return {
    schemaVersion: DRIFT_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    summary: {
      stacks: stacks.length,
      resources: resources.length,
      drifted: resources.filter((r) => r.drift !== "none").length,
      errors: stacks.filter((s) => s.status === "error").length,
    },
    stacks,
  };
}

export function exitCode(report: DriftReport): 0 | 1 | 2 {
  if (report.summary.errors > 0) return 1;
  return report.summary.drifted > 0 ? 2 : 0;
}
