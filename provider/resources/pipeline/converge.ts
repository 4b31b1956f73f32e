import { EnosApiError } from "../../client/errors.js";
import type { PipelineSummary } from "../../client/types.js";
import type { ProviderDeps } from "../common/deps.js";
import { mayHaveTakenEffect } from "../common/errors.js";
import { withLock } from "../../lifecycle/lock.js";
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

/** Work requested beyond reaching the desired state; each flag clears once done. */
export interface Intent {
  release: boolean;
  resetOffset: boolean;
  restart: boolean;
}

/** Codes that mean "the status moved under us": re-read and re-plan instead of failing. */
const CONFLICT_CODES = [61152, 61165, 61168, 61169];
const ORG_BUSY = 61121;
const NOT_FOUND = 61108;
const MAX_STEPS = 16;
const MAX_CONFLICTS = 3;
/** Calls whose answer was lost (reset, timeout, broken body, 5xx) that are re-read and re-planned, per run. */
const MAX_UNKNOWN_OUTCOMES = 3;

/** Thrown when converging stops; carries what was last observed so state can keep it. */
export class ConvergeError extends Error {
  constructor(
    readonly action: string,
    readonly observation: Observation | undefined,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "ConvergeError";
  }
}

/** Live status from the (shared) listing, falling back to the design view for never-released pipelines. */
export async function observePipeline(
  deps: PipelineDeps,
  spec: Pick<PipelineSpec, "orgId" | "pipelineId">,
  notBefore: number | undefined,
): Promise<Observation | undefined> {
  const client = deps.client();
  const row: PipelineSummary | undefined = await client.getPipelineStatus(
    spec.orgId,
    spec.pipelineId,
    notBefore === undefined ? {} : { notBefore },
  );
  if (row) {
    return {
      status: row.status,
      pipelineName: row.pipelineName,
      releasedVersion: row.version,
      draftVersion: undefined,
    };
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
    if (EnosApiError.isInstance(error) && error.code === NOT_FOUND) return undefined;
    throw error;
  }
}

/**
 * Drive the pipeline to `spec.desiredState`, performing the requested release/reset/restart on the way.
 * Observe → plan → do the first action → wait → observe again: every step re-plans from the live status,
 * so a change made by someone else in between is met, not fought.
 */
export async function converge(
  deps: PipelineDeps,
  spec: PipelineSpec,
  intent: Intent,
  deadline: number,
): Promise<Observation> {
  const label = spec.pipelineId;
  let notBefore = deps.clock();
  let conflicts = 0;
  let unknowns = 0;
  let observation: Observation | undefined;
  let current = "observe";
  try {
    for (let step = 0; step < MAX_STEPS; step += 1) {
      current = "observe";
      observation = await observePipeline(deps, spec, notBefore);
      if (!observation) throw new WaitError("vanished", undefined, [spec.desiredState], 0, 0);
      const kind = statusKind(observation.status);
      if (kind === "error")
        throw new WaitError("error-status", observation.status, [spec.desiredState], 0, 0);
      if (kind === "transitional") {
        current = `wait for ${observation.status} to settle`;
        await waitUntil(deps, spec, STABLE_STATUSES, undefined, deadline, undefined);
        notBefore = deps.clock();
        continue;
      }
      const plan = planTransition({
        observed: observation.status as StableStatus,
        desired: spec.desiredState,
        ...intent,
        restartStrategy: spec.restartStrategy,
      });
      for (const note of plan.notes) deps.log(`${label}: ${note}`);
      if (plan.notes.length > 0) intent.resetOffset = false;
      const action = plan.actions[0];
      if (action === undefined) return observation;
      deps.beforeActions?.(plan.actions);

      current = action;
      try {
        await perform(deps, spec, action, observation.status, deadline);
      } catch (error) {
        const conflict =
          (EnosApiError.isInstance(error) && CONFLICT_CODES.includes(error.code)) ||
          (WaitError.isInstance(error) && error.reason === "unexpected-status");
        if (conflict && conflicts < MAX_CONFLICTS) {
          conflicts += 1;
          deps.log(
            `${label}: ${action} met a status change (${shortCause(error)}); re-reading and re-planning`,
          );
          notBefore = deps.clock();
          continue;
        }
        if (EnosApiError.isInstance(error) && error.code === ORG_BUSY && deps.clock() < deadline) {
          // Another client is starting a job in this org; nothing happened to ours. Wait and re-plan.
          await deps.sleep(Math.min(1_000 + Math.random() * 1_000, Math.max(0, deadline - deps.clock())));
          notBefore = deps.clock();
          continue;
        }
        if (!mayHaveTakenEffect(error) || unknowns >= MAX_UNKNOWN_OUTCOMES) throw error;
        // The call may have been applied and its answer lost: never repeat it blindly. A status that moved on
        // means it was applied (its bookkeeping below runs); an unchanged one means re-plan, which may repeat it.
        unknowns += 1;
        current = `re-read after ${action}`;
        deps.log(
          `${label}: ${action} may or may not have reached EnOS (${shortCause(error)}); re-reading the status`,
        );
        const seen = await observePipeline(deps, spec, deps.clock());
        if (!seen) throw new WaitError("vanished", undefined, [spec.desiredState], 0, 0);
        notBefore = deps.clock();
        if (seen.status === observation.status) continue;
        deps.log(`${label}: ${action} took effect (now ${seen.status})`);
      }
      if (action === "release") intent.release = false;
      if (action === "resetOffset") intent.resetOffset = false;
      if (action === "pause" || action === "stop" || action === "start") intent.restart = false;
      notBefore = deps.clock();
    }
    throw new Error(
      `did not settle after ${MAX_STEPS} steps (last status ${observation?.status ?? "unknown"})`,
    );
  } catch (error) {
    // A failed wait saw a later status than the last observation: that is what state should record.
    const seen = WaitError.isInstance(error) ? error.lastStatus : undefined;
    const latest = observation && seen !== undefined ? { ...observation, status: seen } : observation;
    throw new ConvergeError(current, latest, error);
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
      await withLock(`start\u0000${orgId}`, async () => {
        try {
          await callAndWait(() => client.startPipeline(orgId, pipelineId, startBody(spec)));
        } catch (error) {
          // A start whose answer was lost may be running at EnOS, holding the org's start lock there: keep ours
          // until it settles, so the next start from this process does not meet 61121. The caller re-reads.
          if (mayHaveTakenEffect(error)) await settleQuietly(deps, spec, deadline);
          throw error;
        }
      });
      return;
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
