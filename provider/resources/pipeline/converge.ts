import { isOrgBusy, isPipelineNotFound, isStatusConflict } from "../../client/codes.js";
import { EnosApiError } from "../../client/errors.js";
import type { PipelineSummary } from "../../client/types.js";
import type { ProviderDeps } from "../common/deps.js";
import { mayHaveTakenEffect } from "../common/errors.js";
import { reconcile, ReconcileError } from "../common/reconcile.js";
import { OrgBusyWait } from "./org-busy.js";
import { LockWaitExpired, withLock } from "../../lifecycle/lock.js";
import { ACTION_TARGET, planTransition, type PipelineAction } from "../../lifecycle/planner.js";
import { STABLE_STATUSES, statusKind, UNRELEASED, type StableStatus } from "../../lifecycle/status.js";
import { expectedDuration, recordDuration } from "../../lifecycle/timings.js";
import { observedDuration, WaitError, waitForStatus } from "../../lifecycle/waiter.js";
import { startBody, type PipelineSpec } from "./spec.js";

export type PipelineDeps = ProviderDeps & {
  /** Called with a plan before its first action is performed; may throw to refuse it (the rollout halt). */
  readonly beforeActions?: (actions: readonly PipelineAction[]) => void;
};

/** The live facts about a pipeline that go into outputs. */
export interface Observation {
  readonly status: string;
  readonly pipelineName: string;
  readonly releasedVersion: string | undefined;
  readonly draftVersion: string | undefined;
}

/** Work requested beyond reaching the desired state. */
export interface Intent {
  readonly release: boolean;
  readonly resetOffset: boolean;
  readonly restart: boolean;
}

/** What a successful converge saw last, and the requested work still owed (none, unless it could not apply). */
export interface ConvergeResult {
  readonly observation: Observation;
  readonly owed: Intent;
}

const MAX_STEPS = 16;
/** Status conflicts (someone else changed the pipeline under a call) re-planned per run. */
const MAX_CONFLICTS = 3;
/** Calls whose answer was lost (reset, timeout, broken body, 5xx) that are re-read and re-planned, per run. */
const MAX_UNKNOWN_OUTCOMES = 3;

/** Thrown when converging stops; carries what was last observed and the work still owed, so state can keep it. */
export class ConvergeError extends Error {
  constructor(
    readonly action: string,
    readonly observation: Observation | undefined,
    override readonly cause: unknown,
    readonly owed: Intent,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "ConvergeError";
  }
}

/** What a listing row says about the pipeline (a listing carries no draft version). */
function observedIn(row: PipelineSummary): Observation {
  return {
    status: row.status,
    pipelineName: row.pipelineName,
    releasedVersion: row.version,
    draftVersion: undefined,
  };
}

/** Live status from the (shared) listing, falling back to the design view for never-released pipelines. */
export async function observePipeline(
  deps: PipelineDeps,
  spec: Pick<PipelineSpec, "orgId" | "pipelineId">,
  notBefore: number | undefined,
  refresh?: boolean,
): Promise<Observation | undefined> {
  const client = deps.client();
  const row: PipelineSummary | undefined = await client.getPipelineStatus(
    spec.orgId,
    spec.pipelineId,
    notBefore === undefined ? (refresh === true ? { refresh } : {}) : { notBefore },
  );
  if (row) return observedIn(row);
  // Missing from one listing is not gone yet: a page-based listing skips a row when another pipeline is
  // deleted between two page reads. Ask the pipeline itself (Get Pipeline Details; 61108 when never released
  // or gone) and, if it is released after all, list again.
  if (await isReleased(deps, spec)) {
    const again = await client.getPipelineStatus(spec.orgId, spec.pipelineId, { notBefore: deps.clock() });
    if (again) return observedIn(again);
    throw new Error(
      `pipeline ${spec.pipelineId} is released (Get Pipeline Details) but missing from two listings of org ${spec.orgId}; run the command again`,
    );
  }
  try {
    const draft = await client.getPipeline(spec.orgId, spec.pipelineId);
    return {
      status: UNRELEASED,
      pipelineName: draft.pipelineName,
      releasedVersion: undefined,
      draftVersion: draft.version,
    };
  } catch (error) {
    if (isPipelineNotFound(error)) return undefined;
    throw error;
  }
}

/** Whether Get Pipeline Details finds a released version (61108: never released, or no such pipeline). */
async function isReleased(
  deps: PipelineDeps,
  spec: Pick<PipelineSpec, "orgId" | "pipelineId">,
): Promise<boolean> {
  try {
    await deps.client().getPipeline(spec.orgId, spec.pipelineId, { ifReleased: true });
    return true;
  } catch (error) {
    if (isPipelineNotFound(error)) return false;
    throw error;
  }
}

/**
 * Drive the pipeline to `spec.desiredState`, performing the requested release/reset/restart on the way.
 * Observe → plan → do the first action → wait → observe again (see reconcile): every step re-plans from the
 * live status, so a change made by someone else in between is met, not fought. Resolves the last observation
 * and the work still owed; fails with a ConvergeError carrying both.
 */
export async function converge(
  deps: PipelineDeps,
  spec: PipelineSpec,
  intent: Intent,
  deadline: number,
): Promise<ConvergeResult> {
  const label = spec.pipelineId;
  let owed: Intent = { ...intent };
  try {
    const observation = await reconcile<Observation>({
      label,
      maxSteps: MAX_STEPS,
      maxLostAnswers: MAX_UNKNOWN_OUTCOMES,
      log: deps.log,
      read: (track) => observeSettled(deps, spec, deadline, track),
      plan: (seen) => {
        const plan = planTransition({
          observed: seen.status as StableStatus,
          desired: spec.desiredState,
          ...owed,
          restartStrategy: spec.restartStrategy,
        });
        for (const note of plan.notes) deps.log(`${label}: ${note}`);
        // A note says requested work cannot apply from this status (nothing to reset): it is dropped, not owed.
        if (plan.notes.length > 0) owed = { ...owed, resetOffset: false };
        const action = plan.actions[0];
        if (action === undefined) return undefined;
        deps.beforeActions?.(plan.actions);
        return {
          name: action,
          run: () => perform(deps, spec, action, seen.status, deadline),
          // A status that moved on after a lost answer means the call was applied.
          tookEffect: (after) => after.status !== seen.status,
          done: () => {
            owed = settleOwed(owed, action);
          },
        };
      },
      recover: recoverFromConflicts(deps, label, new OrgBusyWait(deps, spec, deadline)),
    });
    return { observation, owed };
  } catch (error) {
    if (!ReconcileError.isInstance(error)) throw error;
    throw convergeErrorFrom(error, owed);
  }
}

/**
 * The recovery policy of a step that failed without effect: a status conflict (someone else moved the pipeline)
 * is re-read and re-planned up to MAX_CONFLICTS times; an org busy starting another job is waited out.
 */
function recoverFromConflicts(
  deps: PipelineDeps,
  label: string,
  orgBusy: OrgBusyWait,
): (error: unknown, step: { readonly name: string }) => Promise<boolean> {
  let conflicts = 0;
  return async (error, step) => {
    const conflict =
      isStatusConflict(error) || (WaitError.isInstance(error) && error.reason === "unexpected-status");
    if (conflict && conflicts < MAX_CONFLICTS) {
      conflicts += 1;
      deps.log(
        `${label}: ${step.name} met a status change (${shortCause(error)}); re-reading and re-planning`,
      );
      return true;
    }
    // Another client is starting a job in this org; nothing happened to ours. Wait and re-plan.
    if (isOrgBusy(error)) return orgBusy.wait();
    return false;
  };
}

/** The ConvergeError for a reconcile that stopped: the latest status seen, and the work still owed. */
function convergeErrorFrom(error: ReconcileError<unknown>, owed: Intent): ConvergeError {
  const observation = error.lastSeen as Observation | undefined;
  // A failed wait saw a later status than the last observation: that is what state should record.
  const seen = WaitError.isInstance(error.cause) ? error.cause.lastStatus : undefined;
  const latest = observation && seen !== undefined ? { ...observation, status: seen } : observation;
  return new ConvergeError(error.during, latest, error.cause, owed);
}

/** The intent once `action` has been done. */
function settleOwed(owed: Intent, action: PipelineAction): Intent {
  switch (action) {
    case "release":
      return { ...owed, release: false };
    case "resetOffset":
      return { ...owed, resetOffset: false };
    default:
      return { ...owed, restart: false };
  }
}

/**
 * The live status once no transition is in progress. A pipeline gone or in an error status fails: converge
 * never acts on either.
 */
async function observeSettled(
  deps: PipelineDeps,
  spec: PipelineSpec,
  deadline: number,
  track: (activity: string) => void,
): Promise<Observation> {
  for (;;) {
    track("observe");
    const observation = await observePipeline(deps, spec, deps.clock());
    if (!observation) throw new WaitError("vanished", undefined, [spec.desiredState], 0, 0);
    const kind = statusKind(observation.status);
    if (kind === "stable") return observation;
    if (kind === "error") throw new WaitError("error-status", observation.status, [spec.desiredState], 0, 0);
    track(`wait for ${observation.status} to settle`);
    await waitUntil(deps, spec, STABLE_STATUSES, undefined, deadline, undefined);
  }
}

/** The live status once no transition is in progress (undefined: the pipeline is gone). */
export async function settle(
  deps: PipelineDeps,
  spec: PipelineSpec,
  deadline: number,
): Promise<Observation | undefined> {
  const observation = await observePipeline(deps, spec, deps.clock());
  if (!observation || statusKind(observation.status) !== "transitional") return observation;
  await waitUntil(deps, spec, STABLE_STATUSES, undefined, deadline, undefined);
  return observePipeline(deps, spec, deps.clock());
}

/** One EnOS call and the wait for its target status. Starts are queued per org (EnOS allows one at a time). */
export async function perform(
  deps: PipelineDeps,
  spec: PipelineSpec,
  action: PipelineAction,
  from: string,
  deadline: number,
): Promise<void> {
  const client = deps.client();
  const { orgId, pipelineId } = spec;
  const target = ACTION_TARGET[action];
  const callAndWait = async (call: () => Promise<void>): Promise<void> => {
    await call();
    if (target === undefined) return;
    const result = await waitUntil(deps, spec, [target], from, deadline, expectedDuration(orgId, action));
    recordDuration(orgId, action, observedDuration(result));
  };
  switch (action) {
    case "start":
      return startInTurn(deps, spec, from, deadline, () =>
        callAndWait(() => client.startPipeline(orgId, pipelineId, startBody(spec), { retryOrgBusy: false })),
      );
    case "pause":
      return callAndWait(() => client.pausePipeline(orgId, pipelineId));
    case "stop":
      return callAndWait(() => client.stopPipeline(orgId, pipelineId));
    case "release":
      return callAndWait(() => client.releasePipeline(orgId, pipelineId));
    case "resetOffset":
      return callAndWait(() => client.resetPipelineOffset(orgId, pipelineId));
  }
}

/**
 * A start, queued behind this process's other starts in the org (EnOS runs one at a time per org). The wait for
 * the queue counts against the deadline: when the start's turn would come after it, the start is not sent.
 */
async function startInTurn(
  deps: PipelineDeps,
  spec: PipelineSpec,
  from: string,
  deadline: number,
  start: () => Promise<void>,
): Promise<void> {
  const queuedAt = deps.clock();
  try {
    await withLock(
      `start\u0000${spec.orgId}`,
      async () => {
        try {
          await start();
        } catch (error) {
          // A start whose answer was lost may be running at EnOS, holding the org's start lock there: keep ours
          // until it settles, so the next start from this process does not meet 61121. The caller re-reads.
          if (mayHaveTakenEffect(error)) await settleQuietly(deps, spec, deadline);
          throw error;
        }
      },
      deadline - queuedAt,
    );
  } catch (error) {
    if (!(error instanceof LockWaitExpired)) throw error;
    throw new WaitError("queued", from, ["RUNNING"], deps.clock() - queuedAt, 0);
  }
}

/** Wait while the pipeline shows a transitional status; any failure is left to the caller's own re-read. */
async function settleQuietly(deps: PipelineDeps, spec: PipelineSpec, deadline: number): Promise<void> {
  try {
    const seen = await observePipeline(deps, spec, deps.clock());
    if (seen && statusKind(seen.status) === "transitional") {
      await waitUntil(deps, spec, STABLE_STATUSES, undefined, deadline, undefined);
    }
  } catch {
    // Nothing to add: the caller reports the original failure or re-reads.
  }
}

function waitUntil(
  deps: PipelineDeps,
  spec: PipelineSpec,
  target: readonly string[],
  from: string | undefined,
  deadline: number,
  expectedMs: number | undefined,
) {
  const started = deps.clock();
  return waitForStatus({
    target,
    ...(from === undefined ? {} : { from }),
    deadline,
    clock: deps.clock,
    sleep: deps.sleep,
    expectedMs,
    poll: async () => (await observePipeline(deps, spec, started))?.status,
    onProgress: ({ status, elapsedMs, remainingMs }) => {
      deps.log(
        `${spec.pipelineId}: ${status ?? "unknown"} for ${Math.round(elapsedMs / 1000)}s, waiting for ${target.join("/")} (deadline in ${Math.round(remainingMs / 1000)}s)`,
      );
    },
  });
}

function shortCause(error: unknown): string {
  if (EnosApiError.isInstance(error)) return `EnOS ${error.code}: ${error.msg}`;
  return error instanceof Error ? error.message : String(error);
}
