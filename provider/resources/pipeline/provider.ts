import type * as pulumi from "@pulumi/pulumi";
import { isOrgBusy } from "../../client/codes.js";
import { withDeadline } from "../../client/deadline.js";
import { EnosApiError, EnosDeadlineError } from "../../client/errors.js";
import { rememberStackConfig, stackDefault } from "../../config.js";
import { adopterOf, noteCheckedAdoption } from "../../lifecycle/adoption.js";
import { parseDuration } from "../../lifecycle/duration.js";
import { describeActions, planTransition } from "../../lifecycle/planner.js";
import { satisfiesDesired, statusKind, type StableStatus } from "../../lifecycle/status.js";
import { WaitError } from "../../lifecycle/waiter.js";
import {
  describeCause,
  describeFacts,
  isCredentialFailure,
  nextStep,
  ResourceInitFailedError,
} from "../common/errors.js";
import { reconcile, ReconcileError } from "../common/reconcile.js";
import { containsUnknown, withoutUndefined } from "../common/validation.js";
import {
  converge,
  ConvergeError,
  observePipeline,
  perform,
  settle,
  type Intent,
  type Observation,
  type PipelineDeps,
} from "./converge.js";
import { RolloutHaltedError } from "../../lifecycle/halt.js";
import type { Health } from "../../lifecycle/health.js";
import { gateAfterStart, HealthGateFailure } from "./health-gate.js";
import { guardRollout } from "./rollout-guard.js";
import {
  describeStanding,
  haltForStanding,
  rejudgeWithoutStart,
  standingFailure,
  unjudgedStart,
} from "./verdict.js";
import {
  checkPipelineInputs,
  DEFAULT_TIMEOUT,
  PIPELINE_INPUTS,
  stableJson,
  startOptionsKey,
  type PipelineSpec,
} from "./spec.js";
import { PIPELINE_SCHEMA_VERSION, pipelineSpecOf, storedPipeline, type StoredPipeline } from "./stored.js";

export { PIPELINE_SCHEMA_VERSION };

type Props = Record<string, unknown>;

type Operation = "create" | "update" | "delete";

const REPLACE_KEYS = ["pipelineId", "orgId"] as const;
/** Stop/pause calls of one delete whose answer may be lost before the delete gives up. */
const MAX_DELETE_LOST_ANSWERS = 2;

/** The EnosPipelineDeployment implementation the dynamic-provider host calls (through the thin provider). */
export class PipelineProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly deps: PipelineDeps) {}

  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    rememberStackConfig((key) => req.config.get(key));
    return Promise.resolve();
  }

  check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const checked = checkPipelineInputs(news, { orgId: stackDefault("orgId") });
    noteCheckedAdoption("pipeline", "pipelineId", checked, news);
    return Promise.resolve(checked);
  }

  diff(id: string, rawOlds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const label = describeTarget(news);
    const olds: Props = storedPipeline(id, rawOlds);
    const replaces = REPLACE_KEYS.filter((key) => olds[key] !== news[key]);
    if (replaces.length > 0) {
      // Never delete-before-replace: the replacement is created first, and the old resource's delete then
      // finds its pipeline adopted (lifecycle/adoption.ts) and leaves it alone when it is the same one.
      const handOver = olds.pipelineId === news.pipelineId;
      this.deps.log(
        `${label}: ${replaces.join(" and ")} changed: will adopt ${handOver ? "it again as a new resource; the old one hands it over (nothing is stopped)" : "the new pipeline; the old one's onDelete applies unless another resource of this update declares it (then it is handed over)"}`,
      );
      return Promise.resolve({ changes: true, replaces });
    }
    const changedInputs = PIPELINE_INPUTS.filter((key) => stableJson(olds[key]) !== stableJson(news[key]));
    if (containsUnknown(news)) {
      this.deps.log(
        `${label}: some inputs are not known until apply; the update will plan from the live status`,
      );
      return Promise.resolve({ changes: true });
    }
    const spec = pipelineSpecOf(storedPipeline(id, news));
    const status = typeof olds.status === "string" ? olds.status : "unknown";
    const intent = intentOf(rawOlds, spec);
    const standing = standingFailure(olds.health as Health | undefined, spec, intent);
    if (standing) {
      // Recorded state, not this process's memory: every new provider halts the org's rollout again.
      haltForStanding(spec, standing);
      this.deps.log(
        `${label}: ${describeStanding(standing)}: will re-judge it without a start (set restartTrigger to start it again)`,
      );
      return Promise.resolve({ changes: true });
    }
    const summary = describePlan(spec, status, intent);
    const changes = changedInputs.length > 0 || summary.actions > 0;
    if (changes) {
      const inputs = changedInputs.length > 0 ? ` (changed: ${changedInputs.join(", ")})` : "";
      this.deps.log(`${label} is ${status}, desired ${spec.desiredState}: will ${summary.text}${inputs}`);
    }
    return Promise.resolve({ changes });
  }

  async create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const spec = pipelineSpecOf(storedPipeline(String(inputs.pipelineId), inputs));
    const deadline = this.deadline(spec, "create");
    return withDeadline(deadline, async () => {
      // Adopt, never create: the pipeline must exist. Reading the design also gives the draft version.
      let draft;
      try {
        draft = await this.deps.client().getPipeline(spec.orgId, spec.pipelineId);
      } catch (error) {
        if (EnosApiError.isInstance(error) && error.code === 61108) {
          throw new Error(
            `EnosPipelineDeployment ${spec.pipelineId}: no such pipeline in org ${spec.orgId} (${describeFacts(error)}). ` +
              "Check pipelineId (EnOS console > Stream Processing > Stream Operation) and orgId; this resource adopts an existing pipeline and never creates one.",
            { cause: error },
          );
        }
        const what = isCredentialFailure(error)
          ? "EnOS refused the credentials"
          : "could not read the pipeline";
        throw new Error(`EnosPipelineDeployment ${spec.pipelineId}: ${what}: ${describeCause(error)}`, {
          cause: error,
        });
      }
      const intent: Intent = { release: false, resetOffset: false, restart: false };
      const { observed, health } = await this.run(spec, "create", intent, deadline, inputs, undefined);
      return { id: spec.pipelineId, outs: this.outputs(spec, observed, draft.version, health) };
    });
  }

  async read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const stored = storedPipeline(id, props);
    const target = { orgId: stored.orgId, pipelineId: stored.pipelineId };
    let observed: Observation | undefined;
    try {
      // A refresh's Reads arrive a few at a time (the engine's --parallel, or spread over the program's run with
      // --run-program): they share one listing per org, unless this process changed the org since it was taken.
      observed = await observePipeline(this.deps, target, undefined, true);
    } catch (error) {
      throw new Error(
        `EnosPipelineDeployment ${target.pipelineId} (org ${target.orgId}): refresh failed reading the status: ${describeCause(error)}. Next: ${nextStep(error, "timeouts.update")}`,
        { cause: error },
      );
    }
    if (!observed) {
      this.deps.log(`${target.pipelineId}: no longer exists in org ${target.orgId}; removing it from state`);
      return {};
    }
    return {
      id,
      props: withoutUndefined({
        ...props,
        ...stored,
        status: observed.status,
        pipelineName: observed.pipelineName,
        releasedVersion: observed.releasedVersion ?? stored.releasedVersion,
        draftVersion: observed.draftVersion ?? stored.draftVersion,
        schemaVersion: PIPELINE_SCHEMA_VERSION,
      }),
    };
  }

  async update(id: string, rawOlds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    const olds = storedPipeline(id, rawOlds);
    const spec = pipelineSpecOf(storedPipeline(id, news));
    const intent = intentOf(rawOlds, spec);
    const deadline = this.deadline(spec, "update");
    return withDeadline(deadline, async () => {
      const { observed, health } = await this.run(spec, "update", intent, deadline, news, olds);
      let draftVersion = olds.draftVersion;
      try {
        draftVersion = (await this.deps.client().getPipeline(spec.orgId, id)).version ?? draftVersion;
      } catch {
        // The run state is what matters; a failed draft read keeps the last known draft version.
      }
      return { outs: this.outputs(spec, observed, draftVersion, health) };
    });
  }

  async delete(id: string, props: Props): Promise<void> {
    const spec = pipelineSpecOf(storedPipeline(id, props));
    const policy = spec.onDelete;
    const label = spec.pipelineId;
    const adopter = adopterOf("pipeline", spec.pipelineId);
    if (adopter !== undefined) {
      this.deps.log(`${label}: adopted by ${adopter} in this update; ${HANDED_OVER[policy]}`);
      return;
    }
    if (policy === "KEEP") {
      this.deps.log(`${label}: onDelete KEEP: leaving the pipeline as it is and forgetting it`);
      return;
    }
    const deadline = this.deadline(spec, "delete");
    try {
      await withDeadline(deadline, () => this.applyOnDelete(spec, deadline));
    } catch (error) {
      const cause = ReconcileError.isInstance(error) ? error.cause : error;
      throw new Error(
        `EnosPipelineDeployment ${label}: onDelete ${policy} failed: ${describeCause(cause)}. Next: ${nextStep(cause, "timeouts.delete")}`,
        { cause: error },
      );
    }
  }

  /** Stop or pause per `onDelete`, from the settled status; says what it leaves and why. */
  private async applyOnDelete(spec: PipelineSpec, deadline: number): Promise<void> {
    const policy = spec.onDelete as "STOP" | "PAUSE";
    const label = spec.pipelineId;
    await reconcile<Observation | undefined>({
      label,
      maxSteps: 4,
      maxLostAnswers: MAX_DELETE_LOST_ANSWERS,
      log: this.deps.log,
      read: () => settle(this.deps, spec, deadline),
      plan: (observed) => {
        if (!observed) {
          this.deps.log(`${label}: already gone from org ${spec.orgId}; forgetting it`);
          return undefined;
        }
        if (statusKind(observed.status) === "error") {
          this.deps.log(
            `${label}: status ${observed.status}: onDelete ${policy} not applied (EnOS cannot ${policy.toLowerCase()} a job in an error status); forgetting it: stop it in the EnOS console`,
          );
          return undefined;
        }
        // Already where the policy leaves it: nothing to do.
        const action = onDeleteAction(policy, observed.status);
        if (!action) return undefined;
        return { name: action, run: () => perform(this.deps, spec, action, observed.status, deadline) };
      },
    });
  }

  /**
   * Converge, then run the health gate after a start. Any failure becomes an init-failed error that keeps the
   * resource, its observed status and its health verdict.
   */
  private async run(
    spec: PipelineSpec,
    operation: Operation,
    intent: Intent,
    deadline: number,
    inputs: Props,
    olds: StoredPipeline | undefined,
  ): Promise<{ observed: Observation; health: Health | undefined }> {
    const guard = guardRollout(this.deps, spec);
    const previous = olds?.health as Health | undefined;
    const standing = standingFailure(previous, spec, intent);
    try {
      if (standing) return await rejudgeWithoutStart(this.deps, spec, standing, deadline);
      const { observation: observed } = await converge(guard.deps, spec, intent, deadline);
      const health = await gateAfterStart(this.deps, spec, observed, guard.startSent(), previous, deadline);
      return { observed, health };
    } catch (error) {
      if (error instanceof HealthGateFailure) {
        const message = `EnosPipelineDeployment ${spec.pipelineId} (org ${spec.orgId}): ${operation}: ${error.message}`;
        const properties = withoutUndefined({
          ...this.outputs(spec, error.observation, olds?.draftVersion, error.health),
          __provider: inputs.__provider,
        });
        throw new ResourceInitFailedError(message, spec.pipelineId, properties, [message], error);
      }
      if (!(error instanceof ConvergeError)) throw error;
      const observed = error.observation;
      const message = convergeFailureMessage(spec, operation, error);
      const cause = error.cause;
      if (!observed || (WaitError.isInstance(cause) && cause.reason === "vanished")) {
        throw new Error(message, { cause: error });
      }
      // A start that went out and was never judged must not pass a retry unchecked: record it as unjudged.
      const health =
        guard.startSent() && spec.healthCheck !== undefined && spec.desiredState === "RUNNING"
          ? unjudgedStart(spec, this.deps.clock(), describeCause(cause))
          : previous;
      const properties = withoutUndefined({
        ...this.outputs(spec, observed, observed.draftVersion ?? olds?.draftVersion, health),
        ...owedInputs(error.owed, olds),
        __provider: inputs.__provider,
      });
      throw new ResourceInitFailedError(message, spec.pipelineId, properties, [message], error);
    }
  }

  private outputs(
    spec: PipelineSpec,
    observed: Observation,
    draftVersion: string | undefined,
    health: Health | undefined,
  ): Props {
    return withoutUndefined({
      ...spec,
      status: observed.status,
      pipelineName: observed.pipelineName,
      releasedVersion: observed.releasedVersion,
      draftVersion: draftVersion ?? observed.draftVersion,
      schemaVersion: PIPELINE_SCHEMA_VERSION,
      ...(spec.healthCheck === undefined ? {} : { health }),
    });
  }

  private deadline(spec: PipelineSpec, operation: Operation): number {
    const text = spec.timeouts[operation];
    return this.deps.clock() + (parseDuration(text) ?? parseDuration(DEFAULT_TIMEOUT) ?? 600_000);
  }
}

/** What the program asks for beyond the run state, from the difference between state and new inputs. */
/** Why converging stopped, with the pipeline's status and what to do next (or, for a halted rollout, what to fix). */
function convergeFailureMessage(spec: PipelineSpec, operation: Operation, error: ConvergeError): string {
  const cause = error.cause;
  const status = error.observation?.status ?? "unknown";
  // Name the deadline that ran out, with its value: it may have come from customTimeouts.
  const deadlinePassed =
    (WaitError.isInstance(cause) && (cause.reason === "deadline" || cause.reason === "queued")) ||
    EnosDeadlineError.isInstance(cause) ||
    isOrgBusy(cause) // waited out until the deadline (org-busy.ts)
      ? ` (the ${operation} deadline of ${spec.timeouts[operation]} passed)`
      : "";
  return RolloutHaltedError.isInstance(cause)
    ? `EnosPipelineDeployment ${spec.pipelineId} (org ${spec.orgId}): ${operation}: ${cause.message}. ` +
        `The ${cause.action} was not sent to EnOS; the pipeline is ${status}. Next: fix ${cause.halt.pipelineId} ` +
        "(or set `enos:haltRolloutOnUnhealthy` to false) and run `pulumi up` again to continue the rollout"
    : `EnosPipelineDeployment ${spec.pipelineId} (org ${spec.orgId}): ${operation} failed during ${error.action}: ` +
        `${describeCause(cause)}${deadlinePassed}. Observed status: ${status}. ` +
        `Next: ${nextStep(cause, `timeouts.${operation} (or customTimeouts.${operation})`)}`;
}

/**
 * The work still owed, recorded as not done (the old inputs it would have changed), so the next `up` sees the
 * same difference and does it.
 */
function owedInputs(left: Intent, olds: StoredPipeline | undefined): Props {
  const owed: Props = {};
  if (olds) {
    if (left.release) owed.releaseTrigger = olds.releaseTrigger;
    if (left.resetOffset) owed.offsetResetTrigger = olds.offsetResetTrigger;
    if (left.restart) {
      owed.executionMode = olds.executionMode;
      owed.kafkaRate = olds.kafkaRate;
      owed.resourceConfig = olds.resourceConfig;
      owed.restartTrigger = olds.restartTrigger;
    }
  }
  return owed;
}

function intentOf(olds: Props, spec: PipelineSpec): Intent {
  const changedTrigger = (key: "releaseTrigger" | "offsetResetTrigger" | "restartTrigger"): boolean =>
    spec[key] !== undefined && spec[key] !== olds[key];
  const oldOptions = pipelineSpecOf(storedPipeline(spec.pipelineId, olds));
  return {
    release: changedTrigger("releaseTrigger"),
    resetOffset: changedTrigger("offsetResetTrigger"),
    restart:
      changedTrigger("restartTrigger") ||
      ("kafkaRate" in olds && startOptionsKey(oldOptions) !== startOptionsKey(spec)),
  };
}

/** What a handed-over delete says it left undone, per onDelete policy. */
const HANDED_OVER = { STOP: "not stopping", PAUSE: "not pausing", KEEP: "leaving it as it is" } as const;

/** The call `onDelete` makes from `status`, if any: STOP stops a running or paused one, PAUSE pauses a running one. */
function onDeleteAction(policy: "STOP" | "PAUSE", status: string): "stop" | "pause" | undefined {
  if (policy === "STOP" && (status === "RUNNING" || status === "PAUSED")) return "stop";
  if (policy === "PAUSE" && status === "RUNNING") return "pause";
  return undefined;
}

function describePlan(spec: PipelineSpec, status: string, intent: Intent): { actions: number; text: string } {
  const kind = statusKind(status);
  if (kind === "transitional") {
    return { actions: 1, text: `wait for ${status} to settle, then re-plan` };
  }
  if (kind === "error") {
    return { actions: 1, text: `fail: ${status} must be fixed in the EnOS console first` };
  }
  const plan = planTransition({
    observed: status as StableStatus,
    desired: spec.desiredState,
    ...intent,
    restartStrategy: spec.restartStrategy,
  });
  if (plan.actions.length === 0 && !satisfiesDesired(status, spec.desiredState)) {
    return { actions: 1, text: "re-plan from the live status" };
  }
  return { actions: plan.actions.length, text: describeActions(plan.actions) };
}

function describeTarget(props: Props): string {
  return typeof props.pipelineId === "string" ? props.pipelineId : "pipeline";
}
