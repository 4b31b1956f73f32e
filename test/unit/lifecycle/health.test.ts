import { describe, expect, it } from "vitest";
import {
  gateCheckpoints,
  healthVerdict,
  newestSample,
  offsetsPerSecond,
  type HealthCheck,
  type WindowObservation,
} from "../../../provider/lifecycle/health.js";

const NOW = Date.UTC(2026, 10, 2, 12, 0, 0);
const check = (over: Partial<HealthCheck> = {}): HealthCheck => ({
  stableFor: "30s",
  requireProgress: true,
  ...over,
});
const sample = (lag: number, offset: number, ts: number) => ({ lag, offset, ts });

// [case, check, what the window saw, verdict, reason (regexp) or undefined]
const TABLE: [string, HealthCheck, WindowObservation, string, RegExp | undefined][] = [
  [
    "moving, small lag",
    check({ maxLag: 500 }),
    { windowMs: 30_000, first: sample(10, 1_000, 0), last: sample(12, 31_000, 30_000) },
    "HEALTHY",
    undefined,
  ],
  [
    "lag over maxLag at the end",
    check({ maxLag: 500 }),
    { windowMs: 30_000, first: sample(10, 1_000, 0), last: sample(5_200, 31_000, 30_000) },
    "UNHEALTHY",
    /^lag 5200 > maxLag 500 after 30s$/,
  ],
  [
    "lag exactly maxLag passes",
    check({ maxLag: 500 }),
    { windowMs: 30_000, first: sample(500, 1_000, 0), last: sample(500, 2_000, 30_000) },
    "HEALTHY",
    undefined,
  ],
  [
    "offset did not move, lag > 0",
    check(),
    { windowMs: 30_000, first: sample(40, 7_000, 0), last: sample(90, 7_000, 30_000) },
    "UNHEALTHY",
    /^offset did not move in 30s \(offset 7000, lag 90\)$/,
  ],
  [
    "offset did not move, lag 0 (idle topic)",
    check(),
    { windowMs: 30_000, first: sample(0, 7_000, 0), last: sample(0, 7_000, 30_000) },
    "HEALTHY",
    undefined,
  ],
  [
    "offset did not move, requireProgress false",
    check({ requireProgress: false }),
    { windowMs: 30_000, first: sample(40, 7_000, 0), last: sample(90, 7_000, 30_000) },
    "HEALTHY",
    undefined,
  ],
  [
    "stalled and lagging: both reasons",
    check({ maxLag: 50 }),
    { windowMs: 120_000, first: sample(40, 7_000, 0), last: sample(90, 7_000, 120_000) },
    "UNHEALTHY",
    /^lag 90 > maxLag 50 after 2m; offset did not move in 2m/,
  ],
  [
    "left RUNNING",
    check(),
    { windowMs: 30_000, leftRunning: { status: "FAILED", afterMs: 12_300 } },
    "UNHEALTHY",
    /^status FAILED 12s after start$/,
  ],
  [
    "no sample readable",
    check(),
    { windowMs: 30_000, readError: "EnOS 99000: failed" },
    "UNHEALTHY",
    /^no offset-lag sample could be read in 30s \(EnOS 99000: failed\)$/,
  ],
];

describe("healthVerdict", () => {
  it.each(TABLE)("%s", (_name, given, seen, verdict, reason) => {
    const health = healthVerdict(given, seen, NOW);
    expect(health.verdict).toBe(verdict);
    expect(health.checkedAt).toBe("2026-11-02T12:00:00.000Z");
    if (reason === undefined) expect(health.reason).toBeUndefined();
    else expect(health.reason).toMatch(reason);
    if (seen.last && !seen.leftRunning) expect(health.lag).toBe(seen.last.lag);
  });

  it("reports the offset rate over the window", () => {
    const health = healthVerdict(
      check(),
      { windowMs: 30_000, first: sample(1, 1_000, 1_000), last: sample(1, 31_000, 11_000) },
      NOW,
    );
    expect(health.offsetsPerSecond).toBe(3000);
  });
});

describe("offsetsPerSecond and newestSample", () => {
  it("is undefined for one moment, one decimal otherwise", () => {
    expect(offsetsPerSecond(sample(0, 5, 10), sample(0, 9, 10))).toBeUndefined();
    expect(offsetsPerSecond(sample(0, 0, 0), sample(0, 10, 3_000))).toBe(3.3);
  });
  it("takes the newest by ts whatever the order EnOS sends", () => {
    expect(newestSample([sample(1, 20, 2), sample(2, 30, 3), sample(3, 10, 1)])).toEqual(sample(2, 30, 3));
    expect(newestSample([])).toBeUndefined();
  });
});

describe("gateCheckpoints", () => {
  it("reads offset-lag three times per window however long it is", () => {
    for (const windowMs of [1_000, 30_000, 3_600_000]) {
      const points = gateCheckpoints(windowMs);
      expect(points.filter((p) => p.readLag).map((p) => p.atMs)).toEqual([0, windowMs / 2, windowMs]);
      expect(points.at(-1)).toEqual({ atMs: windowMs, readLag: true });
    }
  });
  it("reads the status every window/4, between 1s and 15s apart", () => {
    const gaps = (windowMs: number) =>
      gateCheckpoints(windowMs)
        .map((p) => p.atMs)
        .slice(1)
        .map((at, i, all) => at - (i === 0 ? 0 : (all[i - 1] ?? 0)));
    expect(gateCheckpoints(30_000).map((p) => p.atMs)).toEqual([0, 7_500, 15_000, 22_500, 30_000]);
    expect(gateCheckpoints(2_000).map((p) => p.atMs)).toEqual([0, 1_000, 2_000]);
    expect(Math.max(...gaps(3_600_000))).toBeLessThanOrEqual(15_000);
    expect(gateCheckpoints(3_600_000).length).toBeLessThan(250);
  });
});
