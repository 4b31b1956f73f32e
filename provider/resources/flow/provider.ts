import type * as pulumi from "@pulumi/pulumi";
import { isFlowNotFound } from "../../client/codes.js";
import { EnosApiError } from "../../client/errors.js";
import type { EnosApi, Flow } from "../../client/types.js";
import { rememberStackConfig, stackDefault } from "../../config.js";
import { adopterOf, noteCheckedAdoption } from "../../lifecycle/adoption.js";
import type { ProviderDeps } from "../common/deps.js";
import {
  describeCause,
  describeFacts,
  mayHaveTakenEffect,
  nextStep,
  ResourceInitFailedError,
} from "../common/errors.js";
import { reconcile, ReconcileError } from "../common/reconcile.js";
import { containsUnknown, withoutUndefined } from "../common/validation.js";
import { checkFlowInputs, type FlowSpec } from "./spec.js";
import { FLOW_SCHEMA_VERSION, flowSpecOf, storedFlow } from "./stored.js";

type Props = Record<string, unknown>;

const READ_BACK_ATTEMPTS = 3;
const READ_BACK_PAUSE_MS = 200;
/** Enable/disable calls whose answer may be lost before the update gives up. */
const TOGGLE_ATTEMPTS = 3;

/** The EnosFlowSchedule implementation the dynamic-provider host calls (through the thin provider). */
export class FlowProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly deps: ProviderDeps) {}

  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    rememberStackConfig((key) => req.config.get(key));
    return Promise.resolve();
  }

  check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const checked = checkFlowInputs(news, { orgId: stackDefault("orgId"), userId: stackDefault("userId") });
    noteCheckedAdoption("flow", "flowId", checked, news);
    return Promise.resolve(checked);
  }

  diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const label = `flow ${String(news.flowId)}`;
    const previous = storedFlow(id, olds);
    const replaces = (["flowId", "orgId"] as const).filter((key) => previous[key] !== news[key]);
    if (replaces.length > 0) {
      // Never delete-before-replace: the old resource's delete finds the flow adopted and leaves it alone.
      const handOver = previous.flowId === news.flowId;
      this.deps.log(
        `${label}: ${replaces.join(" and ")} changed: will adopt ${handOver ? "it again as a new resource; the old one hands it over (the schedule is not touched)" : "the new flow; the old one's onDelete applies unless another resource of this update declares it (then it is handed over)"}`,
      );
      return Promise.resolve({ changes: true, replaces });
    }
    if (containsUnknown(news)) return Promise.resolve({ changes: true });
    const spec = flowSpecOf(storedFlow(id, news));
    const inputsChanged = (["userId", "enabled", "onDelete"] as const).filter(
      (key) => previous[key] !== spec[key],
    );
    const drift = previous.active !== spec.enabled;
    if (drift) {
      const name = previous.flowName === undefined ? "" : ` (${previous.flowName})`;
      this.deps.log(
        `${label}${name} is ${previous.active ? "enabled" : "disabled"}, desired ${spec.enabled ? "enabled" : "disabled"}: will ${spec.enabled ? "enable" : "disable"}`,
      );
    } else if (inputsChanged.length > 0) {
      this.deps.log(`${label}: ${inputsChanged.join(", ")} changed: no EnOS action needed`);
    }
    return Promise.resolve({ changes: drift || inputsChanged.length > 0 });
  }

  async create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const spec = flowSpecOf(storedFlow(String(inputs.flowId), inputs));
    const flow = await this.adoptable(spec);
    const adoptedActive = flow.active === 1;
    const final = await this.applyOrKeep(spec, flow, adoptedActive, "create", inputs);
    return { id: String(spec.flowId), outs: this.outputs(spec, final, adoptedActive) };
  }

  async read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const stored = storedFlow(id, props);
    let flow: Flow;
    try {
      flow = await this.deps.client().getFlow(stored.orgId, stored.userId, stored.flowId);
    } catch (error) {
      if (isFlowNotFound(error)) {
        this.deps.log(`flow ${id}: no longer exists in org ${stored.orgId}; removing it from state`);
        return {};
      }
      throw new Error(
        `EnosFlowSchedule ${id} (org ${stored.orgId}, user ${stored.userId}): refresh failed reading the flow: ${explainFlowError(error, stored)} Next: ${nextStep(error, "")}`,
        { cause: error },
      );
    }
    return { id, props: { ...props, ...stored, ...this.observed(flow) } };
  }

  async update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    const previous = storedFlow(id, olds);
    const spec = flowSpecOf(storedFlow(id, news));
    const flow = await this.adoptable(spec);
    // What was there before Pulumi, carried from state: never re-learnt from a state this provider set.
    const adoptedActive = previous.adoptedActive ?? flow.active === 1;
    const final = await this.applyOrKeep(spec, flow, adoptedActive, "update", news);
    return { outs: this.outputs(spec, final, adoptedActive) };
  }

  async delete(id: string, props: Props): Promise<void> {
    const stored = storedFlow(id, props);
    const spec = flowSpecOf(stored);
    const adopter = adopterOf("flow", String(spec.flowId));
    if (adopter !== undefined) {
      const undone =
        spec.onDelete === "KEEP"
          ? "leaving it as it is"
          : `not ${spec.onDelete === "DISABLE" ? "disabling" : "restoring"} it`;
      this.deps.log(`flow ${id}: adopted by ${adopter} in this update; ${undone}`);
      return;
    }
    if (spec.onDelete === "KEEP") {
      this.deps.log(`flow ${id}: onDelete KEEP: leaving the schedule as it is and forgetting it`);
      return;
    }
    const wantActive = spec.onDelete === "RESTORE" ? stored.adoptedActive === true : false;
    const operation = `onDelete ${spec.onDelete}`;
    let flow: Flow;
    try {
      flow = await this.deps.client().getFlow(spec.orgId, spec.userId, spec.flowId);
    } catch (error) {
      if (isFlowNotFound(error)) return;
      throw new Error(
        `EnosFlowSchedule ${id} (org ${spec.orgId}, user ${spec.userId}): ${operation} failed reading the flow: ${explainFlowError(error, spec)} Next: ${nextStep(error, "")}`,
        { cause: error },
      );
    }
    try {
      await this.apply({ ...spec, enabled: wantActive }, flow, operation);
    } catch (error) {
      throw ReconcileError.isInstance(error) ? (error.cause as Error) : error;
    }
  }

  /** Read the flow and refuse, before any change, what the calls would refuse later. */
  private async adoptable(spec: FlowSpec): Promise<Flow> {
    const label = `EnosFlowSchedule ${spec.flowId} (org ${spec.orgId}, user ${spec.userId})`;
    let flow: Flow;
    try {
      flow = await this.deps.client().getFlow(spec.orgId, spec.userId, spec.flowId);
    } catch (error) {
      throw new Error(`${label}: ${explainFlowError(error, spec)}`, { cause: error });
    }
    const owners = (flow.owner ?? "")
      .split(";")
      .map((o) => o.trim())
      .filter(Boolean);
    if (owners.length > 0 && !owners.includes(spec.userId)) {
      throw new Error(
        `${label}: user ${spec.userId} does not own flow ${spec.flowId} "${flow.flowName}" (owners: ${owners.join(", ")}). ` +
          "Set userId (or enos:userId) to an owner; nothing was changed.",
      );
    }
    return flow;
  }

  /**
   * Apply, and when it fails after a call that may have taken effect, fail with an init-failed error that
   * keeps the resource in state (id, adoptedActive, the last state seen): nothing about the flow is lost, and
   * the next `up` reads the live state and finishes the job.
   */
  private async applyOrKeep(
    spec: FlowSpec,
    flow: Flow,
    adoptedActive: boolean,
    operation: "create" | "update",
    inputs: Props,
  ): Promise<Flow> {
    try {
      return await this.apply(spec, flow, operation);
    } catch (error) {
      if (!ReconcileError.isInstance(error)) throw error;
      const cause = error.cause;
      const lastSeen = (error.lastSeen as Flow | undefined) ?? flow;
      if (!error.called) throw cause instanceof Error ? cause : new Error(String(cause));
      const message =
        `${describeCause(cause)}. ${operation} stopped during ${error.during}, after a call that may have taken effect; ` +
        `last seen ${lastSeen.active === 1 ? "enabled" : "disabled"}. Next: the resource stays in state; run \`pulumi up\` again: it reads the flow and finishes the change`;
      const properties = withoutUndefined({
        ...this.outputs(spec, lastSeen, adoptedActive),
        __provider: inputs.__provider,
      });
      throw new ResourceInitFailedError(message, String(spec.flowId), properties, [message], error);
    }
  }

  /**
   * Enable or disable when the live state differs, through the shared read → plan → call loop (a call whose
   * answer was lost is re-read, never failed or repeated blindly), then read it back to prove the change.
   * Fails with a ReconcileError carrying the last flow seen.
   */
  private async apply(spec: FlowSpec, flow: Flow, operation: string): Promise<Flow> {
    const want: 0 | 1 = spec.enabled ? 1 : 0;
    const verb = spec.enabled ? "enable" : "disable";
    const label = `EnosFlowSchedule ${spec.flowId} "${flow.flowName}" (org ${spec.orgId})`;
    const client = this.deps.client();
    const getFlow = () => client.getFlow(spec.orgId, spec.userId, spec.flowId);
    /** The first read is the flow already in hand; after an accepted call, the read-back. */
    let cached: Flow | undefined = flow;
    let accepted = false;
    return reconcile<Flow>({
      label,
      maxSteps: 2,
      maxLostAnswers: TOGGLE_ATTEMPTS - 1,
      log: this.deps.log,
      read: async (track) => {
        const seen = cached;
        cached = undefined;
        if (seen) return seen;
        track(accepted ? `read-back after ${verb}` : `re-read after ${verb}`);
        return accepted ? this.readBack(getFlow, want) : getFlow();
      },
      plan: (seen) => {
        if (seen.active === want) return undefined;
        if (accepted) {
          throw new Error(
            `EnOS accepted ${verb} but the flow still reads active=${seen.active}. Check it in the EnOS console, then run \`pulumi refresh\` and \`pulumi up\``,
          );
        }
        if (seen.locked || seen.isUserLocked) {
          const who = seen.locked ? "the flow is locked" : `user ${spec.userId} is locked`;
          throw new Error(
            `cannot ${verb} (${operation}): ${who}. Unlock it in the EnOS console (Batch Processing), then run \`pulumi up\` again; nothing was changed`,
          );
        }
        return {
          name: verb,
          run: () => toggle(client, spec, operation),
          done: () => {
            accepted = true;
          },
        };
      },
    }).catch((error: unknown) => {
      throw ReconcileError.isInstance(error) ? namingTheFlow(error, label) : error;
    });
  }

  /** EnOS may show a toggle a moment late: read until it shows, a few times. */
  private async readBack(getFlow: () => Promise<Flow>, want: 0 | 1): Promise<Flow> {
    let seen = await getFlow();
    for (let attempt = 1; attempt < READ_BACK_ATTEMPTS && seen.active !== want; attempt += 1) {
      await this.deps.sleep(READ_BACK_PAUSE_MS);
      seen = await getFlow();
    }
    return seen;
  }

  private observed(flow: Flow): Props {
    return withoutUndefined({
      active: flow.active === 1,
      flowName: flow.flowName,
      cron: flow.freq,
      cycle: flow.cycle,
      locked: flow.locked || flow.isUserLocked,
      schemaVersion: FLOW_SCHEMA_VERSION,
    });
  }

  private outputs(spec: FlowSpec, flow: Flow, adoptedActive: boolean): Props {
    return withoutUndefined({ ...spec, ...this.observed(flow), adoptedActive });
  }
}

/** Enable or disable as `spec.enabled` says; a refusal that surely changed nothing says what to fix. */
async function toggle(client: EnosApi, spec: FlowSpec, operation: string): Promise<void> {
  try {
    if (spec.enabled) await client.enableFlow(spec.orgId, spec.userId, spec.flowId);
    else await client.disableFlow(spec.orgId, spec.userId, spec.flowId);
  } catch (error) {
    if (mayHaveTakenEffect(error)) throw error;
    const verb = spec.enabled ? "enable" : "disable";
    throw new Error(`${verb} failed (${operation}): ${explainFlowError(error, spec)}`, { cause: error });
  }
}

/** The same ReconcileError with the flow named in its cause, once. */
function namingTheFlow(error: ReconcileError<unknown>, label: string): ReconcileError<unknown> {
  const cause = error.cause;
  const text = cause instanceof Error ? cause.message : String(cause);
  return new ReconcileError(
    error.during,
    error.lastSeen,
    new Error(`${label}: ${text}`, { cause }),
    error.called,
  );
}

/** EnOS batch errors in words that say what to change. */
function explainFlowError(error: unknown, spec: FlowSpec): string {
  if (EnosApiError.isInstance(error)) {
    if (isFlowNotFound(error)) {
      return `no flow ${spec.flowId} in org ${spec.orgId} (${describeFacts(error)}). Check flowId and orgId; this resource adopts an existing flow and never creates one.`;
    }
    if (error.code === 62101) {
      return `user ${spec.userId} does not exist in org ${spec.orgId} (${describeFacts(error)}). Set userId (or enos:userId) to the flow owner.`;
    }
    if (error.code === 62103) {
      return `user ${spec.userId} has no privilege on flow ${spec.flowId} (${describeFacts(error)}). Set userId (or enos:userId) to the flow owner.`;
    }
    if (error.code === 62105) {
      return `the account is locked (${describeFacts(error)}). Unlock it in the EnOS console, then run \`pulumi up\` again.`;
    }
  }
  return describeCause(error);
}
