import type * as pulumi from "@pulumi/pulumi";
import { parseDuration } from "../../lifecycle/duration.js";

/** The `timeouts` input of a resource: a deadline per operation, as Pulumi duration strings. */
export interface TimeoutsInput {
  create?: string;
  update?: string;
  delete?: string;
}

/**
 * The `timeouts` input taken from the `customTimeouts` resource option. Pulumi never passes customTimeouts to
 * a dynamic provider, so the resource class reads them in the program and hands them on as an input; an
 * explicit `timeouts` input is used instead when given. `read` is not taken: reads do not wait.
 * Throws, naming the option, for a value that is not a duration, before anything is registered.
 */
export function timeoutsFromCustomTimeouts(
  resource: string,
  custom: pulumi.CustomTimeouts | undefined,
): TimeoutsInput | undefined {
  if (custom === undefined) return undefined;
  const taken: TimeoutsInput = {};
  for (const operation of ["create", "update", "delete"] as const) {
    const value: unknown = custom[operation];
    if (value === undefined || value === null || value === "") continue;
    if (typeof value !== "string" || parseDuration(value) === undefined) {
      throw new Error(
        `${resource}: customTimeouts.${operation} ${JSON.stringify(value)} is not a duration: use a value such as "10m", "90s" or "1h30m"`,
      );
    }
    taken[operation] = value;
  }
  return Object.keys(taken).length > 0 ? taken : undefined;
}
