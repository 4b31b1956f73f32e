// Bad input never reaches EnOS. Malformed resource inputs go through a real program and the provider host's
// Check; malformed stack config goes through the program's config validation or the provider's settings. Every
// row is rejected with a message that names the field, and the simulator's request log stays empty: not even a
// token is requested. The resource rows share one `up`: the engine stops at the first resource whose Check fails
// (so that `up` reports one), and every row is then put to the same Check RPC of a provider host with the inputs
// the program registered for it (each bad resource is its own URN, so every failure stays attributable); the
// stack-config rows need a stack each and run a few at a time.
import { beforeAll, describe, expect, it } from "vitest";
import { FlowProvider } from "../../provider/resources/flow/provider.js";
import { PipelineProvider } from "../../provider/resources/pipeline/provider.js";
import type { ProviderDeps } from "../../provider/resources/common/deps.js";
import type { VerbResult } from "../host/engine.js";
import { ProviderHost, type CheckResult } from "../host/host.js";
import { credentials, environment, PROGRAM, useSuite } from "./support.js";

const suite = useSuite();

// An inline program that declares each resource exactly as given (no program-level validation), so every value
// reaches the provider's Check. (NaN and Infinity cannot be rows: the harness records registrations as JSON,
// which turns them into null; they are checked in-process at the end of this file.)
const DECLARE_ALL = {
  name: "bad-inputs",
  source: `
const pulumi = require("@pulumi/pulumi");
const { EnosPipelineDeployment, EnosFlowSchedule } = require("pulumi-enos");
const rows = JSON.parse(new pulumi.Config("reliability").require("resources"));
for (const { kind, name, args } of rows) {
  if (kind === "pipeline") new EnosPipelineDeployment(name, args);
  else new EnosFlowSchedule(name, args);
}
`,
};

const P = { pipelineId: "demo-pipeline-1" };
const CLUSTER = { ...P, executionMode: "CLUSTER" };
const YARN = { workerCount: 2, master: 1, slave: 2 };
const F = { flowId: 3377 };

// [row, inputs, property the failure names, what the message says]
type Row = [string, Record<string, unknown>, string, RegExp];

const PIPELINE_ROWS: Row[] = [
  ["pipelineId missing", {}, "pipelineId", /required/],
  ["pipelineId empty", { pipelineId: "" }, "pipelineId", /must not be empty/],
  ["pipelineId a number", { pipelineId: 42 }, "pipelineId", /must be a string/],
  ["pipelineId a list", { pipelineId: ["demo-pipeline-1"] }, "pipelineId", /must be a string/],
  ["pipelineId path traversal", { pipelineId: "../../__sim/reset" }, "pipelineId", /letters, digits/],
  ["pipelineId with a query", { pipelineId: "p1?orgId=o-other" }, "pipelineId", /letters, digits/],
  ["pipelineId with a fragment", { pipelineId: "p1#x" }, "pipelineId", /letters, digits/],
  ["pipelineId percent-encoded slash", { pipelineId: "p1%2F..%2Fx" }, "pipelineId", /letters, digits/],
  ["pipelineId CRLF header injection", { pipelineId: "p1\r\nX-Evil: 1" }, "pipelineId", /letters, digits/],
  ["pipelineId shell injection", { pipelineId: "p1; rm -rf /" }, "pipelineId", /letters, digits/],
  ["pipelineId markup", { pipelineId: "<script>alert(1)</script>" }, "pipelineId", /letters, digits/],
  ["pipelineId unicode", { pipelineId: "管道-1" }, "pipelineId", /letters, digits/],
  ["pipelineId bidi override", { pipelineId: "p1\u202Egnp" }, "pipelineId", /letters, digits/],
  ["pipelineId NUL byte", { pipelineId: "p1\u0000" }, "pipelineId", /letters, digits/],
  ["pipelineId leading dash", { pipelineId: "-p1" }, "pipelineId", /starting with a letter or digit/],
  ["pipelineId leading dot", { pipelineId: ".p1" }, "pipelineId", /starting with a letter or digit/],
  ["pipelineId huge (100 000 chars)", { pipelineId: "p".repeat(100_000) }, "pipelineId", /at most 128/],
  ["orgId empty", { ...P, orgId: "" }, "orgId", /must not be empty/],
  ["orgId SQL-looking", { ...P, orgId: "o-demo' OR '1'='1" }, "orgId", /letters, digits/],
  ["orgId path traversal", { ...P, orgId: "o-demo/../o-other" }, "orgId", /letters, digits/],
  ["orgId a number", { ...P, orgId: 7 }, "orgId", /must be a string/],
  [
    "desiredState lower case",
    { ...P, desiredState: "running" },
    "desiredState",
    /"RUNNING", "PAUSED", "STOPPED"/,
  ],
  ["desiredState unknown", { ...P, desiredState: "DELETED" }, "desiredState", /must be one of/],
  ["desiredState a number", { ...P, desiredState: 1 }, "desiredState", /must be one of/],
  ["executionMode unknown", { ...P, executionMode: "YARN" }, "executionMode", /"STANDALONE", "CLUSTER"/],
  ["executionMode lower case", { ...P, executionMode: "standalone" }, "executionMode", /must be one of/],
  ["kafkaRate zero", { ...P, kafkaRate: 0 }, "kafkaRate", /at least 1/],
  ["kafkaRate negative", { ...P, kafkaRate: -1 }, "kafkaRate", /at least 1/],
  ["kafkaRate fractional", { ...P, kafkaRate: 1.5 }, "kafkaRate", /whole number/],
  ["kafkaRate a string", { ...P, kafkaRate: "1000" }, "kafkaRate", /must be a number/],
  ["kafkaRate absurd", { ...P, kafkaRate: 1e12 }, "kafkaRate", /at most 10000000/],
  ["kafkaRate a boolean", { ...P, kafkaRate: true }, "kafkaRate", /must be a number/],
  ["kafkaRate an object", { ...P, kafkaRate: { value: 1000 } }, "kafkaRate", /must be a number/],
  [
    "STANDALONE resourceConfig with yarn",
    { ...P, resourceConfig: { server: 1, yarn: YARN } },
    "resourceConfig",
    /yarn and advanced are for executionMode "CLUSTER"/,
  ],
  [
    "resourceConfig server zero",
    { ...P, resourceConfig: { server: 0 } },
    "resourceConfig.server",
    /at least 1/,
  ],
  [
    "resourceConfig server a string",
    { ...P, resourceConfig: { server: "2" } },
    "resourceConfig.server",
    /must be a number/,
  ],
  ["resourceConfig a bare number", { ...P, resourceConfig: 2 }, "resourceConfig", /must be an object/],
  ["resourceConfig a list", { ...P, resourceConfig: [1] }, "resourceConfig", /must be an object/],
  ["resourceConfig unknown key", { ...P, resourceConfig: { server: 1, cpu: 2 } }, "resourceConfig", /cpu/],
  ["CLUSTER without resourceConfig", CLUSTER, "resourceConfig", /required in CLUSTER mode/],
  [
    "CLUSTER without yarn",
    { ...CLUSTER, resourceConfig: { server: 1 } },
    "resourceConfig.yarn",
    /CLUSTER mode needs yarn/,
  ],
  [
    "CLUSTER yarn.master zero",
    { ...CLUSTER, resourceConfig: { server: 1, yarn: { ...YARN, master: 0 } } },
    "resourceConfig.yarn.master",
    /at least 1/,
  ],
  [
    "CLUSTER yarn.workerCount too large",
    { ...CLUSTER, resourceConfig: { server: 1, yarn: { ...YARN, workerCount: 5000 } } },
    "resourceConfig.yarn.workerCount",
    /at most 1024/,
  ],
  [
    "CLUSTER advanced value not a string",
    { ...CLUSTER, resourceConfig: { server: 1, yarn: YARN, advanced: { "spark.x": true } } },
    "resourceConfig.advanced.spark.x",
    /values must be strings/,
  ],
  [
    "CLUSTER advanced key injection",
    { ...CLUSTER, resourceConfig: { server: 1, yarn: YARN, advanced: { "x;rm -rf /": "1" } } },
    "resourceConfig.advanced",
    /keys must look like/,
  ],
  ["releaseTrigger a number", { ...P, releaseTrigger: 2 }, "releaseTrigger", /must be a string/],
  ["releaseTrigger huge", { ...P, releaseTrigger: "x".repeat(300) }, "releaseTrigger", /at most 256/],
  [
    "offsetResetTrigger an object",
    { ...P, offsetResetTrigger: {} },
    "offsetResetTrigger",
    /must be a string/,
  ],
  ["restartStrategy unknown", { ...P, restartStrategy: "KILL" }, "restartStrategy", /"PAUSE", "STOP"/],
  ["onDelete unknown", { ...P, onDelete: "DELETE" }, "onDelete", /"STOP", "PAUSE", "KEEP"/],
  ["timeouts a string", { ...P, timeouts: "10m" }, "timeouts", /must be an object/],
  ["timeouts zero", { ...P, timeouts: { create: "0s" } }, "timeouts.create", /longer than zero/],
  ["timeouts over 24h", { ...P, timeouts: { update: "25h" } }, "timeouts.update", /at most 24h/],
  ["timeouts in words", { ...P, timeouts: { delete: "10 minutes" } }, "timeouts.delete", /duration/],
  ["timeouts a number", { ...P, timeouts: { create: 600 } }, "timeouts.create", /duration string/],
  ["timeouts unknown key", { ...P, timeouts: { destroy: "5m" } }, "timeouts", /destroy/],
  ["misspelt input", { ...P, desiredstate: "RUNNING" }, "desiredstate", /not an input of this resource/],
  ["credential as an input", { ...P, secretKey: "x" }, "secretKey", /not an input of this resource/],
];

const FLOW_ROWS: Row[] = [
  ["flowId missing", {}, "flowId", /required/],
  ["flowId a string", { flowId: "3377" }, "flowId", /must be a number/],
  ["flowId zero", { flowId: 0 }, "flowId", /positive flow ID/],
  ["flowId negative", { flowId: -5 }, "flowId", /positive flow ID/],
  ["flowId fractional", { flowId: 1.5 }, "flowId", /whole number/],
  ["flowId beyond int32", { flowId: 2_147_483_648 }, "flowId", /at most 2147483647/],
  ["userId empty", { ...F, userId: "" }, "userId", /must not be empty/],
  ["userId with a space", { ...F, userId: "u demo" }, "userId", /letters, digits/],
  ["userId unicode", { ...F, userId: "ü-用户" }, "userId", /letters, digits/],
  ["orgId query injection", { ...F, orgId: "o-demo&userId=admin" }, "orgId", /letters, digits/],
  ["enabled a string", { ...F, enabled: "true" }, "enabled", /true .* or false/],
  ["enabled a number", { ...F, enabled: 1 }, "enabled", /true .* or false/],
  ["onDelete unknown", { ...F, onDelete: "STOP" }, "onDelete", /"DISABLE", "KEEP", "RESTORE"/],
  ["misspelt input", { ...F, enable: true }, "enable", /not an input of this resource/],
];

const ROWS = [
  ...PIPELINE_ROWS.map((row, i) => ({ kind: "pipeline", name: `pipeline-${i}`, row })),
  ...FLOW_ROWS.map((row, i) => ({ kind: "flow", name: `flow-${i}`, row })),
];

describe(`bad resource inputs: ${ROWS.length} rows, rejected by Check in the provider host`, () => {
  let result: VerbResult;
  /** Each registered resource's own Check, by resource name. */
  const checks = new Map<string, CheckResult>();
  let calls: number;
  let stateSize: number;

  beforeAll(async () => {
    const { sim } = suite;
    await sim.admin.reset();
    const stack = suite.stack({
      "reliability:resources": JSON.stringify(
        ROWS.map(({ kind, name, row }) => ({ kind, name, args: row[1] })),
      ),
    });
    result = await stack.up(DECLARE_ALL);
    const host = await ProviderHost.start({
      env: { PULUMI_CONFIG: JSON.stringify(stack.getConfig()) },
    });
    try {
      await host.configure(stack.getConfig());
      for (const r of result.resources.filter((resource) => resource.custom)) {
        checks.set(r.name, await host.check(r.urn, {}, r.inputs));
      }
    } finally {
      await host.close();
    }
    calls = (await sim.admin.requests()).length;
    stateSize = stack.state().resources.length;
  });

  it("every resource is rejected, nothing is created, and EnOS sees no request at all", () => {
    expect(PIPELINE_ROWS.length + FLOW_ROWS.length).toBeGreaterThanOrEqual(40);
    // The up stops at the first registered resource's check errors, as the engine does.
    expect(result.errors.map((e) => [e.phase, e.urn?.split("::").pop()])).toEqual([["check", ROWS[0]!.name]]);
    expect(result.resources.filter((r) => r.custom)).toHaveLength(ROWS.length);
    expect([...checks.values()].filter((c) => c.failures.length > 0)).toHaveLength(ROWS.length);
    expect(result.steps).toEqual([]);
    expect(stateSize).toBe(0);
    expect(calls).toBe(0);
  });

  it.each(ROWS.map(({ kind, name, row }) => [`${kind}: ${row[0]}`, name, row[2], row[3]] as const))(
    "%s",
    (_row, name, property, message) => {
      const failures = checks.get(name)?.failures;
      const failure = failures?.find((f) => f.property === property);
      expect(failure, `${name}: ${JSON.stringify(failures)}`).toBeDefined();
      // The message names the field, says what is wrong, and never echoes a huge value back.
      expect(failure!.reason.startsWith(`${property}:`)).toBe(true);
      expect(failure!.reason).toMatch(message);
      expect(failure!.reason.length).toBeLessThan(400);
    },
  );
});

describe("bad stack config: rejected by the program's config validation or the provider's settings", () => {
  const ONE_PIPELINE = environment([{ name: "ingest", pipelineId: "demo-pipeline-1" }]);
  // [row, stack config (merged over the simulator's credentials; null removes a key), host env, expected text]
  type ConfigRow = [string, Record<string, string | null>, Record<string, string>, RegExp[]];
  const ONE_FLOW = environment([], [{ name: "nightly", flowId: 3377 }]);
  const CONFIG_ROWS: ConfigRow[] = [
    [
      "enos:apiGateway not a URL",
      { ...ONE_PIPELINE, "enos:apiGateway": "not a url" },
      {},
      [/enos:apiGateway must be an http\(s\) URL .*got "not a url"/],
    ],
    [
      "enos:apiGateway with credentials in it",
      { ...ONE_PIPELINE, "enos:apiGateway": "@CREDENTIALS@" },
      {},
      [/enos:apiGateway must not contain credentials/],
    ],
    [
      "enos:apiGateway with a query",
      { ...ONE_PIPELINE, "enos:apiGateway": "@QUERY@" },
      {},
      [/enos:apiGateway must not contain a query or fragment/],
    ],
    [
      "enos:accessKey empty and enos:secretKey missing",
      { ...ONE_PIPELINE, "enos:accessKey": "", "enos:secretKey": null },
      {},
      [/enos:accessKey is not set/, /pulumi config set --secret enos:secretKey/],
    ],
    // One bad default per stack: the engine stops at the first resource whose Check fails.
    [
      "enos:orgId malformed (it reaches the pipelines as an input)",
      { ...ONE_PIPELINE, "enos:orgId": "o-demo?x=1" },
      {},
      [/ingest has check errors: orgId: orgId: may contain only letters/],
    ],
    [
      "enos:userId malformed (it reaches the flows as an input)",
      { ...ONE_FLOW, "enos:userId": "u demo" },
      {},
      [/nightly has check errors: userId: userId: may contain only letters/],
    ],
    [
      "ENOS_ORG_ID in the provider's environment is not a resource default (inputs never depend on the machine)",
      { ...ONE_PIPELINE, "enos:orgId": null },
      { ENOS_ORG_ID: "o-demo" },
      [
        /ingest has check errors: orgId: orgId: required: set it on the resource or run `pulumi config set enos:orgId <org id>` \(the ENOS_ORG_ID environment variable is not a resource default/,
      ],
    ],
    [
      "ENOS_USER_ID in the provider's environment is not a resource default",
      { ...ONE_FLOW, "enos:userId": null },
      { ENOS_USER_ID: "u-demo" },
      [
        /nightly has check errors: userId: userId: required: .*ENOS_USER_ID environment variable is not a resource default/,
      ],
    ],
    [
      "pulumi-enos:pipelines not JSON",
      { "pulumi-enos:pipelines": "[{name: ingest" },
      {},
      [/pulumi-enos:pipelines/],
    ],
    [
      "pulumi-enos:pipelines not a list; flows with a bad name, a misspelt key and no name",
      {
        "pulumi-enos:pipelines": JSON.stringify({ name: "ingest", pipelineId: "demo-pipeline-1" }),
        "pulumi-enos:flows": JSON.stringify([
          { name: "Nightly Batch", flowId: 3377 },
          { name: "hourly", flowId: 3378, enable: true },
          { flowId: 3379 },
          { name: "dup", flowId: 3377 },
          { name: "dup", flowId: 3378 },
        ]),
      },
      {},
      [
        /pulumi-enos:pipelines: must be a list of pipelines/,
        /pulumi-enos:flows\[0\]\.name: must be lower-case/,
        /pulumi-enos:flows\[1\]\.enable: not an input/,
        /pulumi-enos:flows\[2\]\.name: must be a string/,
      ],
    ],
    [
      "duplicate resource names",
      {
        "pulumi-enos:pipelines": JSON.stringify([
          { name: "dup", pipelineId: "demo-pipeline-1" },
          { name: "dup", pipelineId: "demo-pipeline-2" },
        ]),
      },
      {},
      [/pulumi-enos:pipelines\[1\]\.name: "dup" is used twice/],
    ],
  ];

  it(`${CONFIG_ROWS.length} stacks, 15 bad values: each rejected naming the key, with no EnOS call`, async () => {
    const { sim } = suite;
    const base = credentials(sim);
    const resolve = (value: string): string =>
      value === "@CREDENTIALS@"
        ? sim.url.replace("http://", "http://someone:hunter2@")
        : value === "@QUERY@"
          ? `${sim.url}/?orgId=o-other`
          : value;
    const results: VerbResult[] = [];
    // A few stacks at a time: each needs its own config, so its own program run and host.
    for (let i = 0; i < CONFIG_ROWS.length; i += 5) {
      results.push(
        ...(await Promise.all(
          CONFIG_ROWS.slice(i, i + 5).map(([, overrides, hostEnv]) => {
            const config: Record<string, string> = { ...base };
            for (const [key, value] of Object.entries(overrides)) {
              if (value === null) Reflect.deleteProperty(config, key);
              else config[key] = resolve(value);
            }
            return suite.stack({}, { config, hostEnv }).up(PROGRAM);
          }),
        )),
      );
    }
    CONFIG_ROWS.forEach(([row, , , expected], index) => {
      const result = results[index]!;
      const text = result.errors.map((e) => e.message).join("\n");
      expect(result.errors.length, row).toBeGreaterThan(0);
      for (const pattern of expected) expect(text, row).toMatch(pattern);
      expect(
        result.steps.filter((s) => s.ok),
        row,
      ).toEqual([]);
      expect(text, row).not.toContain("hunter2");
    });
    expect(await sim.admin.requests()).toEqual([]);
  });
});

describe("numbers JSON cannot carry (in-process check: the harness records registrations as JSON)", () => {
  const deps: ProviderDeps = {
    client: () => {
      throw new Error("check must not call EnOS");
    },
    clock: Date.now,
    sleep: () => Promise.resolve(),
    log: () => undefined,
  };

  it.each([
    ["kafkaRate NaN", { kafkaRate: Number.NaN }, "kafkaRate"],
    ["kafkaRate Infinity", { kafkaRate: Number.POSITIVE_INFINITY }, "kafkaRate"],
    [
      "resourceConfig.server -Infinity",
      { resourceConfig: { server: Number.NEGATIVE_INFINITY } },
      "resourceConfig.server",
    ],
  ])("pipeline %s is rejected", async (_row, inputs, property) => {
    const result = await new PipelineProvider(deps).check({}, { ...P, orgId: "o-demo", ...inputs });
    expect(result.failures?.map((f) => f.property)).toContain(property);
  });

  it("flowId NaN is rejected", async () => {
    const result = await new FlowProvider(deps).check(
      {},
      { flowId: Number.NaN, orgId: "o-demo", userId: "u" },
    );
    expect(result.failures?.map((f) => f.property)).toEqual(["flowId"]);
  });
});
