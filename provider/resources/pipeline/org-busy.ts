import type { ProviderDeps } from "../common/deps.js";
import type { PipelineSpec } from "./spec.js";

/**
 * EnOS runs one start at a time per organisation and refuses any other with 61121 ("another user is
 * starting a job"); nothing happened to the refused call. Another user's start can keep the org busy for
 * minutes, so a refused start is tried again with a growing, jittered pause until the resource's deadline —
 * not for a fixed number of tries, and not once a second.
 */
export const ORG_BUSY_BACKOFF = { firstMs: 1_000, capMs: 5_000 } as const;

/** How often a continuing wait says so. */
const PROGRESS_EVERY_MS = 10_000;

/**
 * Pause before the `attempt`-th (1-based) retry: doubling from 1 s to a cap of 5 s, equal jitter (half fixed,
 * half random), so many waiting resources spread out instead of retrying in step.
 */
export function orgBusyDelay(attempt: number, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(ORG_BUSY_BACKOFF.capMs, ORG_BUSY_BACKOFF.firstMs * 2 ** exponent);
  const jitter = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * jitter);
}

/** The wait of one resource's run for a busy org; one instance per converge. */
export class OrgBusyWait {
  #attempts = 0;
  #since: number | undefined;
  #lastProgress = -Infinity;

  constructor(
    private readonly deps: ProviderDeps,
    private readonly spec: Pick<PipelineSpec, "orgId" | "pipelineId">,
    private readonly deadline: number,
  ) {}

  /**
   * Sleep before the next try; false once the next try would come at or after the deadline (the caller then
   * fails with the 61121, at the deadline: no start is sent after it).
   */
  async wait(): Promise<boolean> {
    const now = this.deps.clock();
    const remaining = this.deadline - now;
    if (remaining <= 0) return false;
    this.#attempts += 1;
    this.#since ??= now;
    const pause = Math.min(orgBusyDelay(this.#attempts, this.deps.random ?? Math.random), remaining);
    if (pause >= remaining) {
      await this.deps.sleep(remaining);
      return false;
    }
    if (now - this.#lastProgress >= PROGRESS_EVERY_MS) {
      this.#lastProgress = now;
      const waited = Math.round((now - this.#since) / 1000);
      this.deps.log(
        `${this.spec.pipelineId}: org ${this.spec.orgId} is busy (EnOS 61121: another user is starting a job); ` +
          `start refused ${this.#attempts} time(s) over ${waited}s, trying again until the deadline (in ${Math.round(remaining / 1000)}s)`,
      );
    }
    await this.deps.sleep(pause);
    return true;
  }
}
