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

/** How long after an operation's deadline an answer may still arrive and a read may still start. */
export const ANSWER_GRACE_MS = 5_000;

/**
 * Run `work` with no deadline. For a read shared by several operations (the org's listing, the token): it must
 * not end at the deadline of whichever operation happened to start it; each caller bounds its own wait instead
 * ({@link withinDeadline}).
 */
export function withoutDeadline<T>(work: () => Promise<T>): Promise<T> {
  return storage.exit(work);
}

/** `shared`, or `expired()` once the current operation's deadline and its grace have passed. */
export function withinDeadline<T>(shared: Promise<T>, clock: () => number, expired: () => Error): Promise<T> {
  const left = remainingMs(clock);
  if (left === undefined) return shared;
  const budget = left + ANSWER_GRACE_MS;
  if (budget <= 0) return Promise.reject(expired());
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(expired());
    }, budget);
    timer.unref();
  });
  return Promise.race([shared, late]).finally(() => {
    clearTimeout(timer);
  });
}
