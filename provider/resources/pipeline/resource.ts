import * as pulumi from "@pulumi/pulumi";
import { timeoutsFromCustomTimeouts } from "../common/custom-timeouts.js";
import { EnosResource } from "../common/enos-resource.js";
import { thinProvider } from "../common/thin.js";

/** Inputs of {@link EnosPipelineDeployment}. */
export interface EnosPipelineDeploymentArgs {
  /** ID of an existing pipeline (EnOS console > Stream Processing > Stream Operation). Changing it replaces. */
  readonly pipelineId: pulumi.Input<string>;
  /** Organisation of the pipeline; defaults to stack config `enos:orgId` (or ENOS_ORG_ID). Changing it replaces. */
  readonly orgId?: pulumi.Input<string>;
  /** Run state to keep: "RUNNING" (default), "PAUSED" or "STOPPED" (a released, never-started pipeline counts). */
  readonly desiredState?: pulumi.Input<"RUNNING" | "PAUSED" | "STOPPED">;
  /** "STANDALONE" (default) or "CLUSTER". A change restarts a running pipeline. */
  readonly executionMode?: pulumi.Input<"STANDALONE" | "CLUSTER">;
  /** Kafka read rate in records/s (default 1000). A change restarts a running pipeline. */
  readonly kafkaRate?: pulumi.Input<number>;
  /**
   * STANDALONE: `{ server: <CUs> }` (default `{ server: 1 }`). CLUSTER:
   * `{ server, yarn: { workerCount, master, slave }, advanced?: { "<spark key>": "<value>" } }`.
   * A change restarts a running pipeline.
   */
  readonly resourceConfig?: pulumi.Input<PipelineResourceConfig>;
  /** Change it to publish the saved draft and return the pipeline to `desiredState`. */
  readonly releaseTrigger?: pulumi.Input<string>;
  /** Change it to reset the Kafka offset and return the pipeline to `desiredState`. */
  readonly offsetResetTrigger?: pulumi.Input<string>;
  /**
   * Change it to restart the pipeline with the same settings: a running one is quiesced (`restartStrategy`) and
   * started again, and the start is health-checked. The explicit retry of a start that failed its health check.
   */
  readonly restartTrigger?: pulumi.Input<string>;
  /** How a running pipeline is quiesced for a release, offset reset or restart: "PAUSE" (default) or "STOP". */
  readonly restartStrategy?: pulumi.Input<"PAUSE" | "STOP">;
  /** What destroy does: "STOP" (default), "PAUSE", or "KEEP" (only forget it). */
  readonly onDelete?: pulumi.Input<"STOP" | "PAUSE" | "KEEP">;
  /**
   * Deadlines as Pulumi durations ("10m", "90s"); default 10m each. When not given, the `customTimeouts`
   * resource option is used (Pulumi itself never passes it to a dynamic provider).
   */
  readonly timeouts?: pulumi.Input<{ create?: string; update?: string; delete?: string }>;
  /**
   * Checked after every start the provider makes: the pipeline must stay RUNNING for `stableFor` ("30s", "2m";
   * 1s … 1h), its newest lag must not exceed `maxLag` records, and its offset must advance unless the lag is 0
   * (`requireProgress`, default true). Without it nothing is checked and no offset-lag call is made.
   */
  readonly healthCheck?: pulumi.Input<{ stableFor: string; maxLag?: number; requireProgress?: boolean }>;
  /** What to do with a pipeline that failed its health check: "KEEP" (default), "PAUSE" or "STOP". */
  readonly onUnhealthy?: pulumi.Input<"KEEP" | "PAUSE" | "STOP">;
}

/** The `health` output: the verdict of the last health check. */
export interface PipelineHealth {
  readonly verdict: "HEALTHY" | "UNHEALTHY" | "UNCHECKED";
  /** ISO 8601 time of the verdict. */
  readonly checkedAt: string;
  /** Newest lag sample at the end of the window (records). */
  readonly lag?: number;
  /** Offset progress over the window (records/s). */
  readonly offsetsPerSecond?: number;
  /** Why the verdict is not HEALTHY. */
  readonly reason?: string;
  /**
   * What was started and judged: start settings and triggers. An UNHEALTHY verdict stands for exactly these: a
   * later `up` with the same ones re-judges without starting and fails again while the pipeline is unhealthy.
   */
  readonly judged?: {
    readonly executionMode: string;
    readonly kafkaRate: number;
    readonly resourceConfig: PipelineResourceConfig;
    readonly releaseTrigger?: string;
    readonly offsetResetTrigger?: string;
    readonly restartTrigger?: string;
  };
}

/** Resources for a start, as EnOS documents them. */
export interface PipelineResourceConfig {
  readonly server: number;
  readonly yarn?: { readonly workerCount: number; readonly master: number; readonly slave: number };
  readonly advanced?: Readonly<Record<string, string>>;
}

const provider = thinProvider("pipeline");

/**
 * Keeps an existing EnOS stream-processing pipeline in a declared run state. `create` adopts the pipeline
 * (never creates one); `update` releases, starts, pauses, stops or resets offsets as needed; `pulumi refresh`
 * records the live status so drift shows in the next preview.
 */
export class EnosPipelineDeployment extends EnosResource {
  declare readonly pipelineId: pulumi.Output<string>;
  declare readonly orgId: pulumi.Output<string>;
  declare readonly desiredState: pulumi.Output<"RUNNING" | "PAUSED" | "STOPPED">;
  declare readonly executionMode: pulumi.Output<"STANDALONE" | "CLUSTER">;
  declare readonly kafkaRate: pulumi.Output<number>;
  declare readonly resourceConfig: pulumi.Output<PipelineResourceConfig>;
  declare readonly releaseTrigger: pulumi.Output<string | undefined>;
  declare readonly offsetResetTrigger: pulumi.Output<string | undefined>;
  declare readonly restartTrigger: pulumi.Output<string | undefined>;
  declare readonly restartStrategy: pulumi.Output<"PAUSE" | "STOP">;
  declare readonly onDelete: pulumi.Output<"STOP" | "PAUSE" | "KEEP">;
  declare readonly timeouts: pulumi.Output<{ create: string; update: string; delete: string }>;
  declare readonly healthCheck: pulumi.Output<
    { stableFor: string; maxLag?: number; requireProgress: boolean } | undefined
  >;
  /** Only beside a `healthCheck` (default "KEEP" there); absent without one. */
  declare readonly onUnhealthy: pulumi.Output<"KEEP" | "PAUSE" | "STOP" | undefined>;
  /** Verdict of the last health check (only with `healthCheck`); refresh keeps it. */
  declare readonly health: pulumi.Output<PipelineHealth | undefined>;
  /** Live EnOS status last observed (PUBLISHED, RUNNING, PAUSED, STOPPED, UNRELEASED, or a transitional/error value). */
  declare readonly status: pulumi.Output<string>;
  declare readonly pipelineName: pulumi.Output<string>;
  declare readonly releasedVersion: pulumi.Output<string | undefined>;
  declare readonly draftVersion: pulumi.Output<string | undefined>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: EnosPipelineDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const orgId = args.orgId ?? new pulumi.Config("enos").get("orgId");
    const timeouts =
      args.timeouts ?? timeoutsFromCustomTimeouts(`EnosPipelineDeployment ${name}`, opts?.customTimeouts);
    super(
      provider,
      name,
      {
        ...args,
        orgId,
        timeouts,
        status: undefined,
        pipelineName: undefined,
        releasedVersion: undefined,
        draftVersion: undefined,
        schemaVersion: undefined,
        health: undefined,
      },
      opts,
      "EnosPipelineDeployment",
    );
  }
}
