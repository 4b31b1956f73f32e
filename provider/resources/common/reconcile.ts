import { describeCause, mayHaveTakenEffect } from "./errors.js";

/**
 * The one loop every resource uses to change EnOS: read the live state, plan the next call from it, make the
 * call, and read again. A call whose answer was lost (dropped connection, timeout, broken body, 5xx) may or
 * may not have reached EnOS, so it is never repeated blindly and never reported as failed: the loop reads the
 * live state again and re-plans from it, which repeats the call only if the state shows it did not happen.
 */

/** One EnOS call, planned from what was last seen. */
export interface Step<Seen> {
  /** What the call is, for logs and errors ("start", "enable", …). */
  readonly name: string;
  /** Make the call, and wait for its effect when it has one. */
  run(): Promise<void>;
  /** After a lost answer: whether `seen` shows the call took effect (then `done` runs). */
  tookEffect?(seen: Seen): boolean;
  /** Bookkeeping once the call is known to have taken effect. */
  done?(): void;
}

export interface Reconciler<Seen> {
  /** Names the resource in log lines. */
  readonly label: string;
  /** The live state; `track` names what the read is doing, for an error raised during it. */
  read(track: (activity: string) => void): Promise<Seen>;
  /** The next call from what was seen, or undefined when nothing is left to do. */
  plan(seen: Seen): Step<Seen> | undefined;
  /**
   * A failure that is not a lost answer: resolve true to read and re-plan (it does not count as a step), false
   * to fail with it. Absent: every such failure fails.
   */
  recover?(error: unknown, step: Step<Seen>): Promise<boolean>;
  /** Calls made (succeeded or answer lost) before the loop gives up. */
  readonly maxSteps: number;
  /** Lost answers tolerated in one run. */
  readonly maxLostAnswers: number;
  readonly log: (line: string) => void;
}

const RECONCILE_ERROR = Symbol.for("pulumi-enos.ReconcileError");

/** The loop stopped: what it was doing and what it had last seen, so state can keep it. */
export class ReconcileError<Seen> extends Error {
  readonly [RECONCILE_ERROR] = true;
  constructor(
    /** The step or read that failed ("start", "observe", …). */
    readonly during: string,
    /** The last state read, if any. */
    readonly lastSeen: Seen | undefined,
    override readonly cause: unknown,
    /** Whether any call was made: false means nothing in EnOS was changed by this run. */
    readonly called: boolean,
  ) {
    super(describeCause(cause), { cause });
    this.name = "ReconcileError";
  }

  static isInstance(value: unknown): value is ReconcileError<unknown> {
    return typeof value === "object" && value !== null && RECONCILE_ERROR in value;
  }
}

/** Read → plan → call until the plan is empty; resolves the last state read. */
export async function reconcile<Seen>(r: Reconciler<Seen>): Promise<Seen> {
  let during = "read";
  let lastSeen: Seen | undefined;
  let steps = 0;
  let lost = 0;
  let called = false;
  /** A call whose answer was lost: the next read decides whether it took effect. */
  let unconfirmed: Step<Seen> | undefined;
  try {
    for (;;) {
      during = "read";
      const seen = await r.read((activity) => {
        during = activity;
      });
      lastSeen = seen;
      if (unconfirmed?.tookEffect?.(seen)) {
        r.log(`${r.label}: ${unconfirmed.name} took effect`);
        unconfirmed.done?.();
      }
      unconfirmed = undefined;
      const step = r.plan(seen);
      if (step === undefined) return seen;
      if (steps >= r.maxSteps) throw new Error(`did not settle after ${r.maxSteps} calls`);
      during = step.name;
      called = true;
      try {
        await step.run();
        steps += 1;
        step.done?.();
      } catch (error) {
        if (mayHaveTakenEffect(error) && lost < r.maxLostAnswers) {
          steps += 1;
          lost += 1;
          unconfirmed = step;
          r.log(
            `${r.label}: ${step.name} may or may not have reached EnOS (${describeCause(error)}); re-reading before anything else`,
          );
          continue;
        }
        if (mayHaveTakenEffect(error) || !(await r.recover?.(error, step))) throw error;
      }
    }
  } catch (error) {
    throw new ReconcileError(during, lastSeen, error, called);
  }
}
