import type * as pulumi from "@pulumi/pulumi";
import { EnosApiError } from "../../client/errors.js";
import { defaultSetting, rememberStackConfig } from "../../config.js";
import { parseDuration } from "../../lifecycle/duration.js";
import { describeActions, planTransition } from "../../lifecycle/planner.js";
import { satisfiesDesired, statusKind, type StableStatus } from "../../lifecycle/status.js";
import { WaitError } from "../../lifecycle/waiter.js";
import {
  describeCause,
  describeFacts,
  isCredentialFailure,
  mayHaveTakenEffect,
  nextStep,
  ResourceInitFailedError,
} from "../common/errors.js";
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
import {
  checkPipelineInputs,
  DEFAULT_TIMEOUT,
  PIPELINE_INPUTS,
  stableJson,
  startOptionsKey,
  type PipelineSpec,
} from "./spec.js";

/** Version of the output layout; bump when outputs change shape so new code can read old state. */
export const PIPELINE_SCHEMA_VERSION = 1;

type Props = Record<string, unknown>;
type Operation = "create" | "update" | "delete";

const REPLACE_KEYS = ["pipelineId", "orgId"] as const;
/** Stop/pause calls of one delete whose answer may be lost before the delete gives up. */
const MAX_DELETE_ATTEMPTS = 3;

/** The EnosPipelineDeployment implementation the dynamic-provider host calls (through the thin provider). */
export class PipelineProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly deps: PipelineDeps) {}

  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    rememberStackConfig((key) => req.config.get(key));
    return Promise.resolve();
  }

  check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return Promise.resolve(checkPipelineInputs(news, { orgId: defaultSetting("orgId") }));
  }

  diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const label = describeTarget(news);
    const replaces = REPLACE_KEYS.filter((key) => olds[key] !== news[key]);
    if (replaces.length > 0) {
      this.deps.log(
        `${label}: ${replaces.join(" and ")} changed: will adopt the new pipeline and let go of the old one`,
      );
      // Same physical pipeline under a new org id: let go of the old resource first so its onDelete
      // cannot undo what the replacement just did.
      return Promise.resolve({
        changes: true,
        replaces,
        deleteBeforeReplace: olds.pipelineId === news.pipelineId,
      });
    }
    const changedInputs = PIPELINE_INPUTS.filter((key) => stableJson(olds[key]) !== stableJson(news[key]));
    if (containsUnknown(news)) {
      this.deps.log(
        `${label}: some inputs are not known until apply; the update will plan from the live status`,
      );
      return Promise.resolve({ changes: true });
    }
    const spec = news as unknown as PipelineSpec;
    const status = typeof olds.status === "string" ? olds.status : "unknown";
    const summary = describePlan(spec, status, intentOf(olds, spec));
    const changes = changedInputs.length > 0 || summary.actions > 0;
    if (changes) {
      const inputs = changedInputs.length > 0 ? ` (changed: ${changedInputs.join(", ")})` : "";
      this.deps.log(`${label} is ${status}, desired ${spec.desiredState}: will ${summary.text}${inputs}`);
    }
    return Promise.resolve({ changes });
  }

  async create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const spec = inputs as unknown as PipelineSpec;
    const deadline = this.deadline(spec, "create");
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
    const observed = await this.run(spec, "create", intent, deadline, inputs, undefined);
    return { id: spec.pipelineId, outs: this.outputs(spec, observed, draft.version) };
  }

  async read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const target = {
      orgId: String(props.orgId),
      pipelineId: typeof props.pipelineId === "string" ? props.pipelineId : id,
    };
    const observed = await observePipeline(this.deps, target, undefined);
    if (!observed) {
      this.deps.log(`${target.pipelineId}: no longer exists in org ${target.orgId}; removing it from state`);
      return {};
    }
    return {
      id,
      props: withoutUndefined({
        ...props,
        status: observed.status,
        pipelineName: observed.pipelineName,
        releasedVersion: observed.releasedVersion ?? props.releasedVersion,
        draftVersion: observed.draftVersion ?? props.draftVersion,
        schemaVersion: PIPELINE_SCHEMA_VERSION,
      }),
    };
  }

  async update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    const spec = news as unknown as PipelineSpec;
    const intent = intentOf(olds, spec);
    const deadline = this.deadline(spec, "update");
    const observed = await this.run(spec, "update", intent, deadline, news, olds);
    let draftVersion = typeof olds.draftVersion === "string" ? olds.draftVersion : undefined;
    try {
      draftVersion = (await this.deps.client().getPipeline(spec.orgId, id)).version ?? draftVersion;
    } catch {
      // The run state is what matters; a failed draft read keeps the last known draft version.
    }
    return { outs: this.outputs(spec, observed, draftVersion) };
  }

  async delete(_id: string, props: Props): Promise<void> {
    const spec = props as unknown as PipelineSpec;
    const policy = spec.onDelete;
    const label = spec.pipelineId;
    if (policy === "KEEP") {
      this.deps.log(`${label}: onDelete KEEP: leaving the pipeline as it is and forgetting it`);
      return;
    }
    const deadline = this.deadline(spec, "delete");
    try {
      for (let attempt = 1; ; attempt += 1) {
        const observed = await settle(this.deps, spec, deadline);
        if (!observed) return; // Already gone: nothing left to stop.
        const status = observed.status;
        const action =
          policy === "STOP" && (status === "RUNNING" || status === "PAUSED")
            ? "stop"
            : policy === "PAUSE" && status === "RUNNING"
              ? "pause"
              : undefined;
        if (action === undefined) return;
        try {
          await perform(this.deps, spec, action, status, deadline);
          return;
        } catch (error) {
          // The answer was lost, not refused: settle again and see whether the stop/pause took effect.
          if (!mayHaveTakenEffect(error) || attempt >= MAX_DELETE_ATTEMPTS) throw error;
          this.deps.log(
            `${label}: ${action} may or may not have reached EnOS (${describeCause(error)}); re-reading the status`,
          );
        }
      }
    } catch (error) {
      throw new Error(
        `EnosPipelineDeployment ${label}: onDelete ${policy} failed: ${describeCause(error)}. Next: ${nextStep(error, "timeouts.delete")}`,
        { cause: error },
      );
    }
  }

  /** Converge, turning any failure into an init-failed error that keeps the resource and its observed status. */
  private async run(
    spec: PipelineSpec,
    operation: Operation,
    intent: Intent,
    deadline: number,
    inputs: Props,
    olds: Props | undefined,
  ): Promise<Observation> {
    try {
      return await converge(this.deps, spec, intent, deadline);
    } catch (error) {
      if (!(error instanceof ConvergeError)) throw error;
      const cause = error.cause;
      const observed = error.observation;
      const status = observed?.status ?? "unknown";
      const message =
        `EnosPipelineDeployment ${spec.pipelineId} (org ${spec.orgId}): ${operation} failed during ${error.action}: ` +
        `${describeCause(cause)}. Observed status: ${status}. Next: ${nextStep(cause, `timeouts.${operation}`)}`;
      if (!observed || (WaitError.isInstance(cause) && cause.reason === "vanished")) {
        throw new Error(message, { cause: error });
      }
      // Record the work still owed as not done, so the next `up` sees the same difference and does it.
      const owed: Props = {};
      if (olds) {
        if (intent.release) owed.releaseTrigger = olds.releaseTrigger;
        if (intent.resetOffset) owed.offsetResetTrigger = olds.offsetResetTrigger;
        if (intent.restart) {
          owed.executionMode = olds.executionMode;
          owed.kafkaRate = olds.kafkaRate;
          owed.resourceConfig = olds.resourceConfig;
        }
      }
      const properties = withoutUndefined({
        ...this.outputs(spec, observed, observed.draftVersion ?? (olds?.draftVersion as string | undefined)),
        ...owed,
        __provider: inputs.__provider,
      });
      throw new ResourceInitFailedError(message, spec.pipelineId, properties, [message], error);
    }
  }

  private outputs(spec: PipelineSpec, observed: Observation, draftVersion: string | undefined): Props {
    return withoutUndefined({
      ...spec,
      status: observed.status,
      pipelineName: observed.pipelineName,
      releasedVersion: observed.releasedVersion,
      draftVersion: draftVersion ?? observed.draftVersion,
      schemaVersion: PIPELINE_SCHEMA_VERSION,
    });
  }

  private deadline(spec: PipelineSpec, operation: Operation): number {
    const text = spec.timeouts[operation];
    return this.deps.clock() + (parseDuration(text) ?? parseDuration(DEFAULT_TIMEOUT) ?? 600_000);
  }
}

/** What the program asks for beyond the run state, from the difference between state and new inputs. */
function intentOf(olds: Props, spec: PipelineSpec): Intent {
  const changedTrigger = (key: "releaseTrigger" | "offsetResetTrigger"): boolean =>
    spec[key] !== undefined && spec[key] !== olds[key];
  const oldOptions = olds as unknown as PipelineSpec;
  return {
    release: changedTrigger("releaseTrigger"),
    resetOffset: changedTrigger("offsetResetTrigger"),
    restart: "kafkaRate" in olds && startOptionsKey(oldOptions) !== startOptionsKey(spec),
  };
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
