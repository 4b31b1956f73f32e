import { processGlobal } from "../registry.js";

/**
 * Recent transition durations per (org, action), shared by every resource in the provider process, so the
 * waiter can sleep through most of a start and poll fast only around its expected end.
 */
const SAMPLES = 5;

type Timings = Record<string, number[]>;

function timings(): Timings {
  return processGlobal<Timings>("transition-timings", () => ({}));
}

/** Median of the recent durations of `action` in `orgId`, or undefined before the first one. */
export function expectedDuration(orgId: string, action: string): number | undefined {
  const recent = timings()[`${orgId}\u0000${action}`];
  if (!recent || recent.length === 0) return undefined;
  const sorted = [...recent].sort((a, b) => a - b);
  // The lower middle of an even count: expecting too early costs a few polls, too late costs wall time.
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function recordDuration(orgId: string, action: string, ms: number): void {
  const all = timings();
  const key = `${orgId}\u0000${action}`;
  const recent = (all[key] ??= []);
  recent.push(ms);
  if (recent.length > SAMPLES) recent.shift();
}
