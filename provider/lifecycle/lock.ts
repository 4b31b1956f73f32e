import { processGlobal } from "../registry.js";

/**
 * Named mutexes shared by every resource in the provider process. EnOS lets one start at a time run in an
 * organisation (61121 for the next), so the provider queues its own starts per org instead of colliding.
 */
type Tails = Record<string, Promise<void> | undefined>;

/** Run `work` when every earlier holder of `name` has finished; holders run in arrival order. */
export async function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const tails = processGlobal<Tails>("named-locks", () => ({}));
  const previous = tails[name] ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails[name] = tail;
  await previous;
  try {
    return await work();
  } finally {
    release();
    if (tails[name] === tail) tails[name] = undefined;
  }
}
