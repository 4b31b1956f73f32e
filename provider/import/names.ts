import { createHash } from "node:crypto";

/**
 * Resource names for imported objects: readable (from the EnOS name), valid everywhere the package takes a
 * name (the promotion program's `^[a-z0-9][a-z0-9-]{0,62}$`, which also suits Pulumi URNs), unique within one
 * resource type, and the same on every run for the same set of objects.
 */
const MAX_LENGTH = 63;

/** "Ingest Telemetry (v2)" → "ingest-telemetry-v2"; accents dropped; "" when nothing readable is left. */
export function slug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_LENGTH)
    .replace(/-+$/, "");
}

/** One object to name: its EnOS id (what makes it unique) and its display name. */
export interface Nameable {
  readonly id: string;
  readonly displayName: string;
}

/**
 * Names for `items`, by id. Objects are named in id order, so which of two same-named objects keeps the plain
 * name never depends on the order EnOS lists them in; the others get their id as a suffix (only the first
 * group of a long id such as a UUID), then a hash of the id if that still collides.
 */
export function uniqueNames(items: readonly Nameable[], fallbackPrefix: string): Map<string, string> {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const item of sorted) {
    const base = baseName(item, fallbackPrefix);
    const idSlug = slug(item.id) || "x";
    const hash = createHash("sha256").update(item.id).digest("hex").slice(0, 8);
    const candidates = [
      base,
      withSuffix(base, idSlug.length <= 20 ? idSlug : (idSlug.split("-")[0] ?? idSlug).slice(0, 12)),
      withSuffix(base, hash),
    ];
    let name = candidates.find((candidate) => !taken.has(candidate));
    for (let n = 2; name === undefined; n++) {
      const numbered = withSuffix(base, `${hash}-${n}`);
      if (!taken.has(numbered)) name = numbered;
    }
    taken.add(name);
    names.set(item.id, name);
  }
  return names;
}

function baseName(item: Nameable, fallbackPrefix: string): string {
  const readable = slug(item.displayName);
  if (/^[a-z0-9]/.test(readable)) return readable;
  return slug(`${fallbackPrefix}-${item.id}`) || fallbackPrefix;
}

function withSuffix(base: string, suffix: string): string {
  const room = MAX_LENGTH - suffix.length - 1;
  const head = base.slice(0, Math.max(1, room)).replace(/-+$/, "");
  return `${head}-${suffix}`.slice(0, MAX_LENGTH).replace(/-+$/, "");
}
