import { statusKind } from "./status.js";

/**
 * Waiting for a pipeline to reach a status, in the manner of Terraform's StateChangeConf: poll a refresh
 * function until a target status, fail fast on an error status, a vanished object or a status nobody asked
 * for, and never wait past the deadline. Pure: clock, sleep and the poll are injected.
 */

/** How often to poll: fast near the expected completion, backing off after it. */
export interface PollSchedule {
  /** Interval when nothing is known yet, and the starting point of the back-off. */
  readonly initialMs: number;
  /** Interval while the transition is expected to complete at any moment. */
  readonly fastMs: number;
  /** Longest interval between polls. */
  readonly maxMs: number;
  /** Growth of the interval once past the expected completion. */
  readonly factor: number;
}

export const DEFAULT_POLL_SCHEDULE: PollSchedule = { initialMs: 50, fastMs: 25, maxMs: 5_000, factor: 1.5 };

/**
 * Delay before the next poll. `expectedMs` is how long this kind of transition took recently in this org
 * (undefined: unknown): sleep until just before it, poll fast around it, then back off.
 */
export function nextPollDelay(
  elapsedMs: number,
  previousDelayMs: number | undefined,
  expectedMs: number | undefined,
  schedule: PollSchedule = DEFAULT_POLL_SCHEDULE,
): number {
  if (expectedMs !== undefined) {
    const fastFrom = expectedMs - schedule.fastMs;
    if (elapsedMs < fastFrom) return Math.min(fastFrom - elapsedMs, schedule.maxMs);
    if (elapsedMs < expectedMs * 1.5 + 500) return schedule.fastMs;
  }
  if (previousDelayMs === undefined) return schedule.initialMs;
  return Math.min(Math.max(previousDelayMs, schedule.initialMs) * schedule.factor, schedule.maxMs);
}

export interface WaitProgress {
  readonly status: string | undefined;
  readonly elapsedMs: number;
  readonly remainingMs: number;
}

export interface WaitOptions {
  /** Statuses that end the wait successfully. */
  readonly target: readonly string[];
  /** The status before the action: a listing may still show it for a moment, so it is waited through. */
  readonly from?: string;
  /** The live status, or undefined when the object no longer exists. */
  readonly poll: () => Promise<string | undefined>;
  /** Epoch ms after which the wait fails. */
  readonly deadline: number;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly expectedMs?: number | undefined;
  readonly schedule?: PollSchedule;
  /** Called at most every `progressEveryMs` (default 10 s) while waiting. */
  readonly onProgress?: (progress: WaitProgress) => void;
  readonly progressEveryMs?: number;
}

export interface WaitResult {
  readonly status: string;
  readonly polls: number;
  readonly elapsedMs: number;
  /** Send time of the poll that first saw the target, relative to the start: an upper bound on the duration. */
  readonly reachedAtMs: number;
  /** Send time of the last poll that did not see it yet (undefined: the first poll did): a lower bound. */
  readonly missedAtMs: number | undefined;
}

/**
 * How long the transition took, for the next wait's `expectedMs`: the middle of the interval in which it
 * became visible. `reachedAtMs` alone would be late by up to one poll interval and never come down by more
 * than `fastMs` per wait, so one late first sighting (made while backing off) would slow many later waits.
 * When the first poll already saw the target, assume it happened within the last fast interval.
 */
export function observedDuration(
  result: Pick<WaitResult, "reachedAtMs" | "missedAtMs">,
  schedule: PollSchedule = DEFAULT_POLL_SCHEDULE,
): number {
  const missed = result.missedAtMs ?? Math.max(0, result.reachedAtMs - schedule.fastMs);
  return (missed + result.reachedAtMs) / 2;
}

export type WaitFailureReason = "deadline" | "queued" | "error-status" | "vanished" | "unexpected-status";

const WAIT_ERROR_BRAND = Symbol.for("pulumi-enos.WaitError");

/** The wait ended without reaching the target; `lastStatus` is what was last observed. */
export class WaitError extends Error {
  readonly [WAIT_ERROR_BRAND] = true;
  constructor(
    readonly reason: WaitFailureReason,
    readonly lastStatus: string | undefined,
    readonly target: readonly string[],
    readonly elapsedMs: number,
    readonly polls: number,
  ) {
    super(describeFailure(reason, lastStatus, target, elapsedMs));
    this.name = "WaitError";
  }

  static isInstance(value: unknown): value is WaitError {
    return typeof value === "object" && value !== null && WAIT_ERROR_BRAND in value;
  }
}

function describeFailure(
  reason: WaitFailureReason,
  lastStatus: string | undefined,
  target: readonly string[],
  elapsedMs: number,
): string {
  const wanted = target.join(" or ");
  const seconds = `${(elapsedMs / 1000).toFixed(1)}s`;
  switch (reason) {
    case "deadline":
      return `still ${lastStatus ?? "unknown"} after ${seconds}, waiting for ${wanted}`;
    case "queued":
      return `still queued behind this deployment's earlier starts in the organisation after ${seconds}; the start was not sent`;
    case "error-status":
      return `status became ${lastStatus ?? "unknown"} while waiting for ${wanted}`;
    case "vanished":
      return `the pipeline disappeared while waiting for ${wanted}`;
    case "unexpected-status":
      return `status changed to ${lastStatus ?? "unknown"} (not by this update) while waiting for ${wanted}`;
  }
}

/** Poll until `target`, an error, or the deadline. */
export async function waitForStatus(options: WaitOptions): Promise<WaitResult> {
  const { clock, sleep, target } = options;
  const started = clock();
  const progressEvery = options.progressEveryMs ?? 10_000;
  let lastProgress = started;
  let polls = 0;
  let delay: number | undefined;
  let status: string | undefined;
  let missedAt: number | undefined;
  // Delays count from the previous poll's send (the wait's start at first), not from its answer: otherwise
  // every round trip would stretch the interval, and a 25 ms fast poll over a 20 ms link would come every 45 ms.
  let lastSentAt = started;

  // The caller has just seen the status it is waiting to move on from, so every poll comes after a sleep.
  for (;;) {
    const before = clock();
    if (before >= options.deadline) throw new WaitError("deadline", status, target, before - started, polls);
    delay = nextPollDelay(lastSentAt - started, delay, options.expectedMs, options.schedule);
    const due = lastSentAt + delay;
    await sleep(Math.max(0, Math.min(due, options.deadline) - before));
    const sentAt = clock();
    lastSentAt = sentAt;
    status = await options.poll();
    polls += 1;
    const now = clock();
    if (status === undefined) throw new WaitError("vanished", status, target, now - started, polls);
    if (target.includes(status)) {
      return { status, polls, elapsedMs: now - started, reachedAtMs: sentAt - started, missedAtMs: missedAt };
    }
    missedAt = sentAt - started;
    const kind = statusKind(status);
    if (kind === "error") throw new WaitError("error-status", status, target, now - started, polls);
    if (kind === "stable" && status !== options.from) {
      throw new WaitError("unexpected-status", status, target, now - started, polls);
    }
    if (options.onProgress && now - lastProgress >= progressEvery) {
      lastProgress = now;
      options.onProgress({ status, elapsedMs: now - started, remainingMs: options.deadline - now });
    }
  }
}
