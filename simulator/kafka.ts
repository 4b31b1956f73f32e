/**
 * The Kafka side of a running pipeline, for Get Pipeline Offset and Lag. Records arrive on the input topic at the
 * pipeline's `kafkaRate` (from its last start, 1000/s by default) and a healthy consumer keeps up: its offset
 * advances at that rate and its lag stays at the records of 10 ms in flight. Faults and seed options change one
 * run: lag that grows, an offset that stops (the consumer is stuck, so lag grows at the input rate), a crash to an
 * error status after some time or some samples. Everything is a function of the clock: no timers except crashAfterMs.
 */

/** How one run of a pipeline behaves; set when a start is accepted (seed options, then fault rules). */
export interface RunModel {
  /** Extra lag per second RUNNING. */
  readonly lagPerSecond: number;
  /** The offset does not move. */
  readonly stalled: boolean;
  /** Turn to `crashStatus` this long after reaching RUNNING. */
  readonly crashAfterMs?: number;
  /** Turn to `crashStatus` once this many offset-lag answers were served in the run. */
  readonly crashAfterSamples?: number;
  readonly crashStatus: string;
}

export const HEALTHY_RUN: RunModel = { lagPerSecond: 0, stalled: false, crashStatus: "RUN_ERROR" };
export const DEFAULT_KAFKA_RATE = 1000;
/** Samples per offset-lag answer, one a second, newest last (EnOS returns "a short series"). */
const SAMPLES_PER_ANSWER = 3;
const SAMPLE_SPACING_MS = 1_000;

/** What the model needs of a pipeline record. */
export interface KafkaSubject {
  readonly kafkaRate: number;
  /** Offset at `runningSince` (or now, when not running). */
  readonly offsetBase: number;
  readonly runningSince: number | null;
  readonly run: RunModel;
}

export interface LagSample {
  readonly lag: number;
  readonly offset: number;
  readonly ts: number;
}

/** Consumer offset at time `t`. */
export function offsetAt(p: KafkaSubject, t: number): number {
  if (p.runningSince === null || p.run.stalled) return p.offsetBase;
  return p.offsetBase + Math.floor((p.kafkaRate * Math.max(0, t - p.runningSince)) / 1_000);
}

/** Consumer lag at time `t` (records on the input topic not yet consumed). */
export function lagAt(p: KafkaSubject, t: number): number {
  if (p.runningSince === null) return 0;
  const seconds = Math.max(0, t - p.runningSince) / 1_000;
  const inFlight = Math.ceil(p.kafkaRate / 100);
  const stuck = p.run.stalled ? Math.floor(p.kafkaRate * seconds) : 0;
  return inFlight + stuck + Math.floor(p.run.lagPerSecond * seconds);
}

/** The series an offset-lag call answers with at `now`: up to three samples a second apart, none before RUNNING. */
export function samplesAt(p: KafkaSubject, now: number): LagSample[] {
  const since = p.runningSince ?? now;
  const samples: LagSample[] = [];
  for (let k = SAMPLES_PER_ANSWER - 1; k >= 0; k -= 1) {
    const ts = now - k * SAMPLE_SPACING_MS;
    if (ts < since && k > 0) continue;
    samples.push({ lag: lagAt(p, ts), offset: offsetAt(p, ts), ts });
  }
  return samples;
}

/** The kafkaRate of a start body (already validated), or the default. */
export function kafkaRateOf(body: unknown): number {
  const rate = (body as { kafkaRate?: unknown } | null)?.kafkaRate;
  return typeof rate === "number" && rate > 0 ? rate : DEFAULT_KAFKA_RATE;
}
