// No secret escapes: everything a stack's runs produce — every `__provider`, the state file, host logs, error
// messages, program logs, diffs — and everything the simulator recorded of what the client sent is scanned for
// the secret key and every access token the runs used. Then: ids from input never reach a URL unescaped.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EnosApiError, EnosClient } from "../../provider/client/index.js";
import { resetProcessGlobals } from "../../provider/registry.js";
import { defaultSeed, type RunningSimulator, type Seed } from "../../simulator/index.js";
import type { Engine, VerbResult } from "../host/engine.js";
import {
  callsSince,
  environment,
  errorText,
  expectOk,
  ORG,
  P1,
  P2,
  PROGRAM,
  until,
  useSuite,
} from "./support.js";

const ACCESS = "rel-access-key";
const SECRET = "S3cr3t-rel1ab1l1ty-K3y-9f2c71e0";
const WRONG_SECRET = "Wr0ng-S3cr3t-d41d8cd98f00b204";
const SEED: Seed = {
  ...defaultSeed,
  apps: [...(defaultSeed.apps ?? []), { accessKey: ACCESS, secretKey: SECRET, orgId: ORG }],
};
const suite = useSuite(SEED);

/** The token the simulator hands these credentials now (the same one a client already holds, until expiry). */
async function currentToken(sim: RunningSimulator): Promise<string> {
  const timestamp = Date.now();
  const encryption = createHash("sha256").update(`${ACCESS}${timestamp}${SECRET}`).digest("hex");
  const res = await fetch(`${sim.url}/apim-token-service/v2.0/token/get`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ appKey: ACCESS, encryption, timestamp }),
  });
  const body = (await res.json()) as { data: { accessToken: string } };
  return body.data.accessToken;
}

/** Everything a verb produced that a user or a log collector could see. */
function producedBy(result: VerbResult, engine: Engine): string[] {
  return [
    ...result.resources.map((r) => String(r.inputs.__provider)),
    JSON.stringify(result.resources),
    JSON.stringify(engine.state()),
    ...result.logs,
    ...result.programLogs,
    errorText(result),
    JSON.stringify(result.errors),
    JSON.stringify(result.diffs),
    JSON.stringify(result.steps),
  ];
}

describe("secrets", () => {
  it("neither the secret key nor any access token appears in anything a run produces or sends", async () => {
    const { sim } = suite;
    await sim.admin.setConfig({ delays: { start: 150, pause: 30, stop: 30, release: 30 } });
    const tokens = [await currentToken(sim)];
    const stack = suite.stack(
      {
        ...environment(
          [
            { name: "p1", pipelineId: P1 },
            { name: "p2", pipelineId: P2 },
          ],
          [{ name: "nightly", flowId: 3377 }],
        ),
        "enos:accessKey": ACCESS,
        "enos:secretKey": SECRET,
      },
      {},
    );
    const corpus: string[] = [];
    const keep = (result: VerbResult): VerbResult => {
      corpus.push(...producedBy(result, stack));
      return result;
    };

    // 1. A rollout during which every token expires: 1203, a new token, the rollout goes on. The starts are held
    // in STARTING until the tokens have expired, so the expiry certainly lands mid-rollout.
    for (const id of [P1, P2]) await sim.admin.holdTransitions(id);
    const rollout = stack.up(PROGRAM);
    await until(
      async () =>
        (await sim.admin.pipeline(P1)).status === "STARTING" ||
        (await sim.admin.pipeline(P2)).status === "STARTING",
    );
    await sim.admin.expireTokens();
    for (const id of [P1, P2]) await sim.admin.proceed(id);
    expectOk(keep(await rollout));
    tokens.push(await currentToken(sim));
    expect(tokens[1]).not.toBe(tokens[0]);
    expect((await callsSince(sim)).some((c) => c.code === 1203)).toBe(true);

    // 2. A failing update (61126: errors with requestIds), a refresh after drift, a preview, a destroy.
    await sim.admin.setQuotas(ORG, { standalone: 1 });
    await sim.admin.setPipelineStatus(P1, "STOPPED");
    keep(await stack.refresh());
    const failed = keep(
      await stack.up(PROGRAM, {
        config: environment(
          [
            { name: "p1", pipelineId: P1, resourceConfig: { server: 4 } },
            { name: "p2", pipelineId: P2 },
          ],
          [{ name: "nightly", flowId: 3377 }],
        ),
      }),
    );
    expect(errorText(failed)).toMatch(/61126/);
    keep(await stack.preview(PROGRAM));
    await sim.admin.setQuotas(ORG, { standalone: 32 });
    expectOk(keep(await stack.destroy()));
    tokens.push(await currentToken(sim));

    // 3. A stack with the wrong secret key: the token service refuses it (1003); the key is not echoed.
    const wrong = suite.stack({
      ...environment([{ name: "p1", pipelineId: P1 }]),
      "enos:accessKey": ACCESS,
      "enos:secretKey": WRONG_SECRET,
    });
    const refused = await wrong.up(PROGRAM);
    corpus.push(...producedBy(refused, wrong));
    expect(errorText(refused)).toMatch(
      /EnOS 1003 .*check that enos:secretKey and enos:accessKey are the keys of the same application/,
    );

    // What the simulator saw of the client (bodies, queries, paths) and its own state.
    corpus.push(JSON.stringify(await sim.admin.requests()), JSON.stringify(await sim.admin.state()));

    const text = corpus.join("\n");
    expect(text.length).toBeGreaterThan(10_000);
    expect(text).toContain(P1); // the scan sees real content
    for (const [what, value] of [
      ["secret key", SECRET],
      ["wrong secret key", WRONG_SECRET],
      ...tokens.map((t, i) => [`access token ${i + 1}`, t] as const),
    ] as const) {
      expect(value.length, what).toBeGreaterThan(8);
      expect(text.includes(value), `${what} found in the run's output`).toBe(false);
    }
    // The signature of a token request is derived from the secret; it is not recorded either.
    expect(text).not.toMatch(/"encryption":"[0-9a-f]{64}"/);
  });
});

describe("ids from input are escaped on the wire (client level: check allows only [A-Za-z0-9._-])", () => {
  function client(): EnosClient {
    resetProcessGlobals();
    return new EnosClient({ apiGateway: suite.sim.url, accessKey: ACCESS, secretKey: SECRET });
  }
  const ODD = "a/b c?d#e&orgId=o-other%2F..;x";

  it("a pipeline id stays one path segment and cannot add a query, a fragment or a path", async () => {
    const { sim } = suite;
    const enos = client();
    for (const id of [ODD, "../../__sim/reset", "p1\r\nX-Evil: 1"]) {
      const error = await enos.getPipeline(ORG, id).catch((e: unknown) => e);
      expect(EnosApiError.isInstance(error) && error.code, id).toBe(61108);
    }
    // A dot segment would be resolved away by URL normalisation (even as %2E): refused before sending.
    for (const id of ["..", "."]) {
      await expect(enos.getPipeline(ORG, id)).rejects.toThrow(/must not be "\." or "\.\."/);
      await expect(enos.stopPipeline(ORG, id)).rejects.toThrow(TypeError);
    }
    await expect(
      enos.startPipeline(ORG, ODD, { executionMode: 0, kafkaRate: 1, resourceConfig: { server: 1 } }),
    ).rejects.toMatchObject({ code: 61108 });
    const calls = (await callsSince(sim)).filter((c) => c.endpoint !== "tokenGet");
    expect(calls.map((c) => c.path)).toEqual([
      `/streaming/v2.0/streaming/pipeline/${encodeURIComponent(ODD)}`,
      "/streaming/v2.0/streaming/pipeline/..%2F..%2F__sim%2Freset",
      "/streaming/v2.0/streaming/pipeline/p1%0D%0AX-Evil%3A%201",
      `/streaming/v2.0/streaming/pipeline/${encodeURIComponent(ODD)}`,
    ]);
    expect(calls.map((c) => c.pipelineId)).toEqual([ODD, "../../__sim/reset", "p1\r\nX-Evil: 1", ODD]);
    expect(
      calls.every(
        (c) =>
          JSON.stringify(c.query) ===
          JSON.stringify(
            c.endpoint === "getPipeline"
              ? { ifReleased: "false", orgId: ORG }
              : { action: "start", orgId: ORG },
          ),
      ),
    ).toBe(true);
    // The admin API was never reached: the world is still there.
    expect((await sim.admin.pipeline(P1)).status).toBe("PUBLISHED");
    resetProcessGlobals();
  });

  it("org and user ids stay query values: no added parameter, no changed action", async () => {
    const { sim } = suite;
    const enos = client();
    const org = "o-demo&pipelineId=x&action=stop";
    const user = "u-demo&action=enable";
    await expect(enos.listPipelines(org)).rejects.toMatchObject({ code: 99403 });
    await expect(enos.getFlow(ORG, user, 3377)).rejects.toMatchObject({ code: 62101 });
    const calls = (await callsSince(sim)).filter((c) => c.endpoint !== "tokenGet");
    expect(calls.map((c) => c.endpoint)).toEqual(["listPipelines", "getFlow"]);
    expect(calls[0]?.query.orgId).toBe(org);
    expect(calls[1]?.query).toMatchObject({ action: "get", userId: user, orgId: ORG, flowId: "3377" });
    expect(calls.some((c) => c.mutation)).toBe(false);
    resetProcessGlobals();
  });
});
