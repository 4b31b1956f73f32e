import { describe, expect, it } from "vitest";
import { describeActions, planTransition, type PipelineAction } from "../../../provider/lifecycle/planner.js";
import {
  DESIRED_STATES,
  satisfiesDesired,
  STABLE_STATUSES,
  type DesiredState,
  type StableStatus,
} from "../../../provider/lifecycle/status.js";

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

const AFTER: Record<PipelineAction, (s: StableStatus) => StableStatus> = {
  release: () => "PUBLISHED",
  start: () => "RUNNING",
  pause: () => "PAUSED",
  stop: () => "STOPPED",
  resetOffset: (s) => s,
};
// Prerequisites from ENOS-API.md (release also from PUBLISHED: re-publishing a job that is not running).
const ALLOWED_FROM: Record<PipelineAction, readonly StableStatus[]> = {
  release: ["UNRELEASED", "PUBLISHED", "STOPPED", "PAUSED"],
  start: ["PUBLISHED", "STOPPED", "PAUSED"],
  pause: ["RUNNING"],
  stop: ["RUNNING", "PAUSED"],
  resetOffset: ["PAUSED", "STOPPED"],
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

  it("every plan is legal step by step and ends in the desired state", () => {
    for (const observed of STABLE_STATUSES) {
      for (const desired of DESIRED_STATES) {
        for (const strategy of ["PAUSE", "STOP"] as const) {
          for (const flags of [0, 1, 2, 3, 4, 5, 6, 7]) {
            const input = {
              observed,
              desired,
              release: (flags & 1) !== 0,
              resetOffset: (flags & 2) !== 0,
              restart: (flags & 4) !== 0,
              restartStrategy: strategy,
            };
            let status = observed;
            for (const action of planTransition(input).actions) {
              expect(ALLOWED_FROM[action], `${JSON.stringify(input)}: ${action} from ${status}`).toContain(
                status,
              );
              status = AFTER[action](status);
            }
            expect(satisfiesDesired(status, desired), JSON.stringify(input)).toBe(true);
          }
        }
      }
    }
  });

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
