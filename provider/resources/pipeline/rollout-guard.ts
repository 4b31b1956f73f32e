import type { EnosApi } from "../../client/types.js";
import { haltRolloutSetting } from "../../config.js";
import { rolloutHalt, RolloutHaltedError } from "../../lifecycle/halt.js";
import type { PipelineAction } from "../../lifecycle/planner.js";
import { mayHaveTakenEffect } from "../common/errors.js";
import type { PipelineDeps } from "./converge.js";
import type { PipelineSpec } from "./spec.js";

/**
 * One operation's view of the rollout: refuses a plan that would start or release while the organisation's
 * rollout is halted (before its first call, so a redeploy is not left paused half-way), refuses the start or
 * release itself at the moment it would be sent (a start queued behind the org lock may wait long), and notes
 * whether a start was sent, which is what calls for a health check.
 */
export interface RolloutGuard {
  readonly deps: PipelineDeps;
  /** A start was sent to EnOS during this operation. */
  readonly startSent: () => boolean;
}

const HALTED_ACTIONS: readonly PipelineAction[] = ["start", "release"];

export function guardRollout(
  deps: PipelineDeps,
  spec: Pick<PipelineSpec, "orgId" | "pipelineId">,
): RolloutGuard {
  let startSent = false;
  const refuseIfHalted = (action: string): void => {
    if (!haltRolloutSetting().enabled) return;
    // The pipeline that caused a halt may make its own new attempt (new settings, restartTrigger): that is how
    // its halt is cleared.
    const halt = rolloutHalt(spec.orgId, spec.pipelineId);
    if (halt) throw new RolloutHaltedError(spec.orgId, halt, action);
  };
  const client = (): EnosApi => {
    const inner = deps.client();
    return {
      listPipelines: (...a) => inner.listPipelines(...a),
      getPipeline: (...a) => inner.getPipeline(...a),
      getPipelineStatus: (...a) => inner.getPipelineStatus(...a),
      releasePipeline: async (...a) => {
        refuseIfHalted("release");
        await inner.releasePipeline(...a);
      },
      startPipeline: async (...a) => {
        refuseIfHalted("start");
        try {
          await inner.startPipeline(...a);
          startSent = true;
        } catch (error) {
          // A start whose answer was lost may be running: it counts as sent. A refusal does not.
          if (mayHaveTakenEffect(error)) startSent = true;
          throw error;
        }
      },
      pausePipeline: (...a) => inner.pausePipeline(...a),
      stopPipeline: (...a) => inner.stopPipeline(...a),
      resetPipelineOffset: (...a) => inner.resetPipelineOffset(...a),
      getOffsetLag: (...a) => inner.getOffsetLag(...a),
      getFlow: (...a) => inner.getFlow(...a),
      enableFlow: (...a) => inner.enableFlow(...a),
      disableFlow: (...a) => inner.disableFlow(...a),
    };
  };
  return {
    deps: {
      ...deps,
      client,
      beforeActions: (actions) => {
        const halted = actions.find((action) => HALTED_ACTIONS.includes(action));
        if (halted !== undefined) refuseIfHalted(halted);
      },
    },
    startSent: () => startSent,
  };
}
