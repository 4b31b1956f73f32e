import type { DesiredState, StableStatus } from "./status.js";

/** One EnOS call the executor makes, in order. */
export type PipelineAction = "release" | "start" | "pause" | "stop" | "resetOffset";

/** Status each action leaves a pipeline in once EnOS has finished it. */
export const ACTION_TARGET: Readonly<Record<PipelineAction, StableStatus | undefined>> = {
  release: "PUBLISHED",
  start: "RUNNING",
  pause: "PAUSED",
  stop: "STOPPED",
  resetOffset: undefined,
};

/** What the planner needs to know: where the pipeline is, where it should be, and what the program asked for. */
export interface PlanInput {
  readonly observed: StableStatus;
  readonly desired: DesiredState;
  /** Publish the saved draft (releaseTrigger changed, or the pipeline was never released). */
  readonly release: boolean;
  /** Reset the Kafka offset (offsetResetTrigger changed). */
  readonly resetOffset: boolean;
  /** Start options changed: a running pipeline must be restarted to pick them up. */
  readonly restart: boolean;
  /** How a running pipeline is quiesced for a release, an offset reset or a restart. */
  readonly restartStrategy: "PAUSE" | "STOP";
}

export interface Plan {
  readonly actions: readonly PipelineAction[];
  /** Requested work that cannot apply from this status, said in words (e.g. nothing to reset yet). */
  readonly notes: readonly string[];
}

const AFTER: Readonly<Record<PipelineAction, (s: StableStatus) => StableStatus>> = {
  release: () => "PUBLISHED",
  start: () => "RUNNING",
  pause: () => "PAUSED",
  stop: () => "STOPPED",
  resetOffset: (s) => s,
};

/**
 * The shortest ordered list of EnOS actions from `observed` to `desired` that also performs the requested
 * release, offset reset and restart. Pure: walks the status machine of docs/ENOS-API.md step by step.
 */
export function planTransition(input: PlanInput): Plan {
  const actions: PipelineAction[] = [];
  const notes: string[] = [];
  let status = input.observed;
  const act = (action: PipelineAction): void => {
    actions.push(action);
    status = AFTER[action](status);
  };

  const release = input.release || status === "UNRELEASED";
  const mustQuiesce = release || input.resetOffset || input.restart;
  if (status === "RUNNING" && mustQuiesce) {
    if (input.desired === "STOPPED") act("stop");
    else if (input.desired === "PAUSED") act("pause");
    else act(input.restartStrategy === "STOP" ? "stop" : "pause");
  }

  if (input.resetOffset) {
    // EnOS resets offsets only from PAUSED or STOPPED; a pipeline that has not run since release has none.
    if (status === "PAUSED" || status === "STOPPED") act("resetOffset");
    else notes.push(`no offset to reset: the pipeline has not run since it was released (${status})`);
  }
  if (release) act("release");

  switch (input.desired) {
    case "RUNNING":
      if (status !== "RUNNING") act("start");
      break;
    case "PAUSED":
      if (status === "PUBLISHED" || status === "STOPPED") act("start");
      if (status === "RUNNING") act("pause");
      break;
    case "STOPPED":
      if (status === "RUNNING" || status === "PAUSED") act("stop");
      break;
  }
  return { actions, notes };
}

const VERB: Readonly<Record<PipelineAction, string>> = {
  release: "release",
  start: "start",
  pause: "pause",
  stop: "stop",
  resetOffset: "reset offset",
};

/** "pause, release, start" — how a plan reads in a diff line or an error. */
export function describeActions(actions: readonly PipelineAction[]): string {
  return actions.length === 0 ? "no EnOS action" : actions.map((a) => VERB[a]).join(", ");
}
