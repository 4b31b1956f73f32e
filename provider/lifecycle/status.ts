/**
 * The pipeline status model. EnOS documents four stable statuses; the console also shows a run-error state
 * and may show transitional values, so anything else is classified by the tolerance rules in docs/ENOS-API.md.
 */

/** Run states a program can ask for. */
export const DESIRED_STATES = ["RUNNING", "PAUSED", "STOPPED"] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/** Stable statuses EnOS documents, plus our name for "exists, never released" (EnOS lists no status for it). */
export const STABLE_STATUSES = ["UNRELEASED", "PUBLISHED", "RUNNING", "PAUSED", "STOPPED"] as const;
export type StableStatus = (typeof STABLE_STATUSES)[number];

/** Reported for a pipeline that exists in design but was never released. Not an EnOS value. */
export const UNRELEASED: StableStatus = "UNRELEASED";

export type StatusKind = "stable" | "error" | "transitional";

export function isStableStatus(status: string): status is StableStatus {
  return (STABLE_STATUSES as readonly string[]).includes(status);
}

/** Any status naming an error or failure is one; any other unknown value is a transition in progress. */
export function statusKind(status: string): StatusKind {
  if (isStableStatus(status)) return "stable";
  return /ERROR|FAIL/i.test(status) ? "error" : "transitional";
}

/** Whether an observed status already is the desired run state (STOPPED accepts a never-started release). */
export function satisfiesDesired(status: string, desired: DesiredState): boolean {
  if (desired === "STOPPED") return status === "STOPPED" || status === "PUBLISHED";
  return status === desired;
}
