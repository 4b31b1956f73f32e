import { afterEach, describe, expect, it } from "vitest";
import { EnosConfigError, requireSettings, rememberStackConfig } from "../../../provider/config.js";
import { resetProcessGlobals } from "../../../provider/registry.js";
import type { ProviderDeps } from "../../../provider/resources/common/deps.js";
import { UNKNOWN } from "../../../provider/resources/common/validation.js";
import { FlowProvider } from "../../../provider/resources/flow/provider.js";
import { PipelineProvider } from "../../../provider/resources/pipeline/provider.js";

/** Deps whose client counts every use: bad input must never reach EnOS. */
function countingDeps() {
  const counter = { clientUses: 0 };
  const deps: ProviderDeps = {
    client: () => {
      counter.clientUses += 1;
      throw new Error("check must not call EnOS");
    },
    clock: Date.now,
    sleep: () => Promise.resolve(),
    log: () => undefined,
  };
  return { deps, counter };
}

const goodPipeline = { pipelineId: "demo-pipeline-1", orgId: "o-demo" };
const goodCluster = {
  ...goodPipeline,
  executionMode: "CLUSTER",
  resourceConfig: { server: 1, yarn: { workerCount: 2, master: 1, slave: 2 } },
};

// [case, inputs, property Pulumi will highlight, words the message must contain]
const BAD_PIPELINE: [string, Record<string, unknown>, string, RegExp][] = [
  ["missing pipelineId", { orgId: "o-demo" }, "pipelineId", /required/],
  ["empty pipelineId", { ...goodPipeline, pipelineId: "" }, "pipelineId", /must not be empty/],
  ["numeric pipelineId", { ...goodPipeline, pipelineId: 42 }, "pipelineId", /must be a string/],
  ["pipelineId with a slash", { ...goodPipeline, pipelineId: "../admin" }, "pipelineId", /letters, digits/],
  [
    "pipelineId with a query",
    { ...goodPipeline, pipelineId: "p1?orgId=other" },
    "pipelineId",
    /letters, digits/,
  ],
  ["pipelineId with spaces", { ...goodPipeline, pipelineId: "p 1" }, "pipelineId", /letters, digits/],
  ["pipelineId with unicode", { ...goodPipeline, pipelineId: "管道-1" }, "pipelineId", /letters, digits/],
  [
    "pipelineId with CRLF injection",
    { ...goodPipeline, pipelineId: "p1\r\nX-Evil: 1" },
    "pipelineId",
    /letters, digits/,
  ],
  ["huge pipelineId", { ...goodPipeline, pipelineId: "p".repeat(10_000) }, "pipelineId", /at most 128/],
  ["empty orgId", { ...goodPipeline, orgId: "" }, "orgId", /must not be empty/],
  ["orgId with SQL", { ...goodPipeline, orgId: "o1' OR '1'='1" }, "orgId", /letters, digits/],
  [
    "desiredState lower case",
    { ...goodPipeline, desiredState: "running" },
    "desiredState",
    /"RUNNING", "PAUSED", "STOPPED"/,
  ],
  ["desiredState unknown", { ...goodPipeline, desiredState: "STARTED" }, "desiredState", /must be one of/],
  ["desiredState boolean", { ...goodPipeline, desiredState: true }, "desiredState", /must be one of/],
  [
    "executionMode unknown",
    { ...goodPipeline, executionMode: "YARN" },
    "executionMode",
    /"STANDALONE", "CLUSTER"/,
  ],
  ["kafkaRate zero", { ...goodPipeline, kafkaRate: 0 }, "kafkaRate", /at least 1/],
  ["kafkaRate negative", { ...goodPipeline, kafkaRate: -5 }, "kafkaRate", /at least 1/],
  ["kafkaRate fractional", { ...goodPipeline, kafkaRate: 10.5 }, "kafkaRate", /whole number/],
  ["kafkaRate string", { ...goodPipeline, kafkaRate: "1000" }, "kafkaRate", /must be a number/],
  ["kafkaRate absurd", { ...goodPipeline, kafkaRate: 1e12 }, "kafkaRate", /at most 10000000/],
  [
    "standalone with yarn",
    { ...goodPipeline, resourceConfig: { server: 1, yarn: { workerCount: 1, master: 1, slave: 1 } } },
    "resourceConfig",
    /CLUSTER/,
  ],
  [
    "standalone server zero",
    { ...goodPipeline, resourceConfig: { server: 0 } },
    "resourceConfig.server",
    /at least 1/,
  ],
  ["standalone bare number", { ...goodPipeline, resourceConfig: 2 }, "resourceConfig", /\{ server/],
  [
    "standalone unknown key",
    { ...goodPipeline, resourceConfig: { server: 1, cpu: 2 } },
    "resourceConfig",
    /cpu|unrecognized|Unrecognized/,
  ],
  [
    "cluster without resourceConfig",
    { ...goodPipeline, executionMode: "CLUSTER" },
    "resourceConfig",
    /required in CLUSTER/,
  ],
  [
    "cluster without yarn",
    { ...goodCluster, resourceConfig: { server: 1 } },
    "resourceConfig.yarn",
    /workerCount, master, slave/,
  ],
  [
    "cluster yarn workerCount zero",
    { ...goodCluster, resourceConfig: { server: 1, yarn: { workerCount: 0, master: 1, slave: 1 } } },
    "resourceConfig.yarn.workerCount",
    /at least 1/,
  ],
  [
    "cluster yarn missing slave",
    { ...goodCluster, resourceConfig: { server: 1, yarn: { workerCount: 1, master: 1 } } },
    "resourceConfig.yarn.slave",
    /number/,
  ],
  [
    "cluster advanced as list",
    {
      ...goodCluster,
      resourceConfig: { ...goodCluster.resourceConfig, advanced: [{ key: "a", value: "b" }] },
    },
    "resourceConfig.advanced",
    /./,
  ],
  [
    "cluster advanced non-string value",
    { ...goodCluster, resourceConfig: { ...goodCluster.resourceConfig, advanced: { "spark.x": true } } },
    "resourceConfig.advanced.spark.x",
    /strings/,
  ],
  [
    "cluster advanced bad key",
    { ...goodCluster, resourceConfig: { ...goodCluster.resourceConfig, advanced: { "spark x;rm": "1" } } },
    "resourceConfig.advanced",
    /keys must look like/,
  ],
  ["releaseTrigger number", { ...goodPipeline, releaseTrigger: 3 }, "releaseTrigger", /must be a string/],
  [
    "releaseTrigger huge",
    { ...goodPipeline, releaseTrigger: "x".repeat(1000) },
    "releaseTrigger",
    /at most 256/,
  ],
  [
    "offsetResetTrigger object",
    { ...goodPipeline, offsetResetTrigger: { at: 1 } },
    "offsetResetTrigger",
    /must be a string/,
  ],
  [
    "restartStrategy unknown",
    { ...goodPipeline, restartStrategy: "KILL" },
    "restartStrategy",
    /"PAUSE", "STOP"/,
  ],
  ["onDelete unknown", { ...goodPipeline, onDelete: "DELETE" }, "onDelete", /"STOP", "PAUSE", "KEEP"/],
  ["timeouts not an object", { ...goodPipeline, timeouts: "10m" }, "timeouts", /object such as/],
  [
    "timeouts bad duration",
    { ...goodPipeline, timeouts: { create: "ten minutes" } },
    "timeouts.create",
    /duration/,
  ],
  ["timeouts zero", { ...goodPipeline, timeouts: { update: "0s" } }, "timeouts.update", /longer than zero/],
  ["timeouts too long", { ...goodPipeline, timeouts: { delete: "48h" } }, "timeouts.delete", /at most 24h/],
  ["timeouts unknown key", { ...goodPipeline, timeouts: { read: "1m" } }, "timeouts", /read|nrecognized/],
  ["healthCheck not an object", { ...goodPipeline, healthCheck: "30s" }, "healthCheck", /{ stableFor: "30s"/],
  [
    "healthCheck without stableFor",
    { ...goodPipeline, healthCheck: {} },
    "healthCheck.stableFor",
    /duration/,
  ],
  [
    "stableFor too short",
    { ...goodPipeline, healthCheck: { stableFor: "500ms" } },
    "healthCheck.stableFor",
    /at least 1s/,
  ],
  [
    "stableFor too long",
    { ...goodPipeline, healthCheck: { stableFor: "2h" } },
    "healthCheck.stableFor",
    /at most 1h/,
  ],
  [
    "stableFor not a duration",
    { ...goodPipeline, healthCheck: { stableFor: "half a minute" } },
    "healthCheck.stableFor",
    /duration/,
  ],
  [
    "maxLag negative",
    { ...goodPipeline, healthCheck: { stableFor: "30s", maxLag: -1 } },
    "healthCheck.maxLag",
    /at least 0/,
  ],
  [
    "maxLag fractional",
    { ...goodPipeline, healthCheck: { stableFor: "30s", maxLag: 1.5 } },
    "healthCheck.maxLag",
    /whole number/,
  ],
  [
    "requireProgress as string",
    { ...goodPipeline, healthCheck: { stableFor: "30s", requireProgress: "yes" } },
    "healthCheck.requireProgress",
    /true or false/,
  ],
  [
    "healthCheck unknown key",
    { ...goodPipeline, healthCheck: { stableFor: "30s", maxlag: 5 } },
    "healthCheck",
    /maxlag|nrecognized/,
  ],
  [
    "stableFor longer than timeouts.update",
    { ...goodPipeline, healthCheck: { stableFor: "8m" }, timeouts: { update: "5m" } },
    "healthCheck.stableFor",
    /does not fit in timeouts.update \(5m\)/,
  ],
  [
    "stableFor as long as the default deadline",
    { ...goodPipeline, healthCheck: { stableFor: "1h" } },
    "healthCheck.stableFor",
    /does not fit in timeouts.create \(10m\)/,
  ],
  [
    "onUnhealthy unknown",
    { ...goodPipeline, onUnhealthy: "RESTART" },
    "onUnhealthy",
    /"KEEP", "PAUSE", "STOP"/,
  ],
  [
    "misspelt input",
    { ...goodPipeline, desiredstate: "RUNNING" },
    "desiredstate",
    /not an input of this resource/,
  ],
];

const goodFlow = { flowId: 3377, orgId: "o-demo", userId: "u-demo" };
const BAD_FLOW: [string, Record<string, unknown>, string, RegExp][] = [
  ["missing flowId", { orgId: "o-demo", userId: "u-demo" }, "flowId", /required/],
  ["flowId as string", { ...goodFlow, flowId: "3377" }, "flowId", /must be a number/],
  ["flowId fractional", { ...goodFlow, flowId: 33.7 }, "flowId", /whole number/],
  ["flowId negative", { ...goodFlow, flowId: -1 }, "flowId", /positive/],
  ["flowId overflow", { ...goodFlow, flowId: 2 ** 40 }, "flowId", /at most/],
  ["userId with injection", { ...goodFlow, userId: "u&orgId=x" }, "userId", /letters, digits/],
  ["missing userId", { flowId: 3377, orgId: "o-demo" }, "userId", /enos:userId/],
  ["enabled as string", { ...goodFlow, enabled: "yes" }, "enabled", /true .* or false/],
  ["onDelete unknown", { ...goodFlow, onDelete: "STOP" }, "onDelete", /"DISABLE", "KEEP", "RESTORE"/],
  ["misspelt input", { ...goodFlow, enable: true }, "enable", /not an input/],
];

afterEach(() => {
  resetProcessGlobals();
});

describe("EnosPipelineDeployment check", () => {
  it.each(BAD_PIPELINE)("rejects %s", async (_name, inputs, property, message) => {
    const { deps, counter } = countingDeps();
    const result = await new PipelineProvider(deps).check({}, inputs);
    const failure = result.failures?.find((f) => f.property === property);
    expect(failure, JSON.stringify(result.failures)).toBeDefined();
    expect(failure!.reason).toMatch(message);
    expect(failure!.reason.startsWith(property)).toBe(true);
    expect(failure!.reason.length).toBeLessThan(400);
    expect(counter.clientUses).toBe(0);
  });

  it('reports "10 minutes" once, as a format failure, with the fix stated once', async () => {
    const { deps, counter } = countingDeps();
    const inputs = { ...goodPipeline, timeouts: { create: "10 minutes" } };
    const result = await new PipelineProvider(deps).check({}, inputs);
    const reasons = (result.failures ?? []).map((f) => f.reason);
    expect(reasons).toEqual([
      'timeouts.create: must be a duration such as "10m", "90s" or "1h30m" (a number followed by h, m, s or ms, no spaces)',
    ]);
    expect(counter.clientUses).toBe(0);
  });

  it("resolves defaults for a minimal program", async () => {
    const { deps } = countingDeps();
    const result = await new PipelineProvider(deps).check({}, { pipelineId: "p1", orgId: "o1" });
    expect(result.failures).toEqual([]);
    expect(result.inputs).toEqual({
      pipelineId: "p1",
      orgId: "o1",
      desiredState: "RUNNING",
      executionMode: "STANDALONE",
      kafkaRate: 1000,
      resourceConfig: { server: 1 },
      restartStrategy: "PAUSE",
      onDelete: "STOP",
      timeouts: { create: "10m", update: "10m", delete: "10m" },
    });
  });

  it("lets values unknown during preview through without judging them", async () => {
    const { deps } = countingDeps();
    const result = await new PipelineProvider(deps).check(
      {},
      { pipelineId: UNKNOWN, orgId: "o1", kafkaRate: UNKNOWN, resourceConfig: { server: UNKNOWN } },
    );
    expect(result.failures).toEqual([]);
    expect(result.inputs?.pipelineId).toBe(UNKNOWN);
    expect(result.inputs?.kafkaRate).toBe(UNKNOWN);
  });

  it("takes orgId from stack config when the resource names none", async () => {
    const { deps } = countingDeps();
    rememberStackConfig((key) => (key === "enos:orgId" ? "o-from-config" : undefined));
    const result = await new PipelineProvider(deps).check({}, { pipelineId: "p1" });
    expect(result.failures).toEqual([]);
    expect(result.inputs?.orgId).toBe("o-from-config");
  });

  it("resolves healthCheck defaults, and onUnhealthy only beside a healthCheck", async () => {
    const { deps } = countingDeps();
    const provider = new PipelineProvider(deps);
    const gated = await provider.check({}, { ...goodPipeline, healthCheck: { stableFor: "30s" } });
    expect(gated.failures).toEqual([]);
    expect(gated.inputs).toMatchObject({
      healthCheck: { stableFor: "30s", requireProgress: true },
      onUnhealthy: "KEEP",
    });
    const plain = await provider.check({}, goodPipeline);
    expect(plain.inputs).not.toHaveProperty("onUnhealthy");
    expect(plain.inputs).not.toHaveProperty("healthCheck");
  });

  it("refuses a malformed enos:haltRolloutOnUnhealthy beside a healthCheck, naming the key and the fix", async () => {
    const { deps, counter } = countingDeps();
    rememberStackConfig((key) => (key === "enos:haltRolloutOnUnhealthy" ? "yes" : undefined));
    const result = await new PipelineProvider(deps).check(
      {},
      { ...goodPipeline, healthCheck: { stableFor: "30s" } },
    );
    expect(result.failures?.[0]?.reason).toMatch(
      /^healthCheck: stack config enos:haltRolloutOnUnhealthy \(or ENOS_HALT_ROLLOUT_ON_UNHEALTHY\) must be true or false \(got "yes"\): run `pulumi config set enos:haltRolloutOnUnhealthy false`/,
    );
    expect(counter.clientUses).toBe(0);
  });

  it("takes orgId from stack config only: ENOS_ORG_ID on this machine never reaches the inputs", async () => {
    const { deps, counter } = countingDeps();
    const saved = process.env.ENOS_ORG_ID;
    process.env.ENOS_ORG_ID = "o-this-machine";
    try {
      rememberStackConfig(() => undefined);
      const missing = await new PipelineProvider(deps).check({}, { pipelineId: "p1" });
      expect(missing.failures?.[0]?.reason).toMatch(
        /orgId: required: .*pulumi config set enos:orgId .*ENOS_ORG_ID environment variable is not a resource default/,
      );
      rememberStackConfig((key) => (key === "enos:orgId" ? "o-stack" : undefined));
      const fromStack = await new PipelineProvider(deps).check({}, { pipelineId: "p1" });
      expect(fromStack.failures).toEqual([]);
      expect(fromStack.inputs).toMatchObject({ orgId: "o-stack" });
      expect(counter.clientUses).toBe(0);
    } finally {
      rememberStackConfig(() => undefined);
      if (saved === undefined) delete process.env.ENOS_ORG_ID;
      else process.env.ENOS_ORG_ID = saved;
    }
  });
});

describe("EnosFlowSchedule check", () => {
  it.each(BAD_FLOW)("rejects %s", async (_name, inputs, property, message) => {
    const { deps, counter } = countingDeps();
    const saved = process.env.ENOS_USER_ID;
    delete process.env.ENOS_USER_ID;
    try {
      const result = await new FlowProvider(deps).check({}, inputs);
      const failure = result.failures?.find((f) => f.property === property);
      expect(failure, JSON.stringify(result.failures)).toBeDefined();
      expect(failure!.reason).toMatch(message);
      expect(counter.clientUses).toBe(0);
    } finally {
      if (saved !== undefined) process.env.ENOS_USER_ID = saved;
    }
  });

  it("resolves defaults", async () => {
    const { deps } = countingDeps();
    const result = await new FlowProvider(deps).check({}, goodFlow);
    expect(result.failures).toEqual([]);
    expect(result.inputs).toEqual({ ...goodFlow, enabled: true, onDelete: "DISABLE" });
  });
});

describe("provider settings", () => {
  const empty = {} as NodeJS.ProcessEnv;
  it("names every missing key with the command that sets it", () => {
    rememberStackConfig(() => undefined);
    const error = (() => {
      try {
        requireSettings(empty);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(EnosConfigError.isInstance(error)).toBe(true);
    const text = (error as Error).message;
    expect(text).toContain("pulumi config set enos:apiGateway");
    expect(text).toContain("pulumi config set enos:accessKey");
    expect(text).toContain("pulumi config set --secret enos:secretKey");
    expect(text).toContain("ENOS_SECRET_KEY");
  });

  it.each(["ftp://gw", "not a url", "javascript:alert(1)"])("rejects apiGateway %j", (gateway) => {
    rememberStackConfig(
      (key) =>
        ({ "enos:apiGateway": gateway, "enos:accessKey": "ak", "enos:secretKey": "sk-very-secret" })[key],
    );
    expect(() => requireSettings(empty)).toThrow(/enos:apiGateway must be an http\(s\) URL/);
    try {
      requireSettings(empty);
    } catch (e) {
      expect(String(e)).not.toContain("sk-very-secret");
    }
  });

  it("prefers stack config over the environment and trims a trailing slash", () => {
    rememberStackConfig(
      (key) =>
        ({ "enos:apiGateway": "http://127.0.0.1:9/", "enos:accessKey": "ak", "enos:secretKey": "sk" })[key],
    );
    const settings = requireSettings({
      ENOS_API_GATEWAY: "http://other",
      ENOS_ORG_ID: "o-env",
    });
    expect(settings.apiGateway).toBe("http://127.0.0.1:9");
    expect(settings.orgId).toBe("o-env");
  });
});
