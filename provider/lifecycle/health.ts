import { formatDuration } from "./duration.js";

/**
 * The health gate's pure parts: when to look during the stability window, and the verdict from what was seen.
 * The I/O (status from the shared listing, Get Pipeline Offset and Lag) lives in the pipeline resource's
 * health-gate.ts; everything here is a function of its arguments so the tables in the unit tests cover it.
 */

/** The resolved `healthCheck` input. */
export interface HealthCheck {
  /** Duration text, e.g. "30s": how long the pipeline must stay RUNNING after a start. */
  readonly stableFor: string;
  /** Records: the newest lag at the end of the window must not exceed it. */
  readonly maxLag?: number;
  /** The offset must advance during the window, unless the lag is 0 (an idle topic). */
  readonly requireProgress: boolean;
}

export const HEALTH_VERDICTS = ["HEALTHY", "UNHEALTHY", "UNCHECKED"] as const;
export type HealthVerdict = (typeof HEALTH_VERDICTS)[number];

/** The `health` output. */
export interface Health {
  readonly verdict: HealthVerdict;
  /** ISO 8601 time the verdict was reached. */
  readonly checkedAt: string;
  /** Newest lag sample (records) at the end of the window. */
  readonly lag?: number;
  /** Offset progress over the window, records per second. */
  readonly offsetsPerSecond?: number;
  /** Why the verdict is not HEALTHY. */
  readonly reason?: string;
  /** What was started and judged: the start settings and triggers (a verdict stands for these only). */
  readonly judged?: JudgedSettings;
}

/** The settings a verdict was reached on; a later start with other settings is a new attempt. */
export interface JudgedSettings {
  readonly executionMode: string;
  readonly kafkaRate: number;
  readonly resourceConfig: unknown;
  readonly releaseTrigger?: string;
  readonly offsetResetTrigger?: string;
  readonly restartTrigger?: string;
}

/** One Get Pipeline Offset and Lag sample. */
export interface LagSample {
  readonly lag: number;
  readonly offset: number;
  /** EnOS time of the sample, ms. */
  readonly ts: number;
}

/** What the gate saw during the window. */
export interface WindowObservation {
  readonly windowMs: number;
  /** The pipeline was seen in another status before the window ended. */
  readonly leftRunning?: { readonly status: string; readonly afterMs: number };
  /** Newest sample of the first offset-lag read of the window. */
  readonly first?: LagSample;
  /** Newest sample of the last offset-lag read of the window. */
  readonly last?: LagSample;
  /** The last offset-lag read's failure, when no sample could be read. */
  readonly readError?: string;
}

/** One moment of the window at which the gate reads something (ms after the pipeline reached RUNNING). */
export interface Checkpoint {
  readonly atMs: number;
  /** Read Get Pipeline Offset and Lag (otherwise only the status, from the shared listing). */
  readonly readLag: boolean;
}

/** Shortest and longest gap between two status reads: crashes are seen within it, listings stay rare. */
const STATUS_GAP_MIN_MS = 1_000;
const STATUS_GAP_MAX_MS = 15_000;

/**
 * When to look during a window: offset-lag three times (start, middle, end: enough for a baseline, a trend and
 * the newest lag, however long the window), the status every window/4 (1 s … 15 s) so a crash ends the gate
 * early. The last checkpoint is at the window's end and reads both.
 */
export function gateCheckpoints(windowMs: number): Checkpoint[] {
  const lagAt = new Set([0, Math.round(windowMs / 2), windowMs]);
  const gap = Math.min(STATUS_GAP_MAX_MS, Math.max(STATUS_GAP_MIN_MS, windowMs / 4));
  const moments = new Set(lagAt);
  for (let at = gap; at < windowMs; at += gap) moments.add(Math.round(at));
  return [...moments].sort((a, b) => a - b).map((atMs) => ({ atMs, readLag: lagAt.has(atMs) }));
}

/** The verdict on a window. `now` stamps `checkedAt`. */
export function healthVerdict(check: HealthCheck, seen: WindowObservation, now: number): Health {
  const checkedAt = new Date(now).toISOString();
  const window = formatDuration(seen.windowMs);
  if (seen.leftRunning) {
    const { status, afterMs } = seen.leftRunning;
    return {
      verdict: "UNHEALTHY",
      checkedAt,
      ...(seen.last ? { lag: seen.last.lag } : {}),
      reason: `status ${status} ${formatDuration(afterMs)} after start`,
    };
  }
  const { first, last } = seen;
  if (!first || !last) {
    return {
      verdict: "UNHEALTHY",
      checkedAt,
      reason: `no offset-lag sample could be read in ${window}${seen.readError ? ` (${seen.readError})` : ""}`,
    };
  }
  const rate = offsetsPerSecond(first, last);
  const reasons: string[] = [];
  if (check.maxLag !== undefined && last.lag > check.maxLag) {
    reasons.push(`lag ${last.lag} > maxLag ${check.maxLag} after ${window}`);
  }
  if (check.requireProgress && last.lag > 0 && last.offset <= first.offset) {
    reasons.push(`offset did not move in ${window} (offset ${last.offset}, lag ${last.lag})`);
  }
  return {
    verdict: reasons.length === 0 ? "HEALTHY" : "UNHEALTHY",
    checkedAt,
    lag: last.lag,
    ...(rate === undefined ? {} : { offsetsPerSecond: rate }),
    ...(reasons.length === 0 ? {} : { reason: reasons.join("; ") }),
  };
}

/** Records per second between two samples (one decimal), undefined when they are the same moment. */
export function offsetsPerSecond(first: LagSample, last: LagSample): number | undefined {
  const seconds = (last.ts - first.ts) / 1_000;
  if (!(seconds > 0)) return undefined;
  return Math.round(((last.offset - first.offset) / seconds) * 10) / 10;
}

/** The newest sample of one read (samples come as a short series, not necessarily ordered). */
export function newestSample(samples: readonly LagSample[]): LagSample | undefined {
  let newest: LagSample | undefined;
  for (const sample of samples) if (!newest || sample.ts >= newest.ts) newest = sample;
  return newest;
}

/** A verdict for a pipeline whose window could not run (no start was made, or no time was left for it). */
export function uncheckedHealth(now: number, reason: string): Health {
  return { verdict: "UNCHECKED", checkedAt: new Date(now).toISOString(), reason };
}
