import { processGlobal } from "../registry.js";

/**
 * The rollout halt: once a pipeline of an organisation fails its health check, no further start or release is
 * sent in that organisation by this provider process (one deployment). Like the org start lock, it lives in
 * the process-global registry so every resource the host loads sees it.
 */
export interface RolloutHalt {
  /** The pipeline that failed its health check. */
  readonly pipelineId: string;
  /** The health check's reason, e.g. "lag 5200 > maxLag 500 after 30s". */
  readonly reason: string;
}

type Halts = Record<string, RolloutHalt | undefined>;

const halts = (): Halts => processGlobal<Halts>("rollout-halts", () => ({}));

/** Halt the rollout in `orgId`. The first failure is the one reported to every pipeline stopped by it. */
export function haltRollout(orgId: string, halt: RolloutHalt): void {
  halts()[orgId] ??= halt;
}

/** Lift the halt in `orgId` if `pipelineId` caused it (it was re-judged healthy). */
export function liftHalt(orgId: string, pipelineId: string): void {
  if (halts()[orgId]?.pipelineId === pipelineId) halts()[orgId] = undefined;
}

/** The halt in force in `orgId`, if any. */
export function rolloutHalt(orgId: string): RolloutHalt | undefined {
  return halts()[orgId];
}

const HALTED_BRAND = Symbol.for("pulumi-enos.RolloutHaltedError");

/** A start or release refused before it reached EnOS, because another pipeline of the org failed its check. */
export class RolloutHaltedError extends Error {
  readonly [HALTED_BRAND] = true;
  constructor(
    readonly orgId: string,
    readonly halt: RolloutHalt,
    readonly action: string,
  ) {
    super(`rollout halted: ${halt.pipelineId} failed its health check (${halt.reason})`);
    this.name = "RolloutHaltedError";
  }
  static isInstance(value: unknown): value is RolloutHaltedError {
    return typeof value === "object" && value !== null && HALTED_BRAND in value;
  }
}
