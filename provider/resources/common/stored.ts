import type { z } from "zod";

/**
 * Reading what Pulumi state holds for a resource (`olds` in diff/update, `props` in read/delete). State may
 * have been written by an older version of this package, so it is parsed, never cast: fields an older layout
 * lacks get their defaults, and a layout newer than this code is refused with what to do.
 */

/** The layout version this code writes and everything older it reads. */
export function checkSchemaVersion(resource: string, found: unknown, current: number): void {
  if (typeof found === "number" && found > current) {
    throw new Error(
      `${resource}: its state was written by a newer pulumi-enos (schemaVersion ${found}; this version reads up to ${current}). Upgrade pulumi-enos in this project, then run the command again.`,
    );
  }
}

/** Parse stored properties with `schema`; an unreadable field fails naming the resource and the field. */
export function parseStored<T>(resource: string, schema: z.ZodType<T>, props: unknown): T {
  const parsed = schema.safeParse(props);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues
    .map((issue) => `${issue.path.map(String).join(".") || "state"}: ${issue.message}`)
    .join("; ");
  throw new Error(
    `${resource}: the state recorded for it cannot be read (${fields}). Run \`pulumi refresh\`; if that fails too, remove it with \`pulumi state delete <urn>\` and let \`pulumi up\` adopt it again (adopting changes nothing in EnOS).`,
  );
}
