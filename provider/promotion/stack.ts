import * as pulumi from "@pulumi/pulumi";
import { parseDuration } from "../lifecycle/duration.js";
import type { EnosFlowSchedule } from "../resources/flow/resource.js";
import type { EnosPipelineDeployment } from "../resources/pipeline/resource.js";
import {
  EVIDENCE_SCHEMA_VERSION,
  healthEvidence,
  parseEvidence,
  type EnosEvidence,
  type FlowEvidence,
  type PipelineEvidence,
} from "./evidence.js";
import { blockedLines, judgePromotion, type PromotionEntry, type PromotionVerdict } from "./gate.js";

/**
 * The promotion gate inside a Pulumi program: read the source stack's `enos` output and this stack's own last one
 * through stack references, judge, and refuse before any resource is declared (so before any EnOS call).
 */

/** Where a stack promotes from: `pulumi-enos:promotion: {from: staging, soak: 30m}`. */
export interface PromotionSettings {
  /** A stack of this project (`staging`) or a fully qualified `org/project/stack`. */
  readonly from: string;
  /** How long the source must have judged the release HEALTHY ("30m"; "0s" for no soak). */
  readonly soak: string;
}

/** Reported without a stack trace: the program stopped on purpose, the message says why and what to do. */
export class PromotionError extends pulumi.RunError {
  constructor(message: string) {
    super(message);
    this.name = "PromotionError";
  }
}

const STACK_PART = /^[A-Za-z0-9_.-]+$/;

/** Checks `pulumi-enos:promotion` (or another `key`); undefined when not set. Every problem in one error. */
export function parsePromotionSettings(raw: unknown, key: string): PromotionSettings | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new PromotionError(`${key}: must be a map such as {from: staging, soak: 30m}`);
  const { from, soak, ...rest } = raw as Record<string, unknown>;
  const problems = Object.keys(rest).map((k) => `${key}.${k}: not a promotion setting (from, soak)`);
  const parts = typeof from === "string" ? from.split("/") : [];
  if (!(parts.length === 1 || parts.length === 3) || !parts.every((p) => STACK_PART.test(p)))
    problems.push(`${key}.from: must name the source stack, e.g. staging or org/project/staging`);
  if (typeof soak !== "string" || parseDuration(soak) === undefined)
    problems.push(`${key}.soak: must be a duration such as "30m" or "2h" ("0s" for no soak)`);
  if (problems.length > 0) throw new PromotionError(`Invalid stack config:\n  - ${problems.join("\n  - ")}`);
  return { from: from as string, soak: soak as string };
}

/** `staging` → `org/project/staging` of the running program; a qualified name as it is. */
export function qualifiedStackName(name: string): string {
  return name.includes("/") ? name : `${organization()}/${pulumi.getProject()}/${name}`;
}

/** The engine's organization; `organization` (what file backends use) when the engine passed none. */
function organization(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return "organization";
  }
}

/** The `enos` output of `stack` through a stack reference; a stack that cannot be read fails naming it. */
export async function readStackEvidence(
  resourceName: string,
  stack: string,
  setting = "promotion.from",
): Promise<EnosEvidence | undefined> {
  let value: unknown;
  try {
    const ref = new pulumi.StackReference(resourceName, { name: stack });
    const details = await ref.getOutputDetails("enos");
    value = details.value ?? details.secretValue;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new PromotionError(
      `${setting}: cannot read stack ${stack} (${why.trim()}): name an existing stack (\`pulumi stack ls\`), ` +
        `as stack or org/project/stack`,
    );
  }
  try {
    return parseEvidence(value, stack);
  } catch (error) {
    throw new PromotionError(`${setting}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface PromotionGateArgs extends PromotionSettings {
  /** This stack's pipeline entries: resource name and declared `releaseTrigger`. */
  readonly entries: readonly PromotionEntry[];
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** The config key named in messages (default `promotion`). */
  readonly setting?: string;
}

/**
 * Judges every entry against the source stack's evidence and throws one {@link PromotionError} listing each
 * blocked entry (`name: reason`, one a line). Call it before declaring the resources, so a refused promotion
 * makes no EnOS call. Returns the verdicts (with provenance) for {@link enosEvidence}.
 */
export async function promotionGate(args: PromotionGateArgs): Promise<PromotionVerdict[]> {
  const setting = args.setting ?? "promotion";
  const sourceStack = qualifiedStackName(args.from);
  const self = qualifiedStackName(pulumi.getStack());
  if (sourceStack === self) throw new PromotionError(`${setting}.from: a stack cannot promote from itself`);
  const [source, deployed] = await Promise.all([
    readStackEvidence("enos-promotion-source", sourceStack, `${setting}.from`),
    readStackEvidence("enos-promotion-deployed", self, "this stack's own enos output"),
  ]);
  const verdicts = judgePromotion({
    sourceLabel: args.from,
    source,
    deployed,
    entries: args.entries,
    soak: args.soak,
    now: (args.now ?? Date.now)(),
  });
  const blocked = blockedLines(verdicts);
  if (blocked.length > 0)
    throw new PromotionError(
      `${pulumi.getStack()} does not take ${blocked.length === 1 ? "this release" : "these releases"} from ${args.from} ` +
        `(${setting}: soak ${args.soak}); nothing was sent to EnOS:\n  ${blocked.join("\n  ")}`,
    );
  return verdicts;
}

/** One pipeline's evidence, from the resource's outputs. */
function pipelineEvidence(
  pipeline: EnosPipelineDeployment,
  verdict: PromotionVerdict | undefined,
): pulumi.Output<PipelineEvidence> {
  return pulumi
    .all([
      pipeline.pipelineId,
      pipeline.releaseTrigger,
      pipeline.releasedVersion,
      pipeline.status,
      pipeline.health,
    ])
    .apply(([pipelineId, releaseTrigger, releasedVersion, status, health]) => {
      const judged = healthEvidence(health);
      const provenance = verdict?.provenance;
      return {
        pipelineId,
        status,
        ...(releaseTrigger === undefined ? {} : { releaseTrigger }),
        ...(releasedVersion === undefined ? {} : { releasedVersion }),
        ...(judged ? { health: judged } : {}),
        ...(provenance && provenance.releaseTrigger === releaseTrigger ? { promotedFrom: provenance } : {}),
      };
    });
}

/**
 * The `enos` stack output (schema version 1, docs/promotion.md): per pipeline its id, releaseTrigger, released
 * version, status, health verdict and, for a promoted release, where it came from; per flow its id and schedule.
 */
export function enosEvidence(args: {
  readonly pipelines: Readonly<Record<string, EnosPipelineDeployment>>;
  readonly flows?: Readonly<Record<string, EnosFlowSchedule>>;
  readonly verdicts?: readonly PromotionVerdict[];
}): pulumi.Output<EnosEvidence> {
  const pipelines = Object.fromEntries(
    Object.entries(args.pipelines).map(([name, p]) => [
      name,
      pipelineEvidence(
        p,
        args.verdicts?.find((v) => v.name === name),
      ),
    ]),
  );
  const flows = Object.fromEntries(
    Object.entries(args.flows ?? {}).map(([name, f]) => [
      name,
      pulumi.all([f.flowId, f.enabled]).apply(([flowId, enabled]): FlowEvidence => ({ flowId, enabled })),
    ]),
  );
  return pulumi.output({
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    stack: qualifiedStackName(pulumi.getStack()),
    pipelines,
    flows,
  });
}
