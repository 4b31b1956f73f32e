/**
 * Judging one resource from what the refresh-preview saw: the outputs recorded in state, the outputs EnOS gives
 * now (or none: deleted), and the inputs the program asks for with the stack's current config. Pure: the tables
 * in test/unit/drift-classify.test.ts cover it.
 */
import { describeActions, planTransition } from "../lifecycle/planner.js";
import { isStableStatus, satisfiesDesired, statusKind, type DesiredState } from "../lifecycle/status.js";
import {
  FLOW_TYPE,
  PIPELINE_TYPE,
  shortType,
  type DriftKind,
  type Facts,
  type ResourceDrift,
} from "./model.js";

type Props = Readonly<Record<string, unknown>>;

/** One resource as the preview reported it. */
export interface Sighting {
  readonly urn: string;
  readonly type: string;
  /** Outputs recorded in state before the refresh. */
  readonly stored: Props;
  /** Outputs read from EnOS by the refresh; undefined when the object is gone. */
  readonly observed: Props | undefined;
  /** Inputs from the program, when it registered the resource. */
  readonly desired: Props | undefined;
  /** The step the preview planned after the refresh (`same`, `update`, `create`, `delete`, …). */
  readonly op: string | undefined;
  /** False for a resource new in the program: nothing recorded, so nothing can have drifted. */
  readonly inState: boolean;
}

interface Verdict {
  readonly drift: DriftKind;
  readonly desired: Facts;
  readonly observed: Facts | null;
  readonly plan: string;
}

const text = (value: unknown): string | null =>
  typeof value === "string" || typeof value === "number" ? String(value) : null;

const DESIRED_STATES = new Set(["RUNNING", "PAUSED", "STOPPED"]);

/** What `pulumi up` does to bring `status` to `desired` (the provider's own planner, no release or restart). */
function statusPlan(status: string, desired: DesiredState, restartStrategy: unknown): string {
  if (statusKind(status) === "error")
    return `nothing until ${status} is fixed in the EnOS console (up fails)`;
  if (!isStableStatus(status)) return `wait for ${status} to settle, then re-plan`;
  const plan = planTransition({
    observed: status,
    desired,
    release: false,
    resetOffset: false,
    restart: false,
    restartStrategy: restartStrategy === "STOP" ? "STOP" : "PAUSE",
  });
  return describeActions(plan.actions);
}

/** `nothing`, or the engine's step when the program itself changed something (not drift, but worth saying). */
function quietPlan(op: string | undefined): string {
  return op === undefined || op === "same" || op === "refresh" ? "nothing" : `${op} (the program changed)`;
}

function judgePipeline(s: Sighting): Verdict {
  const wanted = s.desired ?? s.stored;
  const desiredState = (
    DESIRED_STATES.has(String(wanted.desiredState)) ? wanted.desiredState : "RUNNING"
  ) as DesiredState;
  const checksHealth = wanted.healthCheck !== undefined && wanted.healthCheck !== null;
  const desired: Facts = {
    status: desiredState,
    releasedVersion: text(s.stored.releasedVersion),
    ...(checksHealth ? { health: "HEALTHY" } : {}),
  };
  if (s.observed === undefined) return { drift: "gone", desired, observed: null, plan: "remove from state" };
  const status = text(s.observed.status) ?? "unknown";
  const verdict = (s.observed.health as { verdict?: unknown } | undefined)?.verdict;
  const observed: Facts = {
    status,
    releasedVersion: text(s.observed.releasedVersion),
    ...(checksHealth ? { health: text(verdict) } : {}),
  };
  if (!satisfiesDesired(status, desiredState)) {
    return {
      drift: "status",
      desired,
      observed,
      plan: statusPlan(status, desiredState, wanted.restartStrategy),
    };
  }
  if (desired.releasedVersion !== null && observed.releasedVersion !== desired.releasedVersion) {
    return { drift: "released", desired, observed, plan: "nothing (refresh records the new version)" };
  }
  if (checksHealth && status === "RUNNING" && verdict === "UNHEALTHY") {
    return { drift: "health", desired, observed, plan: "nothing (health is judged after the next start)" };
  }
  return { drift: "none", desired, observed, plan: quietPlan(s.op) };
}

function judgeFlow(s: Sighting): Verdict {
  const wanted = s.desired ?? s.stored;
  const desired: Facts = { enabled: wanted.enabled !== false };
  if (s.observed === undefined) return { drift: "gone", desired, observed: null, plan: "remove from state" };
  const observed: Facts = { enabled: s.observed.active === true };
  if (observed.enabled !== desired.enabled) {
    return { drift: "enabled", desired, observed, plan: desired.enabled ? "enable" : "disable" };
  }
  return { drift: "none", desired, observed, plan: quietPlan(s.op) };
}

/** Whether a type is one this package judges. */
export function isJudged(type: string): boolean {
  return type === PIPELINE_TYPE || type === FLOW_TYPE;
}

/** The report row of one resource of this package. */
export function judge(s: Sighting): ResourceDrift {
  const judged = s.type === PIPELINE_TYPE ? judgePipeline(s) : judgeFlow(s);
  const verdict = s.inState ? judged : { ...judged, drift: "none" as const, plan: quietPlan(s.op) };
  const idKey = s.type === PIPELINE_TYPE ? "pipelineId" : "flowId";
  const id = text(s.stored[idKey]) ?? text(s.desired?.[idKey]) ?? "";
  return {
    urn: s.urn,
    type: shortType(s.type),
    name: s.urn.slice(s.urn.lastIndexOf("::") + 2),
    id,
    ...verdict,
  };
}
