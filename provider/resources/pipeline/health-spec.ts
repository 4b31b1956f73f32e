import { z } from "zod";
import { haltRolloutSetting } from "../../config.js";
import { formatDuration, parseDuration } from "../../lifecycle/duration.js";
import { checkField, containsUnknown, type CheckFailure } from "../common/validation.js";

/** `check` for `healthCheck` and `onUnhealthy`: resolved into `out`, problems into `failures`. */

const MIN_STABLE_MS = 1_000;
const MAX_STABLE_MS = 3_600_000;

const stableForSchema = z
  .string({ error: 'must be a duration string such as "30s" or "2m"' })
  .refine((text) => parseDuration(text) !== undefined, 'must be a duration such as "30s", "2m" or "1m30s"')
  .refine((text) => (parseDuration(text) ?? 0) >= MIN_STABLE_MS, "must be at least 1s")
  .refine((text) => (parseDuration(text) ?? 0) <= MAX_STABLE_MS, "must be at most 1h");

const healthCheckSchema = z
  .object(
    {
      stableFor: stableForSchema,
      maxLag: z
        .number({ error: "must be a number of records" })
        .int("must be a whole number of records")
        .min(0, "must be at least 0 records")
        .optional(),
      requireProgress: z.boolean({ error: "must be true or false" }).optional(),
    },
    {
      error: (issue: { code: string }) =>
        issue.code === "invalid_type"
          ? 'must be an object such as { stableFor: "30s", maxLag: 500 }'
          : undefined,
    },
  )
  .strict();

const onUnhealthySchema = z.enum(["KEEP", "PAUSE", "STOP"], {
  error: 'must be one of "KEEP", "PAUSE", "STOP" (what to do with a pipeline that failed its health check)',
});

export function checkHealthInputs(
  news: Record<string, unknown>,
  out: Record<string, unknown>,
  failures: CheckFailure[],
): void {
  // Resolved (default KEEP) only beside a healthCheck: a program without one keeps the state it had before.
  const onUnhealthy = news.onUnhealthy;
  const given = news.healthCheck;
  if (containsUnknown(onUnhealthy)) out.onUnhealthy = onUnhealthy;
  else if (onUnhealthy !== undefined && onUnhealthy !== null)
    out.onUnhealthy = checkField("onUnhealthy", onUnhealthySchema, onUnhealthy, failures);
  else if (given !== undefined && given !== null) out.onUnhealthy = "KEEP";

  if (given === undefined || given === null) return;
  if (containsUnknown(given)) {
    out.healthCheck = given;
    return;
  }
  const check = checkField("healthCheck", healthCheckSchema, given, failures);
  if (check === undefined) return;
  out.healthCheck = { ...check, requireProgress: check.requireProgress ?? true };

  // The window counts against the operation's deadline: one that cannot fit is refused now, not after a start.
  const stableMs = parseDuration(check.stableFor) ?? 0;
  const timeouts = out.timeouts as Record<string, unknown> | undefined;
  for (const operation of ["create", "update"] as const) {
    const timeout = timeouts?.[operation];
    const text = typeof timeout === "string" ? timeout : "";
    const deadlineMs = parseDuration(text);
    if (deadlineMs !== undefined && deadlineMs <= stableMs) {
      failures.push({
        property: "healthCheck.stableFor",
        reason:
          `healthCheck.stableFor: ${check.stableFor} does not fit in timeouts.${operation} (${text}): the health ` +
          `check's window counts against the operation's deadline; raise timeouts.${operation} above ` +
          `${formatDuration(stableMs)} plus the time a start takes, or shorten stableFor`,
      });
    }
  }
  const halt = haltRolloutSetting();
  if (halt.problem !== undefined)
    failures.push({ property: "healthCheck", reason: `healthCheck: ${halt.problem}` });
}
