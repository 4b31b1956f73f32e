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

/**
 * Whether `previous` settles within `waitMs` (always, without a limit). The timer is a macrotask, so a holder that
 * has already finished wins even with no time left.
 */
async function acquired(previous: Promise<void>, waitMs: number | undefined): Promise<boolean> {
  if (waitMs === undefined) {
    await previous;
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(
      () => {
        resolve(false);
      },
      Math.max(0, waitMs),
    );
  });
  try {
    return await Promise.race([previous.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
