import { describe, expect, it } from "vitest";
import {
  enosPolicies,
  gatedRelease,
  kafkaRateLimit,
  protectedStackDelete,
  stackOfUrn,
  uniqueFlow,
  uniquePipeline,
} from "../../policy/index.js";
import { checkResource, checkStack, flow, pipeline } from "./support.js";

describe("the rule set", () => {
  it("has the five rules under their exact names and levels", () => {
    expect(enosPolicies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["enos-unique-pipeline", "mandatory"],
      ["enos-unique-flow", "mandatory"],
      ["enos-protected-stack-delete", "mandatory"],
      ["enos-kafka-rate-limit", "advisory"],
      ["enos-gated-release", "advisory"],
    ]);
  });

  it("reads the stack from a URN", () => {
    expect(stackOfUrn("urn:pulumi:prod::enos-app::pulumi-nodejs:dynamic/enos:EnosFlowSchedule::f")).toBe(
      "prod",
    );
    expect(() => stackOfUrn("prod::x")).toThrow("not a Pulumi URN");
  });
});

describe("enos-unique-pipeline", () => {
  it("refuses two deployments of one (orgId, pipelineId), naming both, the IDs and the fix", async () => {
    const violations = await checkStack(uniquePipeline, [
      pipeline("dev", "ingest-a", { pipelineId: "p-1" }),
      pipeline("dev", "ingest-b", { pipelineId: "p-1" }),
      pipeline("dev", "other", { pipelineId: "p-2" }),
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toBe(
      'EnosPipelineDeployment resources "ingest-a", "ingest-b" all adopt pipeline pipelineId "p-1" in orgId ' +
        '"o15724268424841": they would fight over its run state. Keep one resource per pipeline: remove the ' +
        "others or point each at a different pipelineId.",
    );
    expect(violations[0]?.urn).toContain("::ingest-a");
  });

  it("passes one pipeline ID in two organisations, and different pipelines", async () => {
    expect(
      await checkStack(uniquePipeline, [
        pipeline("dev", "a", { pipelineId: "p-1", orgId: "org-one" }),
        pipeline("dev", "b", { pipelineId: "p-1", orgId: "org-two" }),
        pipeline("dev", "c", { pipelineId: "p-2", orgId: "org-one" }),
      ]),
    ).toEqual([]);
  });

  it("ignores flows with the same ID and resources missing an ID (check reports those)", async () => {
    expect(
      await checkStack(uniquePipeline, [
        flow("dev", "f1", { flowId: 7 }),
        flow("dev", "f2", { flowId: 7 }),
        pipeline("dev", "x", {}),
        pipeline("dev", "y", {}),
      ]),
    ).toEqual([]);
  });

  it("reports each contested pipeline once", async () => {
    const violations = await checkStack(uniquePipeline, [
      pipeline("dev", "a1", { pipelineId: "p-1" }),
      pipeline("dev", "a2", { pipelineId: "p-1" }),
      pipeline("dev", "a3", { pipelineId: "p-1" }),
      pipeline("dev", "b1", { pipelineId: "p-2" }),
      pipeline("dev", "b2", { pipelineId: "p-2" }),
    ]);
    expect(
      violations.map((v) =>
        /^EnosPipelineDeployment resources (.*) all adopt pipeline pipelineId (\S+)/
          .exec(v.message)
          ?.slice(1),
      ),
    ).toEqual([
      ['"a1", "a2", "a3"', '"p-1"'],
      ['"b1", "b2"', '"p-2"'],
    ]);
  });
});

describe("enos-unique-flow", () => {
  it("refuses two schedules of one (orgId, flowId)", async () => {
    const violations = await checkStack(uniqueFlow, [
      flow("dev", "nightly", { flowId: 4711 }),
      flow("dev", "nightly-copy", { flowId: 4711 }),
    ]);
    expect(violations.map((v) => v.message)).toEqual([
      'EnosFlowSchedule resources "nightly", "nightly-copy" all adopt flow flowId 4711 in orgId "o15724268424841": ' +
        "they would fight over its schedule. Keep one resource per flow: remove the others or point each at a " +
        "different flowId.",
    ]);
  });

  it("passes distinct flows, and pipelines sharing an ID", async () => {
    expect(
      await checkStack(uniqueFlow, [
        flow("dev", "a", { flowId: 1 }),
        flow("dev", "b", { flowId: 2 }),
        pipeline("dev", "c", { pipelineId: "p-1" }),
        pipeline("dev", "d", { pipelineId: "p-1" }),
      ]),
    ).toEqual([]);
  });
});

describe("enos-protected-stack-delete", () => {
  it("refuses a pipeline in prod that leaves onDelete out (the default STOP counts)", async () => {
    const violations = await checkResource(
      protectedStackDelete,
      pipeline("prod", "ingest", { pipelineId: "p-1" }),
    );
    expect(violations.map((v) => v.message)).toEqual([
      'EnosPipelineDeployment "ingest": onDelete is "STOP" (also its default when left out) in protected stack ' +
        '"prod", so destroying it would stop the pipeline: set onDelete: "PAUSE" (pause it) or "KEEP" (leave it running).',
    ]);
  });

  it("refuses an explicit STOP in production and DISABLE (explicit or default) for flows", async () => {
    const explicit = await checkResource(
      protectedStackDelete,
      pipeline("production", "ingest", { pipelineId: "p-1", onDelete: "STOP" }),
    );
    expect(explicit[0]?.message).toContain(
      'onDelete is "STOP" (also its default when left out) in protected stack "production"',
    );
    const flowDefault = await checkResource(protectedStackDelete, flow("prod", "nightly", { flowId: 3 }));
    expect(flowDefault.map((v) => v.message)).toEqual([
      'EnosFlowSchedule "nightly": onDelete is "DISABLE" (also its default when left out) in protected stack ' +
        '"prod", so destroying it would disable the flow\'s schedule: set onDelete: "KEEP" (leave the schedule ' +
        'as it is) or "RESTORE" (the state found at adoption).',
    ]);
    const flowExplicit = await checkResource(
      protectedStackDelete,
      flow("prod", "nightly", { flowId: 3, onDelete: "DISABLE" }),
    );
    expect(flowExplicit).toHaveLength(1);
  });

  it("passes safe onDelete values in prod, and the defaults outside protected stacks", async () => {
    for (const onDelete of ["PAUSE", "KEEP"])
      expect(
        await checkResource(protectedStackDelete, pipeline("prod", "p", { pipelineId: "p", onDelete })),
      ).toEqual([]);
    for (const onDelete of ["KEEP", "RESTORE"])
      expect(await checkResource(protectedStackDelete, flow("prod", "f", { flowId: 1, onDelete }))).toEqual(
        [],
      );
    expect(await checkResource(protectedStackDelete, pipeline("dev", "p", { pipelineId: "p" }))).toEqual([]);
    expect(await checkResource(protectedStackDelete, flow("staging", "f", { flowId: 1 }))).toEqual([]);
  });

  it("takes the protected stacks from policy config (and then no longer protects the defaults)", async () => {
    const config = { protectedStacks: ["live"] };
    expect(
      await checkResource(protectedStackDelete, pipeline("live", "p", { pipelineId: "p" }), config),
    ).toHaveLength(1);
    expect(
      await checkResource(protectedStackDelete, pipeline("prod", "p", { pipelineId: "p" }), config),
    ).toEqual([]);
  });

  it("leaves other resource types alone", async () => {
    const bucket = {
      type: "aws:s3/bucket:Bucket",
      name: "b",
      urn: "urn:pulumi:prod::a::aws:s3/bucket:Bucket::b",
      props: {},
    };
    expect(await checkResource(protectedStackDelete, bucket)).toEqual([]);
  });
});

describe("enos-kafka-rate-limit", () => {
  it("warns when kafkaRate is above the default limit of 100000, naming the value, limit and fix", async () => {
    const violations = await checkResource(
      kafkaRateLimit,
      pipeline("dev", "firehose", { pipelineId: "p", kafkaRate: 250000 }),
    );
    expect(violations.map((v) => v.message)).toEqual([
      'EnosPipelineDeployment "firehose": kafkaRate 250000 is above maxKafkaRate 100000 records/s: lower kafkaRate ' +
        'to 100000 or less, or raise the limit in policy config ({ "enos-kafka-rate-limit": { "maxKafkaRate": 250000 } }).',
    ]);
  });

  it("passes the limit itself and the default kafkaRate (1000)", async () => {
    expect(
      await checkResource(kafkaRateLimit, pipeline("dev", "p", { pipelineId: "p", kafkaRate: 100000 })),
    ).toEqual([]);
    expect(await checkResource(kafkaRateLimit, pipeline("dev", "p", { pipelineId: "p" }))).toEqual([]);
  });

  it("takes maxKafkaRate from policy config; the default kafkaRate counts against it", async () => {
    const config = { maxKafkaRate: 500 };
    const violations = await checkResource(kafkaRateLimit, pipeline("dev", "p", { pipelineId: "p" }), config);
    expect(violations[0]?.message).toContain("kafkaRate 1000 is above maxKafkaRate 500");
    expect(
      await checkResource(kafkaRateLimit, pipeline("dev", "p", { pipelineId: "p", kafkaRate: 500 }), config),
    ).toEqual([]);
  });
});

describe("enos-gated-release", () => {
  it("warns about a release trigger without a health check in a protected stack", async () => {
    const violations = await checkResource(
      gatedRelease,
      pipeline("prod", "ingest", { pipelineId: "p", releaseTrigger: "v42" }),
    );
    expect(violations.map((v) => v.message)).toEqual([
      'EnosPipelineDeployment "ingest": releaseTrigger is "v42" but healthCheck is not set in protected stack "prod", ' +
        'so a bad release would be reported as a success: add healthCheck (e.g. { stableFor: "2m", maxLag: 1000 }).',
    ]);
  });

  it("passes gated releases, pipelines without a release trigger, and unprotected stacks", async () => {
    const gated = { pipelineId: "p", releaseTrigger: "v42", healthCheck: { stableFor: "2m" } };
    expect(await checkResource(gatedRelease, pipeline("prod", "p", gated))).toEqual([]);
    expect(await checkResource(gatedRelease, pipeline("prod", "p", { pipelineId: "p" }))).toEqual([]);
    expect(
      await checkResource(gatedRelease, pipeline("dev", "p", { pipelineId: "p", releaseTrigger: "v42" })),
    ).toEqual([]);
  });

  it("takes the protected stacks from policy config", async () => {
    const props = { pipelineId: "p", releaseTrigger: "v42" };
    expect(
      await checkResource(gatedRelease, pipeline("live", "p", props), { protectedStacks: ["live"] }),
    ).toHaveLength(1);
    expect(
      await checkResource(gatedRelease, pipeline("prod", "p", props), { protectedStacks: ["live"] }),
    ).toEqual([]);
  });
});
