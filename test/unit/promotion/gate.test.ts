// The promotion gate's pure parts: which entries are promoted, each reason a promotion is refused, the soak
// boundary (with `now` given, never the clock), provenance, and reading the `enos` output.
import { describe, expect, it } from "vitest";
import {
  blockedLines,
  judgePromotion,
  type PromotionEntry,
  type PromotionJudgement,
} from "../../../provider/promotion/gate.js";
import {
  EvidenceError,
  healthEvidence,
  parseEvidence,
  type EnosEvidence,
  type PipelineEvidence,
} from "../../../provider/promotion/evidence.js";

const NOW = Date.parse("2026-11-20T12:00:00Z");
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();
const STAGING = "organization/pulumi-enos/staging";

const healthy = (releaseTrigger: string, checkedAt = minutesAgo(45)): PipelineEvidence => ({
  pipelineId: "p1",
  releaseTrigger,
  releasedVersion: "2",
  status: "RUNNING",
  health: { verdict: "HEALTHY", checkedAt, lag: 10 },
});

const evidence = (stack: string, pipelines: Record<string, PipelineEvidence>): EnosEvidence => ({
  schemaVersion: 1,
  stack,
  pipelines,
  flows: {},
});

function judge(
  source: Record<string, PipelineEvidence>,
  entries: readonly PromotionEntry[],
  options: Partial<PromotionJudgement> = {},
) {
  return judgePromotion({
    sourceLabel: "staging",
    source: evidence(STAGING, source),
    deployed: undefined,
    entries,
    soak: "30m",
    now: NOW,
    ...options,
  });
}

describe("judgePromotion", () => {
  it("lets a release through that the source judged HEALTHY at least soak ago, with provenance", () => {
    const [verdict] = judge({ ingest: healthy("r2", minutesAgo(30)) }, [
      { name: "ingest", releaseTrigger: "r2" },
    ]);
    expect(verdict).toEqual({
      name: "ingest",
      promoting: true,
      allowed: true,
      provenance: {
        stack: STAGING,
        releaseTrigger: "r2",
        verdict: "HEALTHY",
        checkedAt: minutesAgo(30),
        soak: "30m",
        promotedAt: "2026-11-20T12:00:00.000Z",
      },
    });
  });

  it("refuses one a second younger than soak, saying how long of how long", () => {
    const young = new Date(NOW - 30 * 60_000 + 1_000).toISOString();
    const [verdict] = judge({ ingest: healthy("r2", young) }, [{ name: "ingest", releaseTrigger: "r2" }]);
    expect(verdict).toMatchObject({
      allowed: false,
      reason: "r2: healthy in staging for 29m59s of the required 30m",
    });
    const [twelve] = judge({ ingest: healthy("r2", minutesAgo(12)) }, [
      { name: "ingest", releaseTrigger: "r2" },
    ]);
    expect(twelve?.reason).toBe("r2: healthy in staging for 12m of the required 30m");
  });

  it("counts a verdict time ahead of now (clock skew) as no soak at all", () => {
    const ahead = new Date(NOW + 60_000).toISOString();
    const [verdict] = judge({ ingest: healthy("r2", ahead) }, [{ name: "ingest", releaseTrigger: "r2" }]);
    expect(verdict?.reason).toBe("r2: healthy in staging for 0s of the required 30m");
    expect(
      judge({ ingest: healthy("r2", ahead) }, [{ name: "ingest", releaseTrigger: "r2" }], { soak: "0s" })[0],
    ).toMatchObject({ allowed: true });
  });

  it("names each reason a source does not prove the release", () => {
    const entries = ["a", "b", "c", "d", "e", "f", "g"].map((name) => ({ name, releaseTrigger: "r3" }));
    const noHealth: PipelineEvidence = { pipelineId: "p", releaseTrigger: "r3", status: "RUNNING" };
    const verdicts = judge(
      {
        b: healthy("r2"),
        c: { pipelineId: "p", status: "RUNNING" },
        d: noHealth,
        e: {
          ...healthy("r3"),
          health: {
            verdict: "UNHEALTHY",
            checkedAt: minutesAgo(50),
            lag: 12000,
            reason: "lag 12000 > maxLag 500 after 30s",
          },
        },
        f: { ...healthy("r3"), health: { verdict: "UNCHECKED", checkedAt: minutesAgo(50) } },
        g: { ...healthy("r3"), status: "PAUSED" },
      },
      entries,
    );
    expect(blockedLines(verdicts)).toEqual([
      "a: r3 is not in staging (staging has no pipeline entry a)",
      "b: r3 is not in staging (staging runs r2)",
      "c: r3 is not in staging (staging declares no releaseTrigger)",
      "d: r3 has no health verdict in staging: give d a healthCheck there, so its starts are judged",
      "e: r3: staging's verdict is UNHEALTHY: lag 12000 > maxLag 500 after 30s",
      "f: r3: staging's verdict is UNCHECKED",
      "g: r3: staging judged it HEALTHY but its pipeline is now PAUSED, not RUNNING",
    ]);
  });

  it("never blocks an entry that is not being promoted, and carries its provenance over", () => {
    const provenance = {
      stack: STAGING,
      releaseTrigger: "r2",
      verdict: "HEALTHY" as const,
      checkedAt: minutesAgo(200),
      soak: "30m",
      promotedAt: minutesAgo(100),
    };
    const deployed = evidence("organization/pulumi-enos/prod", {
      ingest: { ...healthy("r2"), promotedFrom: provenance },
      enrich: healthy("e1"),
    });
    const unhealthy: PipelineEvidence = {
      ...healthy("r9"),
      health: { verdict: "UNHEALTHY", checkedAt: minutesAgo(1) },
    };
    const verdicts = judge(
      { ingest: unhealthy },
      [
        { name: "ingest", releaseTrigger: "r2" }, // deployed already
        { name: "enrich", releaseTrigger: "e1" }, // deployed, never promoted
        { name: "plain" }, // no releaseTrigger at all
      ],
      { deployed },
    );
    expect(verdicts).toEqual([
      { name: "ingest", promoting: false, allowed: true, provenance },
      { name: "enrich", promoting: false, allowed: true },
      { name: "plain", promoting: false, allowed: true },
    ]);
  });

  it("gates every release on a stack that has no evidence of its own yet", () => {
    const [verdict] = judge({}, [{ name: "ingest", releaseTrigger: "r1" }], { deployed: undefined });
    expect(verdict).toMatchObject({ promoting: true, allowed: false });
  });

  it("refuses everything promoted when the source has no enos output", () => {
    const verdicts = judgePromotion({
      sourceLabel: "staging",
      source: undefined,
      deployed: undefined,
      entries: [{ name: "ingest", releaseTrigger: "r1" }],
      soak: "0s",
      now: NOW,
    });
    expect(blockedLines(verdicts)).toEqual([
      "ingest: r1 is not in staging (staging has no pipeline entry ingest)",
    ]);
  });
});

describe("parseEvidence", () => {
  it("reads version 1 and drops fields it does not know", () => {
    const value = { ...evidence(STAGING, { ingest: healthy("r2") }), extra: true };
    expect(parseEvidence(value, STAGING)).toEqual(evidence(STAGING, { ingest: healthy("r2") }));
    expect(parseEvidence(undefined, STAGING)).toBeUndefined();
  });

  it("refuses another schema version and a value that is not evidence, naming the stack", () => {
    expect(() => parseEvidence({ schemaVersion: 2 }, STAGING)).toThrow(
      new EvidenceError(
        `the enos output of ${STAGING} has schemaVersion 2; this pulumi-enos reads 1: run the same pulumi-enos version in both stacks`,
      ),
    );
    expect(() =>
      parseEvidence({ schemaVersion: 1, stack: STAGING, pipelines: { a: {} }, flows: {} }, STAGING),
    ).toThrow(
      /the enos output of organization\/pulumi-enos\/staging is not promotion evidence \(pipelines\.a\.pipelineId: /,
    );
  });

  it("keeps the documented fields of a health output only", () => {
    expect(
      healthEvidence({ verdict: "HEALTHY", checkedAt: "t", lag: 3, offsetsPerSecond: 900, judged: { x: 1 } }),
    ).toEqual({ verdict: "HEALTHY", checkedAt: "t", lag: 3 });
    expect(healthEvidence(undefined)).toBeUndefined();
  });
});
