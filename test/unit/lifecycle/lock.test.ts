/** The named lock behind the org start queue: arrival order, and a waiter that gives up at its deadline. */
import { afterEach, describe, expect, it } from "vitest";
import { LockWaitExpired, withLock } from "../../../provider/lifecycle/lock.js";
import { resetProcessGlobals } from "../../../provider/registry.js";

afterEach(() => {
  resetProcessGlobals();
});

/** A holder that keeps the lock until `release` is called. */
function holder(name: string, log: string[], label: string) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const done = withLock(name, async () => {
    log.push(`${label} in`);
    await held;
    log.push(`${label} out`);
  });
  return { release, done };
}

describe("withLock", () => {
  it("a free lock is taken even with no time left to wait", async () => {
    expect(await withLock("org", () => Promise.resolve("ran"), 0)).toBe("ran");
  });

  it("a waiter that gives up never runs, and those behind it still run in order, one at a time", async () => {
    const log: string[] = [];
    const first = holder("org", log, "a");
    const gaveUp = withLock("org", () => Promise.resolve(log.push("b in")), 0);
    const third = holder("org", log, "c");
    await expect(gaveUp).rejects.toBeInstanceOf(LockWaitExpired);
    first.release();
    await first.done;
    third.release();
    await third.done;
    expect(log).toEqual(["a in", "a out", "c in", "c out"]);
  });
});
