import { processGlobal } from "../registry.js";

/**
 * Named mutexes shared by every resource in the provider process. EnOS lets one start at a time run in an
 * organisation (61121 for the next), so the provider queues its own starts per org instead of colliding.
 */
type Tails = Record<string, Promise<void> | undefined>;

/** Waiting for the lock outlasted the caller's deadline; `work` never ran. */
export class LockWaitExpired extends Error {
  constructor(readonly lock: string) {
    super(`the deadline passed while waiting for the lock ${JSON.stringify(lock)}`);
    this.name = "LockWaitExpired";
  }
}

/**
 * Run `work` when every earlier holder of `name` has finished; holders run in arrival order. With `waitMs`, give
 * up (LockWaitExpired, `work` not run) when the lock is not ours within that time; those behind us still wait
 * only for the holders before us.
 */
export async function withLock<T>(name: string, work: () => Promise<T>, waitMs?: number): Promise<T> {
  const tails = processGlobal<Tails>("named-locks", () => ({}));
  const previous = tails[name] ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails[name] = tail;
  if (!(await acquired(previous, waitMs))) {
    // Ours is released as soon as the holders before us are done: the queue behind us moves on as if we had run.
    void previous.then(() => {
      release();
      if (tails[name] === tail) tails[name] = undefined;
    });
    throw new LockWaitExpired(name);
  }
  try {
    return await work();
  } finally {
    release();
    if (tails[name] === tail) tails[name] = undefined;
  }
}

/** Whether `previous` settles within `waitMs` (always, without a limit). */
async function acquired(previous: Promise<void>, waitMs: number | undefined): Promise<boolean> {
  if (waitMs === undefined) {
    await previous;
    return true;
  }
  if (waitMs <= 0) return isSettledNow(previous);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, waitMs);
  });
  try {
    return await Promise.race([previous.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` has already settled: it wins a race against a macrotask, which runs after every microtask. */
function isSettledNow(promise: Promise<void>): Promise<boolean> {
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) =>
      setImmediate(() => {
        resolve(false);
      }),
    ),
  ]);
}
