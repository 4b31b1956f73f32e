import type { EnosApi } from "../../client/types.js";

/** What a resource provider needs from the outside world; tests inject fakes, the host gets the real ones. */
export interface ProviderDeps {
  /** Created on first use, so `check` and `diff` never need credentials. */
  readonly client: () => EnosApi;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1) for backoff jitter; default Math.random. */
  readonly random?: () => number;
  /** A line Pulumi shows under the resource. */
  readonly log: (line: string) => void;
}
