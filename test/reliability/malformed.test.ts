// Malformed EnOS answers during create and read, through the provider host: wrong types, missing fields, non-JSON,
// truncated and cut-off bodies, huge bodies. Each is a clear schema or transport error naming the call — never a
// crash of the host, never a wrong state in the state file. An answer lost after a start took effect is re-read,
// so state records what EnOS really did. Faults that can target one pipeline or flow share a run.
import { afterEach, describe, expect, it } from "vitest";
import { makeSeed } from "../../simulator/index.js";
import {
  callsSince,
  changes,
  count,
  environment,
  expectOk,
  mark,
  mutations,
  outputsOf,
  P1,
  P2,
  P3,
  PROGRAM,
  resourceNamed,
  stateNames,
  useSuite,
} from "./support.js";
import { startRewritingProxy, type RewritingProxy } from "./proxy.js";

const S1 = "sim-pipeline-0001";
const suite = useSuite(makeSeed({ pipelines: 1 }));
const DETAILS = "/streaming/v2.0/streaming/pipeline";
const LISTING = "/streaming/v2.0/streaming/pipelines";
const FLOWS = "/batch-processing-service/v2.1/flows";
const HUGE = 5 * 1024 * 1024;

let proxy: RewritingProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const errorOf = (result: { errors: readonly { urn?: string; message: string }[] }, name: string) =>
  result.errors.find((e) => e.urn?.endsWith(`::${name}`))?.message ?? "";

describe("during create", () => {
  it("non-JSON, truncated and wrongly typed answers per resource; a broken start answer and a cut-off listing", async () => {
    const { sim } = suite;
    await sim.admin.addFaults([
      { kind: "malformed", malformed: "nonJson", match: { endpoint: "getPipeline", pipelineId: P1 } },
      { kind: "malformed", malformed: "truncated", match: { endpoint: "getPipeline", pipelineId: P2 } },
      { kind: "malformed", malformed: "wrongTypes", match: { endpoint: "getPipeline", pipelineId: P3 } },
      {
        kind: "malformed",
        malformed: "nonJson",
        count: 1,
        match: { endpoint: "startPipeline", pipelineId: S1 },
      },
      { kind: "malformed", malformed: "cutOff", count: 1, match: { endpoint: "listPipelines" } },
      { kind: "malformed", malformed: "wrongTypes", match: { endpoint: "getFlow", flowId: 3377 } },
      { kind: "malformed", malformed: "truncated", match: { endpoint: "getFlow", flowId: 3378 } },
    ]);
    const stack = suite.stack(
      environment(
        [
          { name: "p1", pipelineId: P1 },
          { name: "p2", pipelineId: P2 },
          { name: "p3", pipelineId: P3 },
          { name: "s1", pipelineId: S1 },
        ],
        [
          { name: "nightly", flowId: 3377 },
          { name: "hourly", flowId: 3378 },
        ],
      ),
    );
    const result = await stack.up(PROGRAM);
    const calls = await callsSince(sim);

    expect(result.errors).toHaveLength(5);
    expect(errorOf(result, "p1")).toMatch(
      new RegExp(
        `${P1}: could not read the pipeline: EnOS answered GET ${DETAILS}/${P1} with an unexpected response: the body is not JSON \\(\\d+ bytes, text/html`,
      ),
    );
    expect(errorOf(result, "p2")).toMatch(
      new RegExp(`${P2}: could not read the pipeline: EnOS answered GET .* the body is not JSON`),
    );
    expect(errorOf(result, "p3")).toMatch(
      new RegExp(`${P3}: could not read the pipeline: EnOS answered GET .* data does not match: \\w+`),
    );
    expect(errorOf(result, "nightly")).toMatch(
      new RegExp(
        `EnosFlowSchedule 3377 .*EnOS answered GET ${FLOWS} with an unexpected response: data does not match`,
      ),
    );
    expect(errorOf(result, "hourly")).toMatch(/EnosFlowSchedule 3378 .*the body is not JSON/);
    // No response value is echoed into the message, and the host kept serving (every step got an answer).
    expect(result.errors.every((e) => e.message.length < 600)).toBe(true);
    expect(result.steps).toHaveLength(6);

    // The start's answer was garbage but the start happened: the re-read saw it and state says so.
    expect(changes(result)).toEqual([
      "create hourly (failed)",
      "create nightly (failed)",
      "create p1 (failed)",
      "create p2 (failed)",
      "create p3 (failed)",
      "create s1",
    ]);
    expect(stateNames(stack)).toEqual(["s1"]);
    expect(outputsOf(stack, "s1")).toMatchObject({ status: "RUNNING" });
    expect(await sim.admin.pipeline(S1)).toMatchObject({ status: "RUNNING", startCount: 1 });
    expect(result.logs).toContainEqual(
      expect.stringContaining(`${S1}: start may or may not have reached EnOS`),
    );
    // The cut-off listing was a transport error on a read: retried, and the next listing served.
    expect(
      calls.filter((c) => c.endpoint === "listPipelines" && c.faults.includes("malformed")),
    ).toHaveLength(1);
    expect(count(calls, "listPipelines")).toBeGreaterThanOrEqual(2);
    expect(mutations(calls)).toEqual([`startPipeline ${S1} http200`]);
  });

  it("a wrongly typed listing and a huge details answer: clear errors, nothing in state, nothing changed", async () => {
    const { sim } = suite;
    await sim.admin.addFaults([
      { kind: "malformed", malformed: "wrongTypes", match: { endpoint: "listPipelines" } },
      {
        kind: "malformed",
        malformed: "huge",
        hugeBytes: HUGE,
        match: { endpoint: "getPipeline", pipelineId: P2 },
      },
    ]);
    const stack = suite.stack(
      environment([
        { name: "p1", pipelineId: P1 },
        { name: "p2", pipelineId: P2 },
      ]),
    );
    const result = await stack.up(PROGRAM);

    expect(errorOf(result, "p1")).toMatch(
      new RegExp(
        `${P1} \\(org o-demo\\): create failed during observe: EnOS answered GET ${LISTING} with an unexpected response: data does not match: .*pipelines\\.0\\.status`,
      ),
    );
    expect(errorOf(result, "p2")).toMatch(
      new RegExp(`${P2}: could not read the pipeline: .* the body is larger than 4194304 bytes`),
    );
    expect(result.errors).toHaveLength(2);
    expect(stack.state().resources).toEqual([]);
    expect(mutations(await callsSince(sim))).toEqual([]);
    expect((await sim.admin.state()).pipelines.every((p) => p.status === "PUBLISHED")).toBe(true);
  });

  it("missing fields (a listing row without status, details without pipelineId): schema errors naming them", async () => {
    const { sim } = suite;
    proxy = await startRewritingProxy(sim.url, (path, body) => {
      const envelope = body as { data?: Record<string, unknown> };
      if (path === LISTING && envelope.data) {
        const rows = envelope.data.pipelines as Record<string, unknown>[];
        envelope.data.pipelines = rows.map(({ status, ...row }) =>
          row.pipelineId === P1 ? row : { ...row, status },
        );
        return envelope;
      }
      if (path === `${DETAILS}/${P2}` && envelope.data) {
        delete envelope.data.pipelineId;
        return envelope;
      }
      return undefined;
    });
    const stack = suite.stack({
      ...environment([
        { name: "p1", pipelineId: P1 },
        { name: "p2", pipelineId: P2 },
      ]),
      "enos:apiGateway": proxy.url,
    });
    const result = await stack.up(PROGRAM);

    expect(errorOf(result, "p1")).toMatch(
      /data does not match: pipelines\.0\.status: Invalid input: expected string/,
    );
    expect(errorOf(result, "p2")).toMatch(
      new RegExp(`${P2}: could not read the pipeline: .*data does not match: pipelineId`),
    );
    expect(result.errors).toHaveLength(2);
    expect(stack.state().resources).toEqual([]);
    expect(mutations(await callsSince(sim))).toEqual([]);
  });
});

describe("during refresh (read)", () => {
  it("broken answers fail the read and leave the stored state exactly as it was; a clean refresh then updates it", async () => {
    const { sim } = suite;
    const stack = suite.stack(
      environment(
        [{ name: "p1", pipelineId: P1 }],
        [
          { name: "nightly", flowId: 3377 },
          { name: "hourly", flowId: 3378 },
        ],
      ),
    );
    expectOk(await stack.up(PROGRAM));
    const before = stack.state();
    await sim.admin.setPipelineStatus(P1, "PAUSED");
    await sim.admin.setFlow(3377, { active: 0 });

    await sim.admin.addFaults([
      { kind: "malformed", malformed: "nonJson", match: { endpoint: "listPipelines" } },
      { kind: "malformed", malformed: "wrongTypes", match: { endpoint: "getFlow", flowId: 3377 } },
      { kind: "malformed", malformed: "huge", hugeBytes: HUGE, match: { endpoint: "getFlow", flowId: 3378 } },
    ]);
    let since = await mark(sim);
    const broken = await stack.refresh();
    expect(broken.errors.map((e) => e.phase)).toEqual(["read", "read", "read"]);
    expect(errorOf(broken, "p1")).toMatch(
      new RegExp(`GET ${LISTING} with an unexpected response: the body is not JSON`),
    );
    expect(errorOf(broken, "nightly")).toMatch(
      /EnosFlowSchedule 3377 \(org o-demo, user u-demo\): refresh failed reading the flow: .*data does not match/,
    );
    expect(errorOf(broken, "hourly")).toMatch(
      /EnosFlowSchedule 3378 \(org o-demo, user u-demo\): refresh failed reading the flow: .*larger than 4194304 bytes/,
    );
    expect(stack.state()).toEqual(before);
    expect(mutations(await callsSince(sim, since))).toEqual([]);

    // Missing fields on read, through the rewriting proxy: the same, nothing stored.
    await sim.admin.clearFaults();
    proxy = await startRewritingProxy(sim.url, (path, body) => {
      const envelope = body as { data?: Record<string, unknown> };
      if (path === FLOWS && envelope.data) {
        delete envelope.data.active;
        return envelope;
      }
      if (path === LISTING && envelope.data) return { ...envelope, data: { count: 1, pipelines: [{}] } };
      return undefined;
    });
    const missing = await stack.refresh({ config: { "enos:apiGateway": proxy.url } });
    expect(missing.errors).toHaveLength(3);
    expect(errorOf(missing, "nightly")).toMatch(/data does not match: .*active/);
    expect(errorOf(missing, "p1")).toMatch(/data does not match: pipelines\.0\.(pipelineId|status)/);
    expect(stack.state()).toEqual(before);

    since = await mark(sim);
    const clean = expectOk(await stack.refresh({ config: { "enos:apiGateway": sim.url } }));
    expect(changes(clean)).toEqual(["refresh nightly", "refresh p1"]);
    expect(outputsOf(stack, "p1").status).toBe("PAUSED");
    expect(outputsOf(stack, "nightly").active).toBe(false);
    expect(resourceNamed(stack, "hourly")?.outputs).toEqual(
      before.resources.find((r) => r.urn.endsWith("::hourly"))?.outputs,
    );
    expect(mutations(await callsSince(sim, since))).toEqual([]);
  });
});
