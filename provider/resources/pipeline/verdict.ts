import { liftHalt } from "../../lifecycle/halt.js";
import { uncheckedHealth, type Health } from "../../lifecycle/health.js";
import { settle, type Intent, type Observation, type PipelineDeps } from "./converge.js";
import { figures, haltOrg, HealthGateFailure, readLag, RETRY_ADVICE, watchHealth } from "./health-gate.js";
import { judgedSettings, stableJson, type PipelineSpec } from "./spec.js";

/**
 * Durable verdicts: a failed health check is kept in state with what it judged, and it stands until the
 * settings change, the program asks for a new start (`restartTrigger`), or the pipeline is re-judged healthy
 * without a start. A retried `pulumi up` therefore fails again instead of going green over a bad release, and
 * the halt of its organisation's rollout is re-established from state by every new provider process.
 */

/**
 * The failed verdict that still stands for `spec`, if any: judged on these very settings, and UNHEALTHY, or
 * UNCHECKED because the operation that started them failed before a verdict (a start must never go unjudged). A
 * verdict written before verdicts recorded their settings stands, if UNHEALTHY, while nothing asks for a new
 * start. Only a pipeline that is health-checked and meant to run has one: nothing else would be started.
 */
export function standingFailure(
  previous: Health | undefined,
  spec: PipelineSpec,
  intent: Intent,
): Health | undefined {
  if (spec.healthCheck === undefined || spec.desiredState !== "RUNNING" || previous === undefined)
    return undefined;
  if (previous.judged === undefined)
    return previous.verdict === "UNHEALTHY" && !intent.release && !intent.resetOffset && !intent.restart
      ? previous
      : undefined;
  if (previous.verdict === "HEALTHY") return undefined;
  return stableJson(previous.judged) === stableJson(judgedSettings(spec)) ? previous : undefined;
}

/** The verdict for settings that were started by an operation that then failed before judging them. */
export function unjudgedStart(spec: PipelineSpec, now: number, why: string): Health {
  return {
    ...uncheckedHealth(now, `started, but the operation failed before the health check: ${why}`),
    judged: judgedSettings(spec),
  };
}

/** The standing verdict in words, for plan lines and errors. */
export function describeStanding(standing: Health): string {
  const what = standing.verdict === "UNHEALTHY" ? "failed its health check" : "was never judged";
  return `its last start with these settings ${what} at ${standing.checkedAt} (${standing.reason ?? standing.verdict})`;
}

/** Halt the organisation's rollout for a standing failure (when the halt is on): recorded state, not memory. */
export function haltForStanding(spec: PipelineSpec, standing: Health): void {
  haltOrg(spec, standing.reason ?? "unhealthy");
}

/**
 * Judge a pipeline whose failed verdict stands, without starting it: not RUNNING fails at once; RUNNING with its
 * newest lag over maxLag fails after one offset-lag call; otherwise a full window decides, and a pipeline that
 * recovered on its own passes (and lifts the halt it caused). Throws HealthGateFailure when it fails.
 */
export async function rejudgeWithoutStart(
  deps: PipelineDeps,
  spec: PipelineSpec,
  standing: Health,
  deadline: number,
): Promise<{ observed: Observation; health: Health }> {
  haltForStanding(spec, standing);
  // A start still under way (or a stop) is waited out first: the pipeline is judged as it settles.
  const observed = await settle(deps, spec, deadline);
  if (observed === undefined)
    throw new Error(`pipeline ${spec.pipelineId} no longer exists in org ${spec.orgId}`);
  const judged = judgedSettings(spec);
  const fail = (health: Health, what: string): never => {
    throw new HealthGateFailure(
      `not started: ${describeStanding(standing)}; ${what}. Next: ${RETRY_ADVICE}`,
      { ...health, judged },
      observed,
    );
  };
  if (observed.status !== "RUNNING") fail(standing, `the pipeline is ${observed.status}`);
  const check = spec.healthCheck;
  if (check === undefined) return { observed, health: standing };
  const quick = await readLag(deps.client(), spec);
  if (check.maxLag !== undefined && quick.sample !== undefined && quick.sample.lag > check.maxLag) {
    const reason = `lag ${quick.sample.lag} > maxLag ${check.maxLag} (re-judged without a start)`;
    const now = new Date(deps.clock()).toISOString();
    fail(
      { verdict: "UNHEALTHY", checkedAt: now, lag: quick.sample.lag, reason },
      `it is still unhealthy: ${reason}`,
    );
  }
  deps.log(
    `${spec.pipelineId}: ${describeStanding(standing)}; re-judging it for ${check.stableFor} without a start`,
  );
  const { status, ...health } = await watchHealth(deps, spec, check, deadline);
  if (health.verdict !== "HEALTHY")
    fail(health, `re-judged without a start: ${health.reason ?? health.verdict} (status ${status})`);
  liftHalt(spec.orgId, spec.pipelineId);
  deps.log(`${spec.pipelineId}: re-judged without a start: healthy (${figures(health)})`);
  return { observed, health: { ...health, judged } };
}
