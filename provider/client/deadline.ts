import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The deadline of the operation a call belongs to (epoch ms, on the client's clock). A resource operation runs its
 * EnOS calls inside {@link withDeadline}; every request then fits its attempts, their timeouts and the pauses
 * between them into the time left, and a request that changes something is never sent once it has passed.
 * Kept in async context rather than passed to each call: the calls of one operation are many and nested (listing
 * pages, token renewals), and a call made outside any operation (the import tool, tests) simply has no deadline.
 */
const storage = new AsyncLocalStorage<number>();

/** Run `work` with `deadline` as the deadline of every EnOS call it makes. */
export function withDeadline<T>(deadline: number, work: () => Promise<T>): Promise<T> {
  return storage.run(deadline, work);
}

/** Milliseconds left before the current operation's deadline (undefined: the call has none). */
export function remainingMs(clock: () => number): number | undefined {
  const deadline = storage.getStore();
  return deadline === undefined ? undefined : deadline - clock();
}
