import { EnosClient } from "../../provider/client/index.js";
import { resetProcessGlobals } from "../../provider/registry.js";
import type { ProviderDeps } from "../../provider/resources/common/deps.js";
import { FlowProvider } from "../../provider/resources/flow/provider.js";
import { PipelineProvider } from "../../provider/resources/pipeline/provider.js";
import { makeSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import type { MakeSeedOptions } from "../../simulator/index.js";

/** Short transitions so the suite stays fast; long enough to see transitional statuses. */
export const TEST_DELAYS = { start: 60, pause: 30, stop: 30, release: 30 };

export interface Fixture {
  readonly sim: RunningSimulator;
  readonly pipelines: PipelineProvider;
  readonly flows: FlowProvider;
  readonly logs: string[];
  /** EnOS mutations the simulator received since the fixture started (or since `mark`). */
  mutations(
    since?: number,
  ): Promise<{ endpoint: string; pipelineId?: string; flowId?: number; code: number | null }[]>;
  /** Sequence number to count requests from. */
  mark(): Promise<number>;
  close(): Promise<void>;
}

type ClientSettings = ConstructorParameters<typeof EnosClient>[0];

/**
 * A simulator on a free loopback port and both providers wired to it through the real EnosClient (or, with
 * `client`, a subclass of it that a test wants to see or change calls through).
 */
export async function fixture(
  seed: MakeSeedOptions = {},
  delays = TEST_DELAYS,
  client: (settings: ClientSettings) => EnosClient = (settings) => new EnosClient(settings),
): Promise<Fixture> {
  resetProcessGlobals();
  const sim = await startSimulator({ port: 0, seed: makeSeed(seed), delays });
  const enos = client({
    apiGateway: sim.url,
    accessKey: "demo-access-key",
    secretKey: "demo-secret-key",
  });
  const logs: string[] = [];
  const deps: ProviderDeps = {
    client: () => enos,
    clock: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (line) => logs.push(line),
  };
  return {
    sim,
    pipelines: new PipelineProvider(deps),
    flows: new FlowProvider(deps),
    logs,
    async mutations(since = 0) {
      const entries = await sim.admin.requests();
      return entries
        .filter((e) => e.mutation && e.seq > since)
        .map((e) => ({
          endpoint: e.endpoint,
          code: e.code,
          ...(e.pipelineId === undefined ? {} : { pipelineId: e.pipelineId }),
          ...(e.flowId === undefined ? {} : { flowId: e.flowId }),
        }));
    },
    async mark() {
      const entries = await sim.admin.requests();
      return entries.at(-1)?.seq ?? 0;
    },
    async close() {
      await sim.close();
      resetProcessGlobals();
    },
  };
}
