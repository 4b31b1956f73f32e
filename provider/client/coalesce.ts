/**
 * Coalesced reads: many concurrent callers of the same read share one request.
 *
 * EnOS has no status endpoint, so every status poll is a full paged List Pipelines; 200 resources polling in
 * one org must cost about one listing, not 200. Per key there is at most one read in flight and at most one
 * queued behind it:
 *
 * - A caller without `notBefore` joins the read in flight, if any.
 * - A caller with `notBefore` joins the read in flight only if it started at or after `notBefore` (so a poll
 *   after a mutation never gets an answer from before the mutation); otherwise it joins the queued read, which
 *   starts as soon as the current one settles. A `notBefore` in the future counts as "now".
 * - With nothing in flight, the caller starts a read.
 * - A caller that passes `keptSince` (a refresh `read`, never a wait) may also take the result of a read that
 *   such a caller started after `keptSince` (the time of this process's last mutation in the org): a refresh
 *   costs one listing per org however its Reads arrive (the engine sends them a few at a time, `--parallel`,
 *   and `--run-program` spreads them over the program's run), and no listing taken before one of this
 *   process's own changes to the org serves a read after it. Reads started by waits are never kept, so a
 *   wait's answer never serves a refresh.
 */
import { processGlobal } from "../registry.js";

interface Flight<T> {
  readonly startedAt: number;
  readonly promise: Promise<T>;
}

/** State of one coalescing key. */
export interface CoalesceSlot<T> {
  current: Flight<T> | undefined;
  queued: Promise<T> | undefined;
  /** The last result of a read started by a `keptSince` caller, and when that read started. */
  recent?: { readonly startedAt: number; readonly value: T } | undefined;
}

/** A new, empty slot (for tests and for {@link coalesceSlot}). */
export function emptySlot<T>(): CoalesceSlot<T> {
  return { current: undefined, queued: undefined };
}

/** The process-wide slot for `key` within the family `family`. */
export function coalesceSlot<T>(family: string, key: string): CoalesceSlot<T> {
  const slots = processGlobal(`pulumi-enos.client.coalesce.${family}.v1`, () => new Map<string, unknown>());
  let slot = slots.get(key) as CoalesceSlot<T> | undefined;
  if (slot === undefined) {
    slot = emptySlot<T>();
    slots.set(key, slot);
  }
  return slot;
}

function launch<T>(
  slot: CoalesceSlot<T>,
  clock: () => number,
  read: () => Promise<T>,
  keep: boolean,
): Promise<T> {
  const startedAt = clock();
  const promise = read()
    .then((value) => {
      if (keep) slot.recent = { startedAt, value };
      return value;
    })
    .finally(() => {
      if (slot.current?.promise === promise) {
        slot.current = undefined;
      }
    });
  slot.current = { startedAt, promise };
  return promise;
}

/** Join or start a read for `slot` per the rules above. */
export function coalescedRead<T>(
  slot: CoalesceSlot<T>,
  notBefore: number | undefined,
  clock: () => number,
  read: () => Promise<T>,
  keptSince?: number,
): Promise<T> {
  const now = clock();
  const recent = slot.recent;
  if (keptSince !== undefined && notBefore === undefined && recent && recent.startedAt > keptSince)
    return Promise.resolve(recent.value);
  const keep = keptSince !== undefined;
  const current = slot.current;
  const threshold = notBefore === undefined ? -Infinity : Math.min(notBefore, now);
  if (current !== undefined && current.startedAt >= threshold) {
    return current.promise;
  }
  if (slot.queued !== undefined) {
    return slot.queued;
  }
  if (current === undefined) {
    return launch(slot, clock, read, keep);
  }
  const queued = current.promise
    .then(
      () => undefined,
      () => undefined,
    )
    .then(() => {
      slot.queued = undefined;
      return launch(slot, clock, read, keep);
    });
  slot.queued = queued;
  return queued;
}
