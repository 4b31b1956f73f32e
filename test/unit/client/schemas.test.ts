import { describe, expect, it } from "vitest";
import {
  flowSchema,
  offsetLagSchema,
  pipelineDetailsSchema,
  pipelinePageSchema,
  tokenDataSchema,
} from "../../../provider/client/schemas.js";

describe("pipelinePageSchema", () => {
  it("normalises versions and ids to strings and keeps only known fields", () => {
    const page = pipelinePageSchema.parse({
      count: 2,
      pipelines: [
        {
          pipelineId: "p1",
          pipelineName: "one",
          status: "RUNNING",
          version: 3,
          orgId: "o1",
          executionMode: 1,
          x: 1,
        },
        { pipelineId: 7, status: "STOPPED", version: "2", executionMode: "0", alarmConfig: null },
      ],
    });
    expect(page.pipelines).toEqual([
      {
        pipelineId: "p1",
        pipelineName: "one",
        status: "RUNNING",
        version: "3",
        orgId: "o1",
        executionMode: 1,
      },
      {
        pipelineId: "7",
        pipelineName: "",
        status: "STOPPED",
        version: "2",
        orgId: undefined,
        executionMode: 0,
      },
    ]);
  });
  it("accepts a missing or null pipelines list as empty", () => {
    expect(pipelinePageSchema.parse({ count: 0, pipelines: null }).pipelines).toEqual([]);
    expect(pipelinePageSchema.parse({}).pipelines).toEqual([]);
  });
  it("refuses wrong types and missing required fields", () => {
    expect(pipelinePageSchema.safeParse({ pipelines: "none" }).success).toBe(false);
    expect(pipelinePageSchema.safeParse({ pipelines: [{ status: "RUNNING" }] }).success).toBe(false);
    expect(pipelinePageSchema.safeParse({ pipelines: [{ pipelineId: "p", status: 1 }] }).success).toBe(false);
    expect(pipelinePageSchema.safeParse(null).success).toBe(false);
  });
});

describe("pipelineDetailsSchema", () => {
  it("parses the documented fields", () => {
    expect(
      pipelineDetailsSchema.parse({
        pipelineId: "p",
        pipelineName: "n",
        desc: null,
        version: 1,
        templateType: 0,
      }),
    ).toEqual({ pipelineId: "p", pipelineName: "n", desc: undefined, version: "1", templateType: "0" });
  });
});

describe("offsetLagSchema", () => {
  it("parses numbers and numeric strings", () => {
    expect(
      offsetLagSchema.parse({
        pipelineId: "p",
        topicName: "t",
        lagAndOffset: [{ lag: "5", offset: 10, ts: 1 }],
      }),
    ).toEqual({ pipelineId: "p", topicName: "t", lagAndOffset: [{ lag: 5, offset: 10, ts: 1 }] });
    expect(offsetLagSchema.safeParse({ pipelineId: "p", lagAndOffset: [{ lag: "many" }] }).success).toBe(
      false,
    );
  });

  it("accepts both documented shapes: the sample's object and the table's list with string figures", () => {
    const sample = {
      topicName: "MEASURE_POINT_INTERNAL_o15517683199241",
      lagAndOffset: [
        { lag: 0, offset: 6094977, ts: 1616759448328 },
        { lag: 0, offset: 6094977, ts: 1616759673388 },
      ],
      pipelineId: "565c0114",
    };
    const fromObject = offsetLagSchema.parse(sample);
    expect(fromObject.lagAndOffset).toHaveLength(2);
    const asTable = [
      {
        ...sample,
        lagAndOffset: sample.lagAndOffset.map((s) => ({
          ...s,
          lag: "0",
          offset: "6094977",
          ts: String(s.ts),
        })),
      },
    ];
    expect(offsetLagSchema.parse(asTable)).toEqual(fromObject);
    expect(offsetLagSchema.safeParse([]).success).toBe(false);
  });
});

describe("flowSchema", () => {
  const flow = { flowId: 3377, flowName: "f", active: 1, freq: "0 0 * * * ? *", cycle: "H", owner: "u1;u2" };

  it("parses the flow object with 0/1 or boolean flags", () => {
    expect(flowSchema.parse({ ...flow, locked: 0, isUserLocked: true })).toEqual({
      ...flow,
      locked: false,
      isUserLocked: true,
    });
    expect(flowSchema.parse({ ...flow, flowId: "3377", active: false }).active).toBe(0);
    expect(flowSchema.parse({ ...flow, active: "1", locked: "1" })).toMatchObject({
      active: 1,
      locked: true,
    });
  });
  it("accepts a wrapped flow", () => {
    expect(flowSchema.parse({ flow }).flowId).toBe(3377);
  });
  it("refuses a flow without a usable active flag or id", () => {
    expect(flowSchema.safeParse({ ...flow, active: 2 }).success).toBe(false);
    expect(flowSchema.safeParse({ ...flow, active: undefined }).success).toBe(false);
    expect(flowSchema.safeParse({ ...flow, flowId: "x" }).success).toBe(false);
  });
});

describe("tokenDataSchema", () => {
  it("needs a token and a positive lifetime", () => {
    expect(tokenDataSchema.parse({ accessToken: "t", expire: "7200" })).toMatchObject({
      accessToken: "t",
      expire: 7200,
    });
    expect(tokenDataSchema.safeParse({ accessToken: "", expire: 7200 }).success).toBe(false);
    expect(tokenDataSchema.safeParse({ accessToken: "t", expire: 0 }).success).toBe(false);
    expect(tokenDataSchema.safeParse({ accessToken: "t" }).success).toBe(false);
  });
});
