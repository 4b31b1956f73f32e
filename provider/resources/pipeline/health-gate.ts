import { withDeadline } from "../../client/deadline.js";
import { EnosApiError } from "../../client/errors.js";
import { haltRolloutSetting } from "../../config.js";
import { formatDuration, parseDuration } from "../../lifecycle/duration.js";
import { haltRollout, liftHalt } from "../../lifecycle/halt.js";
import {
  gateCheckpoints,
  healthVerdict,
  newestSample,
  uncheckedHealth,
  type Health,
  type HealthCheck,
  type LagSample,
} from "../../lifecycle/health.js";
import { statusKind } from "../../lifecycle/status.js";
import { describeCause } from "../common/errors.js";
import { observePipeline, perform, type Observation, type PipelineDeps } from "./converge.js";
import { judgedSettings, type PipelineSpec } from "./spec.js";

/**
 * The health gate's I/O: after a start, watch the pipeline for `stableFor` (status from the shared listing,
 * Get Pipeline Offset and Lag three times), judge it, and on failure halt the org's rollout and apply
 * `onUnhealthy`. The verdict logic is in lifecycle/health.ts.
 */

/** Time `onUnhealthy` may take when the operation's own deadline has (nearly) passed: it protects production. */
const ON_UNHEALTHY_GRACE_MS = 120_000;

/** The gate failed: what to report and what state should record. */
export class HealthGateFailure extends Error {
  constructor(
    message: string,
    readonly health: Health,
    readonly observation: Observation,
  ) {
    super(message);
    this.name = "HealthGateFailure";
  }
}

/**
 * The `health` output after an operation. Gated when a start was sent and the pipeline is meant to run and runs:
 * HEALTHY resolves; UNHEALTHY (or a window the deadline cannot hold) throws HealthGateFailure.
 */
export async function gateAfterStart(
  deps: PipelineDeps,
  spec: PipelineSpec,
  observed: Observation,
  startSent: boolean,
  previous: Health | undefined,
  deadline: number,
): Promise<Health | undefined> {
  const check = spec.healthCheck;
  if (check === undefined) return undefined;
  const gated = startSent && spec.desiredState === "RUNNING" && observed.status === "RUNNING";
  if (!gated) {
    return previous ?? uncheckedHealth(deps.clock(), "no start was made since the health check was declared");
  }
  const label = spec.pipelineId;
  const health = { ...(await watchHealth(deps, spec, check, deadline)), judged: judgedSettings(spec) };
  if (health.verdict === "HEALTHY") {
    liftHalt(spec.orgId, label);
    deps.log(`${label}: healthy after ${check.stableFor} (${figures(health)})`);
    return health;
  }
  const status = health.status;
  if (health.verdict === "UNCHECKED") {
    throw new HealthGateFailure(
      `the health check could not run: ${health.reason ?? "no time left"}. Next: raise timeouts (the window counts against the deadline) and run \`pulumi up\` again`,
      health,
      { ...observed, status },
    );
  }
  const reason = health.reason ?? "unhealthy";
  // Halt first: a start queued behind this one must not be sent while onUnhealthy runs.
  const halted = haltOrg(spec, reason);
  const applied = await applyOnUnhealthy(deps, spec, status, deadline);
  const message =
    `failed its health check: ${reason} (${figures(health)}). ${applied.note}` +
    (halted
      ? ` Rollout halted in org ${spec.orgId}: no other pipeline of it is started or released by this deployment.`
      : "") +
    " The verdict is kept in state: `pulumi up` with the same settings fails again without a start." +
    ` Next: inspect the job in the EnOS console (Stream Processing > Stream Operation); ${RETRY_ADVICE}.`;
  throw new HealthGateFailure(message, health, { ...observed, status: applied.status });
}

/** What to change after a failed verdict, for every message that reports one. */
export const RETRY_ADVICE =
  "fix the release (a new draft and releaseTrigger) or the start options and run `pulumi up`; to start these same settings again, set restartTrigger to a new value";

/**
 * Halt the rollout in the pipeline's org for `reason`, when `enos:haltRolloutOnUnhealthy` is on; says whether it
 * did.
 */
export function haltOrg(spec: Pick<PipelineSpec, "orgId" | "pipelineId">, reason: string): boolean {
  const enabled = haltRolloutSetting().enabled;
  if (enabled) haltRollout(spec.orgId, { pipelineId: spec.pipelineId, reason });
  return enabled;
}

/** Watch one window; never throws for EnOS failures (they become the verdict's reason). */
export async function watchHealth(
  deps: PipelineDeps,
  spec: PipelineSpec,
  check: HealthCheck,
  deadline: number,
): Promise<Health & { status: string }> {
  const windowMs = parseDuration(check.stableFor) ?? 0;
  const runningAt = deps.clock();
  if (runningAt + windowMs > deadline)
    return { ...windowDoesNotFit(check, runningAt, deadline), status: "RUNNING" };
  const label = spec.pipelineId;
  const client = deps.client();
  let first: LagSample | undefined;
  let last: LagSample | undefined;
  let readError: string | undefined;
  let status = "RUNNING";
  for (const point of gateCheckpoints(windowMs)) {
    const wait = runningAt + point.atMs - deps.clock();
    if (wait > 0) await deps.sleep(wait);
    // At 0 the status is the RUNNING converge just observed; later, a fresh (shared) listing.
    const seen = point.atMs === 0 ? { status } : await readStatus(deps, spec);
    if (seen.status !== "RUNNING") {
      const afterMs = deps.clock() - runningAt;
      const verdict = healthVerdict(
        check,
        { windowMs, leftRunning: { status: seen.status, afterMs }, ...(last ? { last } : {}) },
        deps.clock(),
      );
      return { ...verdict, status: seen.status };
    }
    status = seen.status;
    if (!point.readLag) continue;
    const read = await readLag(client, spec);
    if (read.sample) {
      const { sample } = read;
      first ??= sample;
      last = sample;
      readError = undefined;
      deps.log(
        `${label}: health check ${formatDuration(point.atMs)} of ${check.stableFor}: RUNNING, lag ${sample.lag}, offset ${sample.offset}`,
      );
    } else {
      readError = read.readError;
    }
  }
  const seen = {
    windowMs,
    ...(first ? { first } : {}),
    ...(last ? { last } : {}),
    ...(readError ? { readError } : {}),
  };
  return { ...healthVerdict(check, seen, deps.clock()), status };
}

/** The verdict when the window would end after the deadline: not checked, and why. */
function windowDoesNotFit(check: HealthCheck, runningAt: number, deadline: number): Health {
  const left = Math.max(0, deadline - runningAt);
  return uncheckedHealth(
    runningAt,
    `stableFor ${check.stableFor} does not fit in the ${formatDuration(left)} left before the deadline`,
  );
}

/** The newest offset-lag sample, or why there is none (an EnOS failure is reported, not thrown). */
export async function readLag(
  client: ReturnType<PipelineDeps["client"]>,
  spec: PipelineSpec,
): Promise<{ sample: LagSample; readError?: undefined } | { sample?: undefined; readError: string }> {
  try {
    const sample = newestSample((await client.getOffsetLag(spec.orgId, spec.pipelineId)).lagAndOffset);
    return sample ? { sample } : { readError: "EnOS returned no lag samples" };
  } catch (error) {
    // 99000 while RUNNING in the listing: the job may have just failed; the next status read tells.
    return {
      readError: EnosApiError.isInstance(error) ? `EnOS ${error.code}: ${error.msg}` : describeCause(error),
    };
  }
}

/** Status from the shared listing; a failed read or a vanished pipeline is reported as such, not thrown. */
export async function readStatus(deps: PipelineDeps, spec: PipelineSpec): Promise<{ status: string }> {
  try {
    const observed = await observePipeline(deps, spec, deps.clock());
    return { status: observed?.status ?? "DELETED" };
  } catch (error) {
    // An unreadable listing says nothing about the job; keep watching.
    deps.log(`${spec.pipelineId}: health check could not read the status (${describeCause(error)})`);
    return { status: "RUNNING" };
  }
}

/** Pause or stop an unhealthy pipeline as `onUnhealthy` says; says what happened in one sentence. */
async function applyOnUnhealthy(
  deps: PipelineDeps,
  spec: PipelineSpec,
  status: string,
  deadline: number,
): Promise<{ status: string; note: string }> {
  const policy = spec.onUnhealthy ?? "KEEP";
  if (policy === "KEEP") return { status, note: `onUnhealthy KEEP: the pipeline was left ${status}.` };
  const action =
    policy === "PAUSE"
      ? status === "RUNNING"
        ? "pause"
        : undefined
      : status === "RUNNING" || status === "PAUSED"
        ? "stop"
        : undefined;
  if (action === undefined) {
    const needs = policy === "PAUSE" ? "RUNNING" : "RUNNING or PAUSED";
    const kind = statusKind(status) === "error" ? " (an error status: stop it in the EnOS console)" : "";
    return {
      status,
      note: `onUnhealthy ${policy}: not applied, the pipeline is ${status}${kind} and ${policy.toLowerCase()} needs ${needs}.`,
    };
  }
  try {
    // The one call allowed past the operation's deadline: leaving an unhealthy pipeline running is worse.
    const grace = Math.max(deadline, deps.clock() + ON_UNHEALTHY_GRACE_MS);
    await withDeadline(grace, () => perform(deps, spec, action, status, grace));
    const done = action === "pause" ? "PAUSED" : "STOPPED";
    return { status: done, note: `onUnhealthy ${policy}: the pipeline was ${done.toLowerCase()}.` };
  } catch (error) {
    const seen = await readStatus(deps, spec);
    return {
      status: seen.status,
      note: `onUnhealthy ${policy} failed: ${describeCause(error)}; the pipeline is ${seen.status}.`,
    };
  }
}

export function figures(health: Health): string {
  const parts = [
    health.lag === undefined ? undefined : `lag ${health.lag}`,
    health.offsetsPerSecond === undefined ? undefined : `${health.offsetsPerSecond} offsets/s`,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(", ") : "no lag sample";
}
