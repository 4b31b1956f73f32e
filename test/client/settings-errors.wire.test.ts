/**
 * Failures caused by a wrong setting name the setting and its value, over real sockets: nothing listening at the
 * gateway, a host that does not resolve, a TLS handshake with a plain-HTTP server, a server that answers with
 * HTML or an HTTP status the APIM gateway never uses, and keys the token service refuses (enos-sim). Through the
 * provider implementation as the host runs it, a refused key is reported as the credentials, not the pipeline.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  EnosApiError,
  EnosClient,
  EnosResponseShapeError,
  EnosTransportError,
} from "../../provider/client/index.js";
import { rememberStackConfig } from "../../provider/config.js";
import { providerImplementation } from "../../provider/implementation.js";
import { resetProcessGlobals } from "../../provider/registry.js";
import { makeSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";

const NAMES = { apiGateway: "enos:apiGateway", accessKey: "enos:accessKey", secretKey: "enos:secretKey" };
const instant = (): Promise<void> => Promise.resolve();

function client(apiGateway: string, keys = { accessKey: "demo-access-key", secretKey: "demo-secret-key" }) {
  return new EnosClient(
    { apiGateway, ...keys },
    { settingNames: NAMES, retry: { maxAttempts: 1 }, sleep: instant, requestTimeoutMs: 10_000 },
  );
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to fail");
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });
}

afterEach(() => {
  resetProcessGlobals();
});

describe("a gateway that cannot be reached names enos:apiGateway and its value", () => {
  it("nothing listening (ECONNREFUSED)", async () => {
    // A port that was free a moment ago: bind, note, close.
    const server = createServer();
    const hostPort = await listen(server);
    await close(server);
    const err = await failure(client(`http://${hostPort}`).listPipelines("o-demo"));
    expect(EnosTransportError.isInstance(err)).toBe(true);
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.message).toContain(`nothing is listening at http://${hostPort}`);
    expect(err.message).toContain(`check enos:apiGateway (http://${hostPort})`);
  });

  it("a host that does not resolve (DNS)", async () => {
    // .invalid never resolves (RFC 6761).
    const err = await failure(client("https://enos-gateway.invalid").listPipelines("o-demo"));
    expect(EnosTransportError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(err.message).toContain("the host enos-gateway.invalid does not resolve (DNS)");
    expect(err.message).toContain("check enos:apiGateway (https://enos-gateway.invalid)");
  });

  it("a TLS handshake that fails (https:// to a plain-HTTP server)", async () => {
    const server = createServer((_req, res) => res.end("plain"));
    const hostPort = await listen(server);
    try {
      const err = await failure(client(`https://${hostPort}`).listPipelines("o-demo"));
      expect(EnosTransportError.isInstance(err)).toBe(true);
      expect(err.message).toContain(`the TLS handshake with ${hostPort} failed`);
      expect(err.message).toContain(`check enos:apiGateway (https://${hostPort})`);
    } finally {
      await close(server);
    }
  });
});

describe("a server that does not answer like the APIM gateway", () => {
  let server: Server;
  let base: string;
  const PAGE_TEXT = "Welcome to the intranet portal";
  let answer: { status: number; type: string; body: string };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { "content-type": answer.type });
      res.end(answer.body);
    });
    base = `http://${await listen(server)}`;
  });
  afterAll(() => close(server));

  it("501 with an HTML page: one sentence naming the setting, not the page", async () => {
    answer = { status: 501, type: "text/html", body: `<html><title>${PAGE_TEXT}</title></html>` };
    const err = await failure(client(base).listPipelines("o-demo"));
    expect(EnosApiError.isInstance(err)).toBe(true);
    expect(err.message).toContain(
      "EnOS HTTP 501 on POST /apim-token-service/v2.0/token/get: Not Implemented",
    );
    expect(err.message).toContain(
      `the server at ${base} answered with an HTML page, not like the EnOS APIM gateway`,
    );
    expect(err.message).toContain(`check enos:apiGateway (${base})`);
    expect(err.message).not.toContain(PAGE_TEXT);
  });

  it("404 with a JSON body that is no envelope", async () => {
    answer = { status: 404, type: "application/json", body: '{"error":"no route"}' };
    const err = await failure(client(base).listPipelines("o-demo"));
    expect(err.message).toContain("answered with HTTP 404 without an EnOS envelope");
    expect(err.message).toContain(`check enos:apiGateway (${base})`);
  });

  it("200 with an HTML page instead of a token", async () => {
    answer = { status: 200, type: "text/html; charset=utf-8", body: `<!doctype html><p>${PAGE_TEXT}</p>` };
    const err = await failure(client(base).listPipelines("o-demo"));
    expect(EnosResponseShapeError.isInstance(err)).toBe(true);
    expect(err.message).toContain("the body is not JSON");
    expect(err.message).toContain(`check enos:apiGateway (${base})`);
    expect(err.message).not.toContain(PAGE_TEXT);
  });

  it("503 from a proxy stays a retryable gateway answer, without the not-the-gateway sentence", async () => {
    answer = { status: 503, type: "text/plain", body: "upstream connect error" };
    const err = await failure(client(base).listPipelines("o-demo"));
    expect(EnosApiError.isInstance(err) && err.retryable).toBe(true);
    expect(err.message).not.toContain("not like the EnOS APIM gateway");
  });
});

describe("keys the token service refuses name enos:accessKey / enos:secretKey", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: makeSeed() });
  });
  afterAll(() => sim.close());

  it("1002: an unknown access key", async () => {
    const err = await failure(
      client(sim.url, { accessKey: "no-such-key", secretKey: "demo-secret-key" }).listPipelines("o-demo"),
    );
    expect(err).toMatchObject({ code: 1002 });
    expect(err.message).toContain("check enos:accessKey");
    expect(err.message).not.toContain("demo-secret-key");
  });

  it("1003: a secret key that does not match", async () => {
    const err = await failure(
      client(sim.url, { accessKey: "demo-access-key", secretKey: "wrong-secret-key" }).listPipelines(
        "o-demo",
      ),
    );
    expect(err).toMatchObject({ code: 1003 });
    expect(err.message).toContain(
      "check that enos:secretKey and enos:accessKey are the keys of the same application",
    );
    expect(err.message).not.toContain("wrong-secret-key");
  });

  it("through the provider implementation: the credentials are at fault, not the pipeline or flow", async () => {
    rememberStackConfig(
      (key) =>
        ({
          "enos:apiGateway": sim.url,
          "enos:accessKey": "demo-access-key",
          "enos:secretKey": "wrong-secret-key",
          "enos:orgId": "o-demo",
          "enos:userId": "u-demo",
        })[key],
    );
    const pipeline = providerImplementation("pipeline");
    const checked = await pipeline.check({}, { pipelineId: "demo-pipeline-1" });
    const err = await failure(pipeline.create(checked.inputs ?? {}));
    expect(err.message).toMatch(
      /^EnosPipelineDeployment demo-pipeline-1: EnOS refused the credentials: EnOS 1003/,
    );
    expect(err.message).toContain("check that enos:secretKey and enos:accessKey");
    expect(err.message).not.toContain("could not read the pipeline");

    const flow = providerImplementation("flow");
    const flowInputs = (await flow.check({}, { flowId: 3377 })).inputs ?? {};
    const flowErr = await failure(flow.create(flowInputs));
    expect(flowErr.message).toContain("EnOS 1003");
    expect(flowErr.message).toContain("enos:secretKey");
  });
});
