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

/** Per org, every pipeline whose failure halts it, first first. */
type Halts = Record<string, RolloutHalt[] | undefined>;

const halts = (): Halts => processGlobal<Halts>("rollout-halts.v2", () => ({}));

/** Halt the rollout in `orgId` for `halt.pipelineId` (once per pipeline; the first is the one reported). */
export function haltRollout(orgId: string, halt: RolloutHalt): void {
  const list = (halts()[orgId] ??= []);
  if (!list.some((h) => h.pipelineId === halt.pipelineId)) list.push(halt);
}

/** Lift the halt `pipelineId` put on `orgId` (it was re-judged healthy); others' halts stay. */
export function liftHalt(orgId: string, pipelineId: string): void {
  const list = halts()[orgId];
  if (list) halts()[orgId] = list.filter((h) => h.pipelineId !== pipelineId);
}

/** The halt in force in `orgId` for a start or release of `pipelineId`, if any: another pipeline's. */
export function rolloutHalt(orgId: string, pipelineId?: string): RolloutHalt | undefined {
  return halts()[orgId]?.find((h) => h.pipelineId !== pipelineId);
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
