import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeActions, planTransition, type PipelineAction } from "../../../provider/lifecycle/planner.js";
import {
  DESIRED_STATES,
  isStableStatus,
  satisfiesDesired,
  STABLE_STATUSES,
  statusKind,
  type DesiredState,
  type StableStatus,
} from "../../../provider/lifecycle/status.js";
import { SEED_PIPELINE_STATUSES, type RunningSimulator } from "../../../simulator/index.js";
import { TRANSITIONAL_STATUS } from "../../../simulator/state.js";
import { codeOf, FAST, ORG, withSim, type TestCaller, type WireResponse } from "../../simulator/helpers.js";

type Change = "none" | "release" | "resetOffset" | "restart";

const plan = (
  observed: StableStatus,
  desired: DesiredState,
  change: Change = "none",
  restartStrategy: "PAUSE" | "STOP" = "PAUSE",
) =>
  planTransition({
    observed,
    desired,
    release: change === "release",
    resetOffset: change === "resetOffset",
    restart: change === "restart",
    restartStrategy,
  }).actions.join(",");

// Every observed status × desired state × change kind, with the PAUSE strategy (STOP checked below).
const TABLE: Record<StableStatus, Record<DesiredState, Record<Change, string>>> = {
  UNRELEASED: {
    RUNNING: {
      none: "release,start",
      release: "release,start",
      resetOffset: "release,start",
      restart: "release,start",
    },
    PAUSED: {
      none: "release,start,pause",
      release: "release,start,pause",
      resetOffset: "release,start,pause",
      restart: "release,start,pause",
    },
    STOPPED: { none: "release", release: "release", resetOffset: "release", restart: "release" },
  },
  PUBLISHED: {
    RUNNING: { none: "start", release: "release,start", resetOffset: "start", restart: "start" },
    PAUSED: {
      none: "start,pause",
      release: "release,start,pause",
      resetOffset: "start,pause",
      restart: "start,pause",
    },
    STOPPED: { none: "", release: "release", resetOffset: "", restart: "" },
  },
  RUNNING: {
    RUNNING: {
      none: "",
      release: "pause,release,start",
      resetOffset: "pause,resetOffset,start",
      restart: "pause,start",
    },
    PAUSED: {
      none: "pause",
      release: "pause,release,start,pause",
      resetOffset: "pause,resetOffset",
      restart: "pause",
    },
    STOPPED: { none: "stop", release: "stop,release", resetOffset: "stop,resetOffset", restart: "stop" },
  },
  PAUSED: {
    RUNNING: { none: "start", release: "release,start", resetOffset: "resetOffset,start", restart: "start" },
    PAUSED: { none: "", release: "release,start,pause", resetOffset: "resetOffset", restart: "" },
    STOPPED: { none: "stop", release: "release", resetOffset: "resetOffset,stop", restart: "stop" },
  },
  STOPPED: {
    RUNNING: { none: "start", release: "release,start", resetOffset: "resetOffset,start", restart: "start" },
    PAUSED: {
      none: "start,pause",
      release: "release,start,pause",
      resetOffset: "resetOffset,start,pause",
      restart: "start,pause",
    },
    STOPPED: { none: "", release: "release", resetOffset: "resetOffset", restart: "" },
  },
};

describe("planTransition", () => {
  for (const observed of STABLE_STATUSES) {
    for (const desired of DESIRED_STATES) {
      for (const change of ["none", "release", "resetOffset", "restart"] as const) {
        it(`${observed} → ${desired} with ${change}`, () => {
          expect(plan(observed, desired, change)).toBe(TABLE[observed][desired][change]);
        });
      }
    }
  }

  it("quiesces with stop when restartStrategy is STOP", () => {
    expect(plan("RUNNING", "RUNNING", "release", "STOP")).toBe("stop,release,start");
    expect(plan("RUNNING", "RUNNING", "resetOffset", "STOP")).toBe("stop,resetOffset,start");
    expect(plan("RUNNING", "RUNNING", "restart", "STOP")).toBe("stop,start");
  });

  it("resets before releasing when both are asked for", () => {
    const result = planTransition({
      observed: "RUNNING",
      desired: "RUNNING",
      release: true,
      resetOffset: true,
      restart: true,
      restartStrategy: "PAUSE",
    });
    expect(result.actions).toEqual(["pause", "resetOffset", "release", "start"]);
  });

  it("says why an offset reset was skipped", () => {
    const result = planTransition({
      observed: "PUBLISHED",
      desired: "RUNNING",
      release: false,
      resetOffset: true,
      restart: false,
      restartStrategy: "PAUSE",
    });
    expect(result.actions).toEqual(["start"]);
    expect(result.notes[0]).toMatch(/no offset to reset/);
  });

  it("reads as a person would say it", () => {
    expect(describeActions(["pause", "release", "start"])).toBe("pause, release, start");
    expect(describeActions(["resetOffset"])).toBe("reset offset");
    expect(describeActions([])).toBe("no EnOS action");
  });
});

describe("satisfiesDesired", () => {
  it("accepts a released, never-started pipeline as STOPPED", () => {
    expect(satisfiesDesired("PUBLISHED", "STOPPED")).toBe(true);
    expect(satisfiesDesired("PUBLISHED", "RUNNING")).toBe(false);
    expect(satisfiesDesired("UNRELEASED", "STOPPED")).toBe(false);
  });
});

// The legality walk is driven by the simulator's status machine, not by a copy of it: for every status the
// simulator can show and every desired state, the plan is carried out call by call against a running simulator
// (transitions finish within the call), every call must be accepted, and the pipeline must end where the
// program wants it, with the requested release, offset reset and restart done.
describe("plans, carried out on the simulator", () => {
  const WALK = "planner-walk";
  let sim: RunningSimulator | undefined;
  let caller: TestCaller;

  beforeAll(async () => {
    ({ sim, caller } = await withSim(FAST));
  });
  afterAll(async () => {
    await sim?.close();
  });

  const call = (action: PipelineAction): Promise<WireResponse> => {
    switch (action) {
      case "start":
        return caller.start(WALK);
      case "resetOffset":
        return caller.resetOffset(WALK);
      default:
        return caller.operate(WALK, action);
    }
  };

  /** A fresh pipeline in `status` (seeded, so nothing the planner says got it there). */
  const seed = (status: (typeof SEED_PIPELINE_STATUSES)[number]) =>
    sim!.admin.upsertPipeline({ pipelineId: WALK, orgId: ORG, status });

  it("every status the simulator can show is one the provider plans from, fails on, or waits out", () => {
    for (const status of SEED_PIPELINE_STATUSES) {
      expect(isStableStatus(status) || statusKind(status) === "error", status).toBe(true);
    }
    for (const status of Object.values(TRANSITIONAL_STATUS)) {
      expect(statusKind(status), status).toBe("transitional");
    }
  });

  it("every plan is accepted step by step and ends in the desired state, with the asked-for work done", async () => {
    const observedStatuses = SEED_PIPELINE_STATUSES.filter(isStableStatus);
    expect(observedStatuses).not.toHaveLength(0);
    let walks = 0;
    for (const observed of observedStatuses) {
      for (const desired of DESIRED_STATES) {
        for (const restartStrategy of ["PAUSE", "STOP"] as const) {
          for (const flags of [0, 1, 2, 3, 4, 5, 6, 7]) {
            const input = {
              observed,
              desired,
              release: (flags & 1) !== 0,
              resetOffset: (flags & 2) !== 0,
              restart: (flags & 4) !== 0,
              restartStrategy,
            };
            const label = JSON.stringify(input);
            await seed(observed);
            // A release publishes a newer draft; without one, what is released stays as it is.
            if (input.release) await sim!.admin.saveDraft(WALK);
            const plan = planTransition(input);
            for (const [step, action] of plan.actions.entries()) {
              const answer = await call(action);
              expect(codeOf(answer), `${label}: step ${step + 1}, ${action}: ${answer.text}`).toBe(0);
            }
            const after = await sim!.admin.pipeline(WALK);
            expect(satisfiesDesired(after.status, desired), `${label}: ended ${after.status}`).toBe(true);
            if (input.release || observed === "UNRELEASED") {
              expect(after.releasedVersion, label).toBe(after.draftVersion);
            }
            if (input.resetOffset) {
              // Skipped only where the simulator itself has no offset to reset.
              const skipped = plan.notes.some((n) => n.startsWith("no offset to reset"));
              expect(after.offsetResets, label).toBe(skipped ? 0 : 1);
              if (skipped) {
                await seed(observed);
                expect(codeOf(await caller.resetOffset(WALK)), label).toBe(61168);
              }
            }
            if (input.restart && observed === "RUNNING" && desired === "RUNNING") {
              expect(after.startCount, `${label}: restarted with the new options`).toBe(1);
            }
            walks++;
          }
        }
      }
    }
    expect(walks).toBe(observedStatuses.length * DESIRED_STATES.length * 2 * 8);
  });
});
