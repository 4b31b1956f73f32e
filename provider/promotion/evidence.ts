import { z } from "zod";

/**
 * The `enos` stack output: what a stack runs and how its health checks judged it, for the stacks that promote
 * from it. Versioned by `schemaVersion`; docs/promotion.md describes each field.
 */
export const EVIDENCE_SCHEMA_VERSION = 1;

/** The health verdict as the evidence carries it (the pipeline's `health` output, its documented fields). */
export interface EvidenceHealth {
  readonly verdict: "HEALTHY" | "UNHEALTHY" | "UNCHECKED";
  /** ISO 8601 time the verdict was reached. */
  readonly checkedAt: string;
  readonly lag?: number;
  readonly reason?: string;
}

/** Where a promoted release came from: the source stack and what it showed when the gate let it through. */
export interface Provenance {
  /** The source stack, fully qualified (`org/project/stack`). */
  readonly stack: string;
  readonly releaseTrigger: string;
  readonly verdict: "HEALTHY";
  /** When the source's verdict was reached. */
  readonly checkedAt: string;
  /** The soak the gate required, e.g. "30m". */
  readonly soak: string;
  /** When the gate let it through (ISO 8601). */
  readonly promotedAt: string;
}

export interface PipelineEvidence {
  readonly pipelineId: string;
  readonly releaseTrigger?: string;
  readonly releasedVersion?: string;
  readonly status: string;
  /** Only for a pipeline with a `healthCheck`. */
  readonly health?: EvidenceHealth;
  /** Only for a release this stack took through the promotion gate. */
  readonly promotedFrom?: Provenance;
}

export interface FlowEvidence {
  readonly flowId: number;
  readonly enabled: boolean;
}

export interface EnosEvidence {
  readonly schemaVersion: typeof EVIDENCE_SCHEMA_VERSION;
  /** The stack that published it, fully qualified. */
  readonly stack: string;
  readonly pipelines: Readonly<Record<string, PipelineEvidence>>;
  readonly flows: Readonly<Record<string, FlowEvidence>>;
}

const healthSchema = z.object({
  verdict: z.enum(["HEALTHY", "UNHEALTHY", "UNCHECKED"]),
  checkedAt: z.string(),
  lag: z.number().optional(),
  reason: z.string().optional(),
});

const provenanceSchema = z.object({
  stack: z.string(),
  releaseTrigger: z.string(),
  verdict: z.literal("HEALTHY"),
  checkedAt: z.string(),
  soak: z.string(),
  promotedAt: z.string(),
});

// Unknown fields are dropped, not refused: a newer publisher may add some within the same schema version.
const evidenceSchema = z.object({
  schemaVersion: z.literal(EVIDENCE_SCHEMA_VERSION),
  stack: z.string(),
  pipelines: z.record(
    z.string(),
    z.object({
      pipelineId: z.string(),
      releaseTrigger: z.string().optional(),
      releasedVersion: z.string().optional(),
      status: z.string(),
      health: healthSchema.optional(),
      promotedFrom: provenanceSchema.optional(),
    }),
  ),
  flows: z.record(z.string(), z.object({ flowId: z.number(), enabled: z.boolean() })),
});

/** An `enos` output that this version cannot read; the message says which stack and what to do. */
export class EvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvidenceError";
  }
}

/**
 * Reads the `enos` output of `stack` (undefined when it has none). Throws {@link EvidenceError} for a value that is
 * not evidence or is of another schema version.
 */
export function parseEvidence(value: unknown, stack: string): EnosEvidence | undefined {
  if (value === undefined || value === null) return undefined;
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version === "number" && version !== EVIDENCE_SCHEMA_VERSION)
    throw new EvidenceError(
      `the enos output of ${stack} has schemaVersion ${version}; this pulumi-enos reads ${EVIDENCE_SCHEMA_VERSION}: ` +
        `run the same pulumi-enos version in both stacks`,
    );
  const parsed = evidenceSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join(".") ?? "";
    throw new EvidenceError(
      `the enos output of ${stack} is not promotion evidence (${where || "enos"}: ${issue?.message ?? "invalid"}): ` +
        `export it with enosEvidence() from pulumi-enos`,
    );
  }
  return parsed.data;
}

/** The documented fields of a pipeline's `health` output, or undefined without one. */
export function healthEvidence(health: unknown): EvidenceHealth | undefined {
  const parsed = healthSchema.safeParse(health);
  if (!parsed.success) return undefined;
  const { verdict, checkedAt, lag, reason } = parsed.data;
  return {
    verdict,
    checkedAt,
    ...(lag === undefined ? {} : { lag }),
    ...(reason === undefined ? {} : { reason }),
  };
}
