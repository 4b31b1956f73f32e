import type * as pulumi from "@pulumi/pulumi";
import { EnosApiError } from "../../client/errors.js";
import type { Flow } from "../../client/types.js";
import { defaultSetting, rememberStackConfig } from "../../config.js";
import type { ProviderDeps } from "../common/deps.js";
import { describeCause, describeFacts, mayHaveTakenEffect } from "../common/errors.js";
import { containsUnknown, withoutUndefined } from "../common/validation.js";
import { checkFlowInputs, type FlowSpec } from "./spec.js";

/** Version of the output layout; bump when outputs change shape so new code can read old state. */
export const FLOW_SCHEMA_VERSION = 1;

type Props = Record<string, unknown>;

/** EnOS answers for a flow that does not exist (batch "invalid parameter", gateway "not found"). */
const FLOW_NOT_FOUND = [62102, 99404];
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
    return Promise.resolve(
      checkFlowInputs(news, { orgId: defaultSetting("orgId"), userId: defaultSetting("userId") }),
    );
  }

  diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const label = `flow ${String(news.flowId)}`;
    const replaces = (["flowId", "orgId"] as const).filter((key) => olds[key] !== news[key]);
    if (replaces.length > 0) {
      this.deps.log(
        `${label}: ${replaces.join(" and ")} changed: will adopt the new flow and let go of the old one`,
      );
      return Promise.resolve({ changes: true, replaces, deleteBeforeReplace: olds.flowId === news.flowId });
    }
    if (containsUnknown(news)) return Promise.resolve({ changes: true });
    const spec = news as unknown as FlowSpec;
    const inputsChanged = (["userId", "enabled", "onDelete"] as const).filter(
      (key) => olds[key] !== news[key],
    );
    const drift = olds.active !== spec.enabled;
    if (drift) {
      const name = typeof olds.flowName === "string" ? ` (${olds.flowName})` : "";
      this.deps.log(
        `${label}${name} is ${olds.active ? "enabled" : "disabled"}, desired ${spec.enabled ? "enabled" : "disabled"}: will ${spec.enabled ? "enable" : "disable"}`,
      );
    } else if (inputsChanged.length > 0) {
      this.deps.log(`${label}: ${inputsChanged.join(", ")} changed: no EnOS action needed`);
    }
    return Promise.resolve({ changes: drift || inputsChanged.length > 0 });
  }

  async create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const spec = inputs as unknown as FlowSpec;
    const flow = await this.adoptable(spec);
    const final = await this.apply(spec, flow);
    return { id: String(spec.flowId), outs: this.outputs(spec, final, flow.active === 1) };
  }

  async read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const spec = props as unknown as FlowSpec;
    let flow: Flow;
    try {
      flow = await this.deps.client().getFlow(spec.orgId, spec.userId, spec.flowId);
    } catch (error) {
      if (EnosApiError.isInstance(error) && FLOW_NOT_FOUND.includes(error.code)) {
        this.deps.log(`flow ${id}: no longer exists in org ${spec.orgId}; removing it from state`);
        return {};
      }
      throw new Error(`EnosFlowSchedule ${id}: refresh failed: ${describeCause(error)}`, { cause: error });
    }
    return { id, props: { ...props, ...this.observed(flow) } };
  }

  async update(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    const spec = news as unknown as FlowSpec;
    const flow = await this.adoptable(spec);
    const final = await this.apply(spec, flow);
    const adopted = typeof olds.adoptedActive === "boolean" ? olds.adoptedActive : flow.active === 1;
    return { outs: this.outputs(spec, final, adopted) };
  }

  async delete(id: string, props: Props): Promise<void> {
    const spec = props as unknown as FlowSpec;
    if (spec.onDelete === "KEEP") {
      this.deps.log(`flow ${id}: onDelete KEEP: leaving the schedule as it is and forgetting it`);
      return;
    }
    const wantActive = spec.onDelete === "RESTORE" ? props.adoptedActive === true : false;
    let flow: Flow;
    try {
      flow = await this.deps.client().getFlow(spec.orgId, spec.userId, spec.flowId);
    } catch (error) {
      if (EnosApiError.isInstance(error) && FLOW_NOT_FOUND.includes(error.code)) return;
      throw new Error(`EnosFlowSchedule ${id}: onDelete ${spec.onDelete} failed: ${describeCause(error)}`, {
        cause: error,
      });
    }
    await this.apply({ ...spec, enabled: wantActive }, flow, `onDelete ${spec.onDelete}`);
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

  /** Enable or disable when the live state differs, then read it back to prove the change took. */
  private async apply(spec: FlowSpec, flow: Flow, operation = "update"): Promise<Flow> {
    const want: 0 | 1 = spec.enabled ? 1 : 0;
    if (flow.active === want) return flow;
    const verb = spec.enabled ? "enable" : "disable";
    const label = `EnosFlowSchedule ${spec.flowId} "${flow.flowName}" (org ${spec.orgId})`;
    if (flow.locked || flow.isUserLocked) {
      const who = flow.locked ? "the flow is locked" : `user ${spec.userId} is locked`;
      throw new Error(
        `${label}: cannot ${verb} (${operation}): ${who}. Unlock it in the EnOS console (Batch Processing), then run \`pulumi up\` again; nothing was changed.`,
      );
    }
    const client = this.deps.client();
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (spec.enabled) await client.enableFlow(spec.orgId, spec.userId, spec.flowId);
        else await client.disableFlow(spec.orgId, spec.userId, spec.flowId);
        break;
      } catch (error) {
        if (!mayHaveTakenEffect(error) || attempt >= TOGGLE_ATTEMPTS) {
          throw new Error(`${label}: ${verb} failed (${operation}): ${explainFlowError(error, spec)}`, {
            cause: error,
          });
        }
        // The answer was lost, not refused: read the flow. Enable/disable of a flow already in that state is a
        // no-op in EnOS, so sending it again after an unchanged read cannot do harm.
        this.deps.log(
          `${label}: ${verb} may or may not have reached EnOS (${describeCause(error)}); re-reading the flow`,
        );
        let seen: Flow;
        try {
          seen = await client.getFlow(spec.orgId, spec.userId, spec.flowId);
        } catch (readError) {
          throw new Error(
            `${label}: ${verb} failed (${operation}): ${describeCause(error)}; reading the flow back also failed: ${explainFlowError(readError, spec)}`,
            { cause: readError },
          );
        }
        if (seen.active === want) return seen;
      }
    }
    let seen = flow;
    for (let attempt = 0; attempt < READ_BACK_ATTEMPTS; attempt += 1) {
      if (attempt > 0) await this.deps.sleep(READ_BACK_PAUSE_MS);
      seen = await client.getFlow(spec.orgId, spec.userId, spec.flowId);
      if (seen.active === want) return seen;
    }
    throw new Error(
      `${label}: EnOS accepted ${verb} but the flow still reads active=${seen.active}. Check it in the EnOS console, then run \`pulumi refresh\` and \`pulumi up\`.`,
    );
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

/** EnOS batch errors in words that say what to change. */
function explainFlowError(error: unknown, spec: FlowSpec): string {
  if (EnosApiError.isInstance(error)) {
    if (FLOW_NOT_FOUND.includes(error.code)) {
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
