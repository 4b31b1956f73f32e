// Health-gated starts and the rollout halt through the engine boundary: the promotion program run by the
// harness's Engine against the SDK's real dynamic-provider host, the simulator as EnOS. Faults shape each run
// (lag growth, a stalled offset, a crash after N samples); `hold` rules decide the order of a rollout, so no
// assertion depends on a race with a timer. Needs `npm run build`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { Engine, assertOk, type VerbResult } from "./engine.js";

const PROGRAM = "dist/program/index.js";
const P1 = "demo-pipeline-1";
const P2 = "demo-pipeline-2";
const P3 = "demo-pipeline-3";
const P4 = "sim-pipeline-0001";
const P5 = "sim-pipeline-0002";
const GATE = { stableFor: "1s", maxLag: 500 };
/** How long to wait for a status the host brings about: a budget, long enough for a host on a loaded machine. */
const BUDGET = 100_000;

let sim: RunningSimulator;
let dir: string;
let stackCounter = 0;
const gateCalls: number[] = [];

type Entry = Record<string, unknown>;

function newStack(pipelines: Entry[], extra: Record<string, string> = {}): Engine {
  const stack = `health${++stackCounter}`;
  return new Engine({
    stateFile: path.join(dir, `${stack}.json`),
    project: "pulumi-enos",
    stack,
    config: {
      "enos:apiGateway": sim.url,
      "enos:accessKey": "demo-access-key",
      "enos:secretKey": "demo-secret-key",
      "enos:orgId": "o-demo",
      "pulumi-enos:pipelines": JSON.stringify(pipelines),
      "pulumi-enos:flows": "[]",
      ...extra,
    },
    secretKeys: ["enos:secretKey"],
  });
}

const outputs = (engine: Engine, name: string) =>
  engine.state().resources.find((r) => r.urn.endsWith(`::${name}`))?.outputs ?? {};
const lastSeq = async () => (await sim.admin.requests()).at(-1)?.seq ?? 0;
const calls = async (since: number, endpoint: string, pipelineId?: string) =>
  (await sim.admin.requests()).filter(
    (r) =>
      r.seq > since && r.endpoint === endpoint && (pipelineId === undefined || r.pipelineId === pipelineId),
  ).length;
const status = async (id: string) => (await sim.admin.pipeline(id)).status;
const errorFor = (result: VerbResult, name: string) =>
  result.errors.find((e) => e.urn?.endsWith(`::${name}`));

beforeAll(async () => {
  sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "enos-health-"));
});

beforeEach(async () => {
  await sim.admin.reset(makeSeed({ pipelines: 2 }));
});

afterAll(async () => {
  console.log(`health gate: offset-lag calls per gated start ${JSON.stringify(gateCalls)}`);
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("health-gated starts through the host", () => {
  it("healthy: the start is watched for stableFor; refresh and a no-op up read no lag", async () => {
    const stack = newStack([
      { name: "ingest", pipelineId: P1, kafkaRate: 2000, healthCheck: GATE },
      { name: "plain", pipelineId: P2 },
    ]);
    const mark = await lastSeq();
    const up = assertOk(await stack.up(PROGRAM));
    expect(up.logs.some((l) => /demo-pipeline-1: healthy after 1s \(lag 20, 2000 offsets\/s\)/.test(l))).toBe(
      true,
    );
    const health = outputs(stack, "ingest").health as Record<string, unknown>;
    expect(health).toMatchObject({ verdict: "HEALTHY", lag: 20, offsetsPerSecond: 2000 });
    expect(Date.parse(String(health.checkedAt))).not.toBeNaN();
    expect(outputs(stack, "plain").health).toBeUndefined();
    const lagReads = await calls(mark, "getOffsetLag", P1);
    gateCalls.push(lagReads);
    expect(lagReads).toBe(3);
    expect(await calls(mark, "getOffsetLag", P2)).toBe(0);

    const quiet = await lastSeq();
    assertOk(await stack.refresh());
    assertOk(await stack.up(PROGRAM));
    expect(await calls(quiet, "getOffsetLag")).toBe(0);
    expect(outputs(stack, "ingest").health).toEqual(health);
  });

  it("lagging: lag over maxLag fails the create; the resource stays in state with its status and health", async () => {
    await sim.admin.addFault({ kind: "lagGrowth", lagPerSecond: 5000, match: { pipelineId: P1 } });
    const stack = newStack([{ name: "ingest", pipelineId: P1, healthCheck: GATE }]);
    const failed = await stack.up(PROGRAM);
    expect(failed.errors).toHaveLength(1);
    const message = failed.errors[0]?.message ?? "";
    expect(message).toMatch(
      /demo-pipeline-1 \(org o-demo\): create: failed its health check: lag \d+ > maxLag 500 after 1s \(lag \d+, [\d.]+ offsets\/s\)\. onUnhealthy KEEP: the pipeline was left RUNNING\./,
    );
    expect(message).toMatch(/Next: inspect the job in the EnOS console/);
    const kept = stack.state().resources.find((r) => r.urn.endsWith("::ingest"));
    expect(kept?.id).toBe(P1);
    expect(kept?.outputs).toMatchObject({ status: "RUNNING", health: { verdict: "UNHEALTHY" } });
    expect(String((kept?.outputs.health as { reason?: string }).reason)).toMatch(
      /^lag \d+ > maxLag 500 after 1s$/,
    );
    expect(await status(P1)).toBe("RUNNING");
  });

  it("stalled: an offset that does not move fails the gate", async () => {
    await sim.admin.addFault({ kind: "offsetStall", match: { pipelineId: P1 } });
    const stack = newStack([{ name: "ingest", pipelineId: P1, healthCheck: { stableFor: "1s" } }]);
    const failed = await stack.up(PROGRAM);
    expect(failed.errors[0]?.message).toMatch(
      /failed its health check: offset did not move in 1s \(offset 0, lag \d+\)/,
    );
  });

  it("crashing: an error status during the window fails the gate at once", async () => {
    await sim.admin.addFault({ kind: "crash", afterSamples: 1, match: { pipelineId: P1 } });
    const stack = newStack([{ name: "ingest", pipelineId: P1, healthCheck: { stableFor: "4s" } }]);
    const failed = await stack.up(PROGRAM);
    expect(failed.errors[0]?.message).toMatch(/failed its health check: status RUN_ERROR \S+ after start/);
    expect(failed.errors[0]?.message).toMatch(/onUnhealthy KEEP: the pipeline was left RUN_ERROR/);
    expect(outputs(stack, "ingest")).toMatchObject({ status: "RUN_ERROR", health: { verdict: "UNHEALTHY" } });
    // The crash ended the gate: one lag read, not the three of a full window.
    expect(await calls(0, "getOffsetLag", P1)).toBe(1);
  });

  it.each([
    ["PAUSE", "PAUSED", "paused"],
    ["STOP", "STOPPED", "stopped"],
  ])("onUnhealthy %s: the unhealthy pipeline is %s and the message says so", async (policy, live, word) => {
    await sim.admin.addFault({ kind: "lagGrowth", lagPerSecond: 5000, match: { pipelineId: P1 } });
    const stack = newStack([{ name: "ingest", pipelineId: P1, healthCheck: GATE, onUnhealthy: policy }]);
    const failed = await stack.up(PROGRAM);
    expect(failed.errors[0]?.message).toContain(`onUnhealthy ${policy}: the pipeline was ${word}.`);
    expect(await status(P1)).toBe(live);
    expect(outputs(stack, "ingest")).toMatchObject({ status: live, health: { verdict: "UNHEALTHY" } });
  });

  it("halt: once one of 5 pipelines in an org fails, the starts not yet sent fail without calling EnOS", async () => {
    // p3 lags; p3, p4 and p5 are held at their first call (the create's read) until the test lets them go.
    await sim.admin.addFault({ kind: "lagGrowth", lagPerSecond: 5000, match: { pipelineId: P3 } });
    const held = Object.fromEntries(
      await Promise.all(
        [P3, P4, P5].map(async (id) => [
          id,
          await sim.admin.addFault({ kind: "hold", match: { endpoint: "getPipeline", pipelineId: id } }),
        ]),
      ),
    ) as Record<string, string>;
    const names = ["p1", "p2", "p3", "p4", "p5"];
    const stack = newStack(
      [P1, P2, P3, P4, P5].map((pipelineId, i) => ({
        name: names[i],
        pipelineId,
        healthCheck: GATE,
        onUnhealthy: "STOP",
      })),
    );
    const mark = await lastSeq();
    const running = stack.up(PROGRAM);

    await sim.admin.waitForPipelineStatus(P1, "RUNNING", BUDGET);
    await sim.admin.waitForPipelineStatus(P2, "RUNNING", BUDGET);
    await sim.admin.removeFault(held[P3] ?? "");
    // onUnhealthy STOP runs after the halt is in force: once p3 is stopped, p4 and p5 may go on.
    await sim.admin.waitForPipelineStatus(P3, "STOPPED", BUDGET);
    await sim.admin.removeFault(held[P4] ?? "");
    await sim.admin.removeFault(held[P5] ?? "");
    const result = await running;

    expect(result.errors).toHaveLength(3);
    expect(errorFor(result, "p3")?.message).toMatch(
      /demo-pipeline-3 .*failed its health check: lag \d+ > maxLag 500/,
    );
    expect(errorFor(result, "p3")?.message).toMatch(/Rollout halted in org o-demo/);
    for (const [name, id] of [
      ["p4", P4],
      ["p5", P5],
    ] as const) {
      expect(errorFor(result, name)?.message).toMatch(
        new RegExp(
          `${id} \\(org o-demo\\): create: rollout halted: demo-pipeline-3 failed its health check \\(lag \\d+ > maxLag 500 after 1s\\)\\. The start was not sent to EnOS; the pipeline is PUBLISHED\\.`,
        ),
      );
      expect(await calls(mark, "startPipeline", id)).toBe(0);
      expect(await status(id)).toBe("PUBLISHED");
      expect(outputs(stack, name)).toMatchObject({ status: "PUBLISHED" });
    }
    // The pipelines started before the failure are left alone, healthy.
    for (const [name, id] of [
      ["p1", P1],
      ["p2", P2],
    ] as const) {
      expect(await status(id)).toBe("RUNNING");
      expect(outputs(stack, name)).toMatchObject({ status: "RUNNING", health: { verdict: "HEALTHY" } });
    }
    expect(await status(P3)).toBe("STOPPED");
  });

  it("halt off: enos:haltRolloutOnUnhealthy false lets the rest of the rollout start", async () => {
    await sim.admin.addFault({ kind: "lagGrowth", lagPerSecond: 5000, match: { pipelineId: P1 } });
    const hold = await sim.admin.addFault({
      kind: "hold",
      match: { endpoint: "getPipeline", pipelineId: P2 },
    });
    const stack = newStack(
      [
        { name: "canary", pipelineId: P1, healthCheck: GATE, onUnhealthy: "PAUSE" },
        { name: "next", pipelineId: P2, healthCheck: GATE },
      ],
      { "enos:haltRolloutOnUnhealthy": "false" },
    );
    const running = stack.up(PROGRAM);
    await sim.admin.waitForPipelineStatus(P1, "PAUSED", BUDGET);
    await sim.admin.removeFault(hold);
    const result = await running;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message).not.toMatch(/Rollout halted/);
    expect(await status(P2)).toBe("RUNNING");
    expect(outputs(stack, "next")).toMatchObject({ health: { verdict: "HEALTHY" } });
  });

  it("a deadline shorter than stableFor is refused at check, before any EnOS call", async () => {
    const stack = newStack([
      { name: "ingest", pipelineId: P1, healthCheck: { stableFor: "2m" }, timeouts: { create: "1m" } },
    ]);
    const mark = await lastSeq();
    const result = await stack.up(PROGRAM);
    expect(result.errors.map((e) => e.message).join("\n")).toMatch(
      /healthCheck\.stableFor: 2m does not fit in timeouts\.create \(1m\): the health check's window counts against the operation's deadline/,
    );
    expect((await sim.admin.requests()).filter((r) => r.seq > mark)).toEqual([]);
  });
});
