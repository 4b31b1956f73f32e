import { describe, expect, it } from "vitest";
import { coalescedRead, emptySlot } from "../../../provider/client/coalesce.js";

interface Deferred {
  resolve: (value: string) => void;
  reject: (err: Error) => void;
}

function controlledReads() {
  const pending: Deferred[] = [];
  let started = 0;
  const read = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      started++;
      pending.push({ resolve, reject });
    });
  return { read, pending, started: () => started };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("coalescedRead", () => {
  it("makes N concurrent callers share one read", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    const all = Array.from({ length: 200 }, () => coalescedRead(slot, undefined, () => 10, read));
    expect(started()).toBe(1);
    pending[0]!.resolve("v1");
    expect(new Set(await Promise.all(all))).toEqual(new Set(["v1"]));
  });

  it("does not cache: a caller after the read settled starts a new one", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    const first = coalescedRead(slot, undefined, () => 0, read);
    pending[0]!.resolve("v1");
    await first;
    const second = coalescedRead(slot, undefined, () => 0, read);
    expect(started()).toBe(2);
    pending[1]!.resolve("v2");
    expect(await second).toBe("v2");
  });

  it("a refresh read reuses another refresh read's result taken after the org's last change, however old", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    let now = 1_000;
    const clock = () => now;
    const noChange = -Infinity;
    const first = coalescedRead(slot, undefined, clock, read, noChange);
    now = 1_050;
    pending[0]!.resolve("v1");
    expect(await first).toBe("v1");
    now = 600_000; // a refresh whose Reads are spread over minutes still lists once
    expect(await coalescedRead(slot, undefined, clock, read, noChange)).toBe("v1");
    expect(started()).toBe(1);
    // This process changed the org after that listing started: it no longer serves a refresh read.
    const late = coalescedRead(slot, undefined, clock, read, 1_000);
    expect(started()).toBe(2);
    pending[1]!.resolve("v2");
    expect(await late).toBe("v2");
    expect(await coalescedRead(slot, undefined, clock, read, 1_000)).toBe("v2");
    expect(started()).toBe(2);
  });

  it("never serves a wait (notBefore) or a caller that is not a refresh read from a kept result", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    const refresh = coalescedRead(slot, undefined, () => 0, read, -Infinity);
    pending[0]!.resolve("v1");
    await refresh;
    const wait = coalescedRead(slot, 0, () => 0, read);
    const plain = coalescedRead(slot, undefined, () => 0, read);
    expect(started()).toBe(2);
    pending[1]!.resolve("v2");
    expect([await wait, await plain]).toEqual(["v2", "v2"]);
  });

  it("keeps nothing from a read a wait started, so a later refresh read lists again", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    const wait = coalescedRead(slot, 0, () => 0, read);
    pending[0]!.resolve("v1");
    await wait;
    const refresh = coalescedRead(slot, undefined, () => 0, read, -Infinity);
    expect(started()).toBe(2);
    pending[1]!.resolve("v2");
    expect(await refresh).toBe("v2");
  });

  it("joins an in-flight read that started at or after notBefore", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    let now = 100;
    const a = coalescedRead(slot, undefined, () => now, read);
    now = 150;
    const b = coalescedRead(slot, 100, () => now, read);
    expect(started()).toBe(1);
    pending[0]!.resolve("v1");
    expect([await a, await b]).toEqual(["v1", "v1"]);
  });

  it("queues one fresh read for callers whose notBefore is after the in-flight read started", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    let now = 100;
    const old = coalescedRead(slot, undefined, () => now, read);
    now = 200;
    const fresh = Array.from({ length: 20 }, () => coalescedRead(slot, 150, () => now, read));
    // A caller without notBefore still joins the old read.
    const any = coalescedRead(slot, undefined, () => now, read);
    expect(started()).toBe(1); // the fresh read waits for the old one: at most one listing in flight
    pending[0]!.resolve("old");
    expect(await old).toBe("old");
    expect(await any).toBe("old");
    await tick();
    expect(started()).toBe(2);
    pending[1]!.resolve("new");
    expect(new Set(await Promise.all(fresh))).toEqual(new Set(["new"]));
  });

  it("treats a notBefore in the future as now", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    const p = coalescedRead(slot, 10_000, () => 5, read);
    expect(started()).toBe(1);
    const q = coalescedRead(slot, 10_000, () => 5, read);
    expect(started()).toBe(1);
    pending[0]!.resolve("v");
    expect([await p, await q]).toEqual(["v", "v"]);
  });

  it("shares a failure with every joiner and recovers afterwards", async () => {
    const slot = emptySlot<string>();
    const { read, pending, started } = controlledReads();
    const a = coalescedRead(slot, undefined, () => 0, read);
    const b = coalescedRead(slot, undefined, () => 0, read);
    pending[0]!.reject(new Error("listing failed"));
    await expect(a).rejects.toThrow("listing failed");
    await expect(b).rejects.toThrow("listing failed");
    const c = coalescedRead(slot, undefined, () => 0, read);
    expect(started()).toBe(2);
    pending[1]!.resolve("ok");
    expect(await c).toBe("ok");
  });

  it("starts the queued read even when the old one failed", async () => {
    const slot = emptySlot<string>();
    const { read, pending } = controlledReads();
    let now = 0;
    const old = coalescedRead(slot, undefined, () => now, read);
    now = 10;
    const fresh = coalescedRead(slot, 5, () => now, read);
    pending[0]!.reject(new Error("old failed"));
    await expect(old).rejects.toThrow("old failed");
    await tick();
    pending[1]!.resolve("fresh");
    expect(await fresh).toBe("fresh");
  });
});
