import { formatDuration, parseDuration } from "../lifecycle/duration.js";
import type { EnosEvidence, PipelineEvidence, Provenance } from "./evidence.js";

/**
 * The promotion gate's pure part: which entries are being promoted and whether the source stack's evidence
 * lets each through. A function of its arguments (`now` included), so the unit tests cover every boundary.
 */

/** A pipeline entry of the stack being deployed: its resource name and the `releaseTrigger` it declares. */
export interface PromotionEntry {
  readonly name: string;
  readonly releaseTrigger?: unknown;
}

/** The gate's answer for one entry. */
export interface PromotionVerdict {
  readonly name: string;
  /** The entry declares a `releaseTrigger` this stack has not deployed. */
  readonly promoting: boolean;
  /** False only for a promotion the source's evidence does not support. */
  readonly allowed: boolean;
  /** Why it is blocked, one line (e.g. `2026.11.3 is not in staging (staging runs 2026.11.2)`). */
  readonly reason?: string;
  /** Where the release came from: new for an allowed promotion, carried over for a release already taken. */
  readonly provenance?: Provenance;
}

export interface PromotionJudgement {
  /** The source stack as the user named it (`staging`), for messages. */
  readonly sourceLabel: string;
  /** The source's `enos` output (undefined: it has none). */
  readonly source: EnosEvidence | undefined;
  /** This stack's own last `enos` output (undefined: nothing deployed yet, or deployed without it). */
  readonly deployed: EnosEvidence | undefined;
  readonly entries: readonly PromotionEntry[];
  /** The required soak as given ("30m"). */
  readonly soak: string;
  /** Now, ms since the epoch. */
  readonly now: number;
}

const triggerOf = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Verdicts for every entry, in the entries' order. */
export function judgePromotion(input: PromotionJudgement): PromotionVerdict[] {
  const soakMs = parseDuration(input.soak);
  if (soakMs === undefined) throw new Error(`soak must be a duration such as "30m"; got ${input.soak}`);
  return input.entries.map((entry) => {
    const wanted = triggerOf(entry.releaseTrigger);
    const deployed = input.deployed?.pipelines[entry.name];
    if (wanted === undefined || wanted === deployed?.releaseTrigger) {
      const carried = deployed?.promotedFrom;
      const provenance = carried && carried.releaseTrigger === wanted ? carried : undefined;
      return { name: entry.name, promoting: false, allowed: true, ...(provenance ? { provenance } : {}) };
    }
    const source = input.source?.pipelines[entry.name];
    const reason = blockReason(input.sourceLabel, entry.name, wanted, source, soakMs, input.now);
    if (reason !== undefined) return { name: entry.name, promoting: true, allowed: false, reason };
    const health = source?.health;
    const provenance: Provenance = {
      stack: input.source?.stack ?? input.sourceLabel,
      releaseTrigger: wanted,
      verdict: "HEALTHY",
      checkedAt: health?.checkedAt ?? "",
      soak: input.soak,
      promotedAt: new Date(input.now).toISOString(),
    };
    return { name: entry.name, promoting: true, allowed: true, provenance };
  });
}

/** Why `source` does not prove `wanted`, or undefined when it does. */
function blockReason(
  from: string,
  name: string,
  wanted: string,
  source: PipelineEvidence | undefined,
  soakMs: number,
  now: number,
): string | undefined {
  if (source === undefined) return `${wanted} is not in ${from} (${from} has no pipeline entry ${name})`;
  if (source.releaseTrigger !== wanted) {
    const runs =
      source.releaseTrigger === undefined ? "declares no releaseTrigger" : `runs ${source.releaseTrigger}`;
    return `${wanted} is not in ${from} (${from} ${runs})`;
  }
  const health = source.health;
  if (health === undefined)
    return `${wanted} has no health verdict in ${from}: give ${name} a healthCheck there, so its starts are judged`;
  if (health.verdict !== "HEALTHY")
    return `${wanted}: ${from}'s verdict is ${health.verdict}${health.reason ? `: ${health.reason}` : ""}`;
  if (source.status !== "RUNNING")
    return `${wanted}: ${from} judged it HEALTHY but its pipeline is now ${source.status}, not RUNNING`;
  const reached = Date.parse(health.checkedAt);
  if (Number.isNaN(reached)) return `${wanted}: ${from}'s verdict time is not a time (${health.checkedAt})`;
  const age = Math.max(0, now - reached);
  if (age < soakMs)
    return `${wanted}: healthy in ${from} for ${wholeSeconds(age)} of the required ${wholeSeconds(soakMs)}`;
  return undefined;
}

/** "0s", "59s", "12m", "1h2m3s": whole seconds, the way a soak is written. */
const wholeSeconds = (ms: number): string =>
  ms < 1_000 ? "0s" : formatDuration(Math.floor(ms / 1_000) * 1_000);

/** The verdicts that block, as the lines of one message (`name: reason`). */
export function blockedLines(verdicts: readonly PromotionVerdict[]): string[] {
  return verdicts.filter((v) => !v.allowed).map((v) => `${v.name}: ${v.reason ?? "blocked"}`);
}
