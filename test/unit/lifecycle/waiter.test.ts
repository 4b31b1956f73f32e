import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../provider/lifecycle/duration.js";
import {
  nextPollDelay,
  observedDuration,
  WaitError,
  waitForStatus,
  type WaitOptions,
} from "../../../provider/lifecycle/waiter.js";

/** A fake clock: sleeping advances time, polls answer from a script of (fromMs, status) steps. */
function scripted(script: [number, string | undefined][]) {
  let now = 1_000_000;
  const start = now;
  const pollTimes: number[] = [];
  const sleeps: number[] = [];
  const options = {
    clock: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    poll: () => {
      const elapsed = now - start;
      pollTimes.push(elapsed);
      let status: string | undefined;
      for (const [from, value] of script) if (elapsed >= from) status = value;
      return Promise.resolve(status);
    },
  };
  return { options, pollTimes, sleeps, start };
}

const base = (s: ReturnType<typeof scripted>, extra: Partial<WaitOptions> = {}): WaitOptions => ({
  ...s.options,
  target: ["RUNNING"],
  from: "PUBLISHED",
  deadline: s.start + 60_000,
  ...extra,
});

describe("waitForStatus", () => {
  it("waits through the source and transitional statuses to the target", async () => {
    const s = scripted([
      [0, "PUBLISHED"],
      [100, "STARTING"],
      [900, "RUNNING"],
    ]);
    const result = await waitForStatus(base(s));
    expect(result.status).toBe("RUNNING");
    expect(result.polls).toBe(s.pollTimes.length);
    expect(s.pollTimes.at(-1)).toBeGreaterThanOrEqual(900);
  });

  it("backs off from fast polls to the cap when nothing is known", async () => {
    const s = scripted([
      [0, "STARTING"],
      [120_000, "RUNNING"],
    ]);
    await waitForStatus(base(s, { deadline: s.start + 200_000 }));
    const gaps = s.sleeps;
    expect(gaps[0]).toBe(50);
    for (let i = 1; i < gaps.length - 1; i += 1) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!);
    expect(Math.max(...gaps)).toBe(5_000);
  });

  it("sleeps through most of an expected transition and polls fast around its end", async () => {
    const s = scripted([
      [0, "STARTING"],
      [300, "RUNNING"],
    ]);
    const result = await waitForStatus(base(s, { expectedMs: 300 }));
    expect(s.pollTimes[0]).toBe(275);
    expect(result.polls).toBe(2);
    expect(result.reachedAtMs).toBe(300);
  });

  it("fails fast on an error status with the status text", async () => {
    const s = scripted([
      [0, "STARTING"],
      [200, "RUN_ERROR"],
    ]);
    const error = await waitForStatus(base(s)).catch((e: unknown) => e);
    expect(WaitError.isInstance(error)).toBe(true);
    expect((error as WaitError).reason).toBe("error-status");
    expect((error as WaitError).message).toContain("RUN_ERROR");
  });

  it("treats unknown statuses as transitions, but a stable status nobody asked for as interference", async () => {
    const s = scripted([
      [0, "QUEUED_FOR_SCHEDULING"],
      [300, "STOPPED"],
    ]);
    const error = (await waitForStatus(base(s)).catch((e: unknown) => e)) as WaitError;
    expect(error.reason).toBe("unexpected-status");
    expect(error.lastStatus).toBe("STOPPED");
    expect(s.pollTimes.length).toBeGreaterThan(1);
  });

  it("reports a vanished pipeline", async () => {
    const s = scripted([[0, undefined]]);
    const error = (await waitForStatus(base(s)).catch((e: unknown) => e)) as WaitError;
    expect(error.reason).toBe("vanished");
  });

  it("never waits past the deadline and names the last status", async () => {
    const s = scripted([[0, "STARTING"]]);
    const error = (await waitForStatus(base(s, { deadline: s.start + 30_000 })).catch(
      (e: unknown) => e,
    )) as WaitError;
    expect(error.reason).toBe("deadline");
    expect(error.lastStatus).toBe("STARTING");
    expect(error.message).toMatch(/still STARTING after 30\.0s, waiting for RUNNING/);
    expect(s.pollTimes.at(-1)).toBe(30_000);
  });

  it("reports progress at most every 10 s", async () => {
    const s = scripted([
      [0, "STARTING"],
      [45_000, "RUNNING"],
    ]);
    const progress: number[] = [];
    await waitForStatus(base(s, { onProgress: (p) => progress.push(p.elapsedMs) }));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < progress.length; i += 1)
      expect(progress[i]! - progress[i - 1]!).toBeGreaterThanOrEqual(10_000);
  });

  it("spaces polls send-to-send, so a slow answer does not stretch the interval", async () => {
    let now = 0;
    const sent: number[] = [];
    await waitForStatus({
      target: ["RUNNING"],
      from: "PUBLISHED",
      deadline: 10_000,
      expectedMs: 100,
      clock: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      poll: () => {
        sent.push(now);
        now += 20; // a 20 ms round trip
        return Promise.resolve(now >= 160 ? "RUNNING" : "STARTING");
      },
    });
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!);
    expect(sent[0]).toBe(75);
    expect(gaps.every((g) => g === 25)).toBe(true);
  });

  it("learns a duration from the middle of the last miss and the first sighting", () => {
    expect(observedDuration({ reachedAtMs: 325, missedAtMs: 300 })).toBe(312.5);
    // Seen on the first poll: it happened within the last fast interval.
    expect(observedDuration({ reachedAtMs: 275, missedAtMs: undefined })).toBe(262.5);
  });
});

describe("nextPollDelay", () => {
  it("is capped and grows by the factor", () => {
    expect(nextPollDelay(0, undefined, undefined)).toBe(50);
    expect(nextPollDelay(50, 50, undefined)).toBe(75);
    expect(nextPollDelay(60_000, 5_000, undefined)).toBe(5_000);
  });
  it("jumps to just before the expected end, capped", () => {
    expect(nextPollDelay(0, undefined, 300)).toBe(275);
    expect(nextPollDelay(0, undefined, 60_000)).toBe(5_000);
    expect(nextPollDelay(280, 275, 300)).toBe(25);
  });
});

describe("durations", () => {
  it.each([
    ["10m", 600_000],
    ["90s", 90_000],
    ["1h30m", 5_400_000],
    ["1.5m", 90_000],
    ["500ms", 500],
  ])("%s = %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(["", "10", "ten minutes", "10 m", "-5m", "5d"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
  it("formats for people", () => {
    expect(formatDuration(600_000)).toBe("10m");
    expect(formatDuration(90_000)).toBe("1m30s");
  });
});
