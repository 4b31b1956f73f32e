import * as pulumi from "@pulumi/pulumi";
import { EnosResource } from "../common/enos-resource.js";
import { thinProvider } from "../common/thin.js";

/** Inputs of {@link EnosFlowSchedule}. */
export interface EnosFlowScheduleArgs {
  /** ID of an existing batch-processing flow. Changing it replaces. */
  readonly flowId: pulumi.Input<number>;
  /** Organisation of the flow; defaults to stack config `enos:orgId` (or ENOS_ORG_ID). Changing it replaces. */
  readonly orgId?: pulumi.Input<string>;
  /** The flow owner the calls act as; defaults to stack config `enos:userId` (or ENOS_USER_ID). */
  readonly userId?: pulumi.Input<string>;
  /** Whether the flow's schedule is enabled (default true). */
  readonly enabled?: pulumi.Input<boolean>;
  /** What destroy does: "DISABLE" (default), "KEEP" (only forget it), "RESTORE" (the state found at adoption). */
  readonly onDelete?: pulumi.Input<"DISABLE" | "KEEP" | "RESTORE">;
}

const provider = thinProvider("flow");

/**
 * Keeps an existing EnOS batch-processing flow's schedule enabled or disabled. `create` adopts the flow (never
 * creates one); `pulumi refresh` records the live schedule state so drift shows in the next preview.
 */
export class EnosFlowSchedule extends EnosResource {
  declare readonly flowId: pulumi.Output<number>;
  declare readonly orgId: pulumi.Output<string>;
  declare readonly userId: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly onDelete: pulumi.Output<"DISABLE" | "KEEP" | "RESTORE">;
  /** Live schedule state last observed (EnOS `active` = 1). */
  declare readonly active: pulumi.Output<boolean>;
  declare readonly flowName: pulumi.Output<string>;
  /** The flow's Quartz cron expression (EnOS `freq`). */
  declare readonly cron: pulumi.Output<string | undefined>;
  declare readonly cycle: pulumi.Output<string | undefined>;
  /** Whether the flow (or its owner) is locked in EnOS. */
  declare readonly locked: pulumi.Output<boolean>;
  /** Schedule state found when the resource adopted the flow (what onDelete RESTORE puts back). */
  declare readonly adoptedActive: pulumi.Output<boolean>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: EnosFlowScheduleArgs, opts?: pulumi.CustomResourceOptions) {
    const config = new pulumi.Config("enos");
    const orgId: pulumi.Input<string> | undefined = args.orgId ?? config.get("orgId");
    const userId: pulumi.Input<string> | undefined = args.userId ?? config.get("userId");
    super(
      provider,
      name,
      {
        ...args,
        orgId,
        userId,
        active: undefined,
        flowName: undefined,
        cron: undefined,
        cycle: undefined,
        locked: undefined,
        adoptedActive: undefined,
        schemaVersion: undefined,
      },
      opts,
      "EnosFlowSchedule",
    );
    if (opts?.customTimeouts !== undefined) {
      // Said once rather than silently ignored: someone who set a deadline expects it to mean something.
      void pulumi.log.warn(
        "customTimeouts have no effect on EnosFlowSchedule: enabling or disabling a flow is one EnOS call, read back at once, with nothing to wait for",
        this,
      );
    }
  }
}
