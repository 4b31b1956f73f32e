import { z } from "zod";
import { ADOPTER_INPUT } from "../../lifecycle/adoption.js";

/**
 * Shared input checking for the resources' `check`: per-field zod validation with failures Pulumi shows
 * against the property, tolerance for values the engine does not know yet during preview.
 */

/** The engine's placeholder for a value not known until apply (sent in preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
  return false;
}

/** One failed property, in the shape the dynamic-provider host forwards to the engine. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** Validate one field; failures name the exact nested property (e.g. `resourceConfig.yarn.master`). */
export function checkField<T>(
  property: string,
  schema: z.ZodType<T>,
  value: unknown,
  failures: CheckFailure[],
): T | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const path = [property, ...issue.path.map(String)].join(".");
    failures.push({ property: path, reason: `${path}: ${issue.message}` });
  }
  return undefined;
}

/**
 * Validate a default taken from provider settings (stack config or environment) with the input's own schema: a
 * malformed setting must fail `check`, naming the input and where its value came from, before any EnOS call.
 */
export function checkDefault<T>(
  property: string,
  schema: z.ZodType<T>,
  value: unknown,
  source: string,
  failures: CheckFailure[],
): T | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    failures.push({
      property,
      reason: `${property}: the default from ${source} is invalid: ${issue.message}`,
    });
  }
  return undefined;
}

/** Failures for keys the resource does not take (catches typos such as `desiredstate`). */
export function unknownKeyFailures(
  news: Record<string, unknown>,
  known: readonly string[],
  failures: CheckFailure[],
): void {
  for (const key of Object.keys(news)) {
    if (key === "__provider" || key === ADOPTER_INPUT || known.includes(key)) continue;
    failures.push({
      property: key.slice(0, 64),
      reason: `${key.slice(0, 64)}: not an input of this resource; valid inputs are ${known.join(", ")}`,
    });
  }
}

/** Drop undefined values: the host's Struct marshalling rejects them. */
export function withoutUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Shared zod message pieces. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ID_RULE = "may contain only letters, digits, '.', '_' and '-', starting with a letter or digit";

/** An EnOS id (pipeline, org, user): a non-empty, bounded string of safe characters; `what` says where to find it. */
export const idSchema = (what: string) =>
  z
    .string({ error: `must be a string: ${what}` })
    .min(1, `must not be empty: ${what}`)
    .max(128, "must be at most 128 characters")
    .regex(ID_PATTERN, ID_RULE);
