import type { EnosApi, Flow, PipelineSummary } from "../client/types.js";
import type { DesiredState } from "../lifecycle/status.js";
import { statusKind } from "../lifecycle/status.js";
import { uniqueNames } from "./names.js";

/**
 * What an import found: resources that adopt each object exactly as it is now (so deploying them changes
 * nothing in EnOS), and the objects it left out, each with why.
 */
export interface ImportPlan {
  readonly orgId: string;
  readonly userId: string | undefined;
  readonly pipelines: readonly ImportedPipeline[];
  readonly flows: readonly ImportedFlow[];
  readonly skipped: readonly SkippedObject[];
}

export interface ImportedPipeline {
  readonly name: string;
  readonly pipelineId: string;
  readonly pipelineName: string;
  /** The live status the desired state was taken from. */
  readonly status: string;
  readonly desiredState: DesiredState;
  /** Things the reader should know and the generated inputs cannot say (CLUSTER mode, an unreleased draft). */
  readonly notes: readonly string[];
}

export interface ImportedFlow {
  readonly name: string;
  readonly flowId: number;
  readonly flowName: string;
  readonly enabled: boolean;
  readonly notes: readonly string[];
}

export interface SkippedObject {
  readonly kind: "pipeline" | "flow";
  readonly id: string;
  readonly name: string;
  readonly reason: string;
}

/** What to import. */
export interface ImportRequest {
  readonly orgId: string;
  /** The flow owner the flow reads act as; required when `flowIds` is not empty. */
  readonly userId: string | undefined;
  readonly flowIds: readonly number[];
  /** Keep only pipelines whose id or name this matches. */
  readonly match: RegExp | undefined;
  /** Told which listing starts next, for progress lines. */
  readonly onListing?: (listing: "released" | "design") => void;
}

/** The live status as the run state to keep; undefined for statuses an import must not guess at. */
export function desiredStateOf(status: string): DesiredState | undefined {
  switch (status) {
    case "RUNNING":
      return "RUNNING";
    case "PAUSED":
      return "PAUSED";
    case "PUBLISHED":
    case "STOPPED":
      return "STOPPED";
    default:
      return undefined;
  }
}

function whySkipped(status: string): string {
  if (statusKind(status) === "error") {
    return `status ${status}: fix the job in the EnOS console and stop it there, then import again`;
  }
  return `status ${status} is a transition in progress: import again once it has settled`;
}

/** A released pipeline whose live status is a run state to keep. */
interface Adoptable {
  readonly summary: PipelineSummary;
  readonly desiredState: DesiredState;
}

/**
 * List every pipeline of the org (released ones with their live status, and the design view for pipelines
 * never released and drafts newer than the release), read each named flow, and plan the resources.
 */
export async function planImport(enos: EnosApi, request: ImportRequest): Promise<ImportPlan> {
  const { released, design } = await listSelectedPipelines(enos, request);
  const skipped = neverReleased(design, released);
  const adoptable = sortAdoptable(released, skipped);
  const draftOf = new Map(design.map((p) => [p.pipelineId, p.version]));
  const pipelines = importedPipelines(adoptable, draftOf);
  const flows = await readFlows(enos, request, skipped);
  return {
    orgId: request.orgId,
    userId: request.userId,
    pipelines: pipelines.sort(byName),
    flows: flows.sort(byName),
    skipped,
  };
}

/** The org's released and design listings, each narrowed to the pipelines `match` selects. */
async function listSelectedPipelines(
  enos: EnosApi,
  { orgId, match, onListing }: ImportRequest,
): Promise<{ released: PipelineSummary[]; design: PipelineSummary[] }> {
  const selected = (p: PipelineSummary): boolean =>
    match === undefined || match.test(p.pipelineId) || match.test(p.pipelineName);
  onListing?.("released");
  const released = (await enos.listPipelines(orgId, { ifReleased: true })).filter(selected);
  onListing?.("design");
  const design = (await enos.listPipelines(orgId, { ifReleased: false })).filter(selected);
  return { released, design };
}

/** Pipelines only in the design view: nothing runs, so there is no run state to adopt. */
function neverReleased(
  design: readonly PipelineSummary[],
  released: readonly PipelineSummary[],
): SkippedObject[] {
  const releasedIds = new Set(released.map((p) => p.pipelineId));
  return design
    .filter((p) => !releasedIds.has(p.pipelineId))
    .map((p) => ({
      kind: "pipeline",
      id: p.pipelineId,
      name: p.pipelineName,
      reason:
        "never released, so there is no run state to adopt: release it in the EnOS console, or declare it by hand",
    }));
}

/** The released pipelines whose status is a run state; the others go to `skipped`, saying why. */
function sortAdoptable(released: readonly PipelineSummary[], skipped: SkippedObject[]): Adoptable[] {
  const adoptable: Adoptable[] = [];
  for (const summary of released) {
    const desiredState = desiredStateOf(summary.status);
    if (desiredState === undefined) {
      skipped.push({
        kind: "pipeline",
        id: summary.pipelineId,
        name: summary.pipelineName,
        reason: whySkipped(summary.status),
      });
    } else {
      adoptable.push({ summary, desiredState });
    }
  }
  return adoptable;
}

/** One resource per adoptable pipeline, named uniquely, with notes on what the import could not carry over. */
function importedPipelines(
  adoptable: readonly Adoptable[],
  draftOf: ReadonlyMap<string, string | undefined>,
): ImportedPipeline[] {
  const names = uniqueNames(
    adoptable.map(({ summary }) => ({ id: summary.pipelineId, displayName: summary.pipelineName })),
    "pipeline",
  );
  return adoptable.map(({ summary, desiredState }) => ({
    name: names.get(summary.pipelineId) ?? summary.pipelineId,
    pipelineId: summary.pipelineId,
    pipelineName: summary.pipelineName,
    status: summary.status,
    desiredState,
    notes: pipelineNotes(summary, draftOf.get(summary.pipelineId)),
  }));
}

/** What the user must still declare by hand: CLUSTER resources, and a saved draft newer than the release. */
function pipelineNotes(summary: PipelineSummary, draft: string | undefined): string[] {
  const notes: string[] = [];
  if (summary.executionMode === 1) {
    notes.push(
      'EnOS runs it in CLUSTER mode and does not report its resources: before its next start, set executionMode: "CLUSTER" and resourceConfig: { server, yarn: { workerCount, master, slave } }',
    );
  }
  if (draft !== undefined && draft !== summary.version) {
    notes.push(
      `draft version ${draft} is saved but not released (released: ${summary.version ?? "unknown"}); set releaseTrigger to publish it`,
    );
  }
  return notes;
}

async function readFlows(
  enos: EnosApi,
  request: ImportRequest,
  skipped: SkippedObject[],
): Promise<ImportedFlow[]> {
  const { orgId, userId } = request;
  if (request.flowIds.length === 0 || userId === undefined) return [];
  const found: Flow[] = [];
  for (const flowId of [...new Set(request.flowIds)]) {
    const flow = await enos.getFlow(orgId, userId, flowId);
    const owners = (flow.owner ?? "")
      .split(";")
      .map((owner) => owner.trim())
      .filter(Boolean);
    if (owners.length > 0 && !owners.includes(userId)) {
      skipped.push({
        kind: "flow",
        id: String(flow.flowId),
        name: flow.flowName,
        reason: `user ${userId} does not own it (owners: ${owners.join(", ")}): import it with --user <owner>`,
      });
    } else {
      found.push(flow);
    }
  }
  const names = uniqueNames(
    found.map((flow) => ({ id: String(flow.flowId), displayName: flow.flowName })),
    "flow",
  );
  return found.map((flow) => ({
    name: names.get(String(flow.flowId)) ?? `flow-${flow.flowId}`,
    flowId: flow.flowId,
    flowName: flow.flowName,
    enabled: flow.active === 1,
    notes:
      flow.locked || flow.isUserLocked
        ? ["locked in EnOS: the schedule cannot be changed until it is unlocked"]
        : [],
  }));
}

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
