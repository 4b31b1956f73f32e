// EnOS 61121 (another user is starting a job in the org) is waited out until the resource's deadline, with a
// growing, jittered pause, not for a fixed number of tries. Time is virtual: the provider's clock advances by
// what it sleeps, so a 5-minute storm runs in a moment, and the spacing of the starts is measured on that clock.
import { afterEach, describe, expect, it } from "vitest";
import { EnosClient } from "../../provider/client/index.js";
import { resetProcessGlobals } from "../../provider/registry.js";
import { ResourceInitFailedError } from "../../provider/resources/common/errors.js";
import { ORG_BUSY_BACKOFF, orgBusyDelay } from "../../provider/resources/pipeline/org-busy.js";
import { PipelineProvider } from "../../provider/resources/pipeline/provider.js";
import { makeSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  resetProcessGlobals();
});

/** A provider on a virtual clock that records when (virtually) each start was sent. */
async function virtualProvider() {
  resetProcessGlobals();
  // Transitions complete within the call, so no wait depends on real time passing.
  sim = await startSimulator({
    port: 0,
    seed: makeSeed(),
    delays: { start: 0, pause: 0, stop: 0, release: 0 },
  });
  let offset = 0;
  const clock = () => Date.now() + offset;
  const startsAt: number[] = [];
  class RecordingClient extends EnosClient {
    override startPipeline(...args: Parameters<EnosClient["startPipeline"]>): Promise<void> {
      startsAt.push(clock());
      return super.startPipeline(...args);
    }
  }
  const client = new RecordingClient({
    apiGateway: sim.url,
    accessKey: "demo-access-key",
    secretKey: "demo-secret-key",
  });
  const logs: string[] = [];
  const provider = new PipelineProvider({
    client: () => client,
    clock,
    random: () => 0.5,
    sleep: async (ms) => {
      offset += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
    log: (line) => logs.push(line),
  });
  return { provider, startsAt, logs, clock, sim };
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] ?? t));

describe("org busy (61121) from another client", () => {
  it("is waited out past the old 16-step limit, backing off to the cap, and says the org is busy", async () => {
    const { provider, startsAt, logs, sim: s } = await virtualProvider();
    await s.admin.addFault({ kind: "startLock", count: 40 });
    const checked = await provider.check(
      {},
      { pipelineId: "demo-pipeline-1", orgId: "o-demo", timeouts: { create: "5m" } },
    );
    const created = await provider.create(checked.inputs);
    expect(created.outs).toMatchObject({ status: "RUNNING" });
    // 40 refusals, then the start that went through: every one a single call (the client does not add its own).
    expect(startsAt).toHaveLength(41);
    const codes = (await s.admin.requests()).filter((r) => r.endpoint === "startPipeline").map((r) => r.code);
    expect(codes).toEqual([...Array<number>(40).fill(61121), 0]);
    // Never faster than the first pause; at the cap once the backoff has grown.
    const spacing = gaps(startsAt);
    for (const gap of spacing) expect(gap).toBeGreaterThanOrEqual(orgBusyDelay(1, () => 0.5));
    for (const gap of spacing.slice(5)) expect(gap).toBeGreaterThanOrEqual(orgBusyDelay(9, () => 0.5));
    expect(orgBusyDelay(9, () => 0.5)).toBeLessThanOrEqual(ORG_BUSY_BACKOFF.capMs);
    expect(logs.some((l) => /org o-demo is busy \(EnOS 61121/.test(l))).toBe(true);
  });

  it("fails at the resource's deadline, not before, keeping the resource and naming 61121", async () => {
    const { provider, startsAt, clock, sim: s } = await virtualProvider();
    await s.admin.addFault({ kind: "startLock" });
    const checked = await provider.check(
      {},
      { pipelineId: "demo-pipeline-1", orgId: "o-demo", timeouts: { create: "3m" } },
    );
    const began = clock();
    const error: unknown = await provider.create(checked.inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceInitFailedError);
    const message = (error as Error).message;
    expect(message).toContain("61121");
    expect(message).toContain("timeouts.create");
    expect(clock() - began).toBeGreaterThanOrEqual(180_000);
    // About one start per cap interval, not one per second.
    expect(startsAt.length).toBeLessThan(180_000 / orgBusyDelay(1, () => 0.5));
    expect((await s.admin.pipeline("demo-pipeline-1")).status).toBe("PUBLISHED");
  });
});
