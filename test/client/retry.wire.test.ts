import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import {
  EnosApiError,
  EnosTimeoutError,
  EnosTransportError,
  type EnosClient,
} from "../../provider/client/index.js";
import { clientFor, rejection, useLoopback } from "./helpers/client.js";
import { fail, ok, reset, send, type Handler, type Loopback } from "./helpers/loopback.js";

const offsetLag = ok({ pipelineId: "p1", topicName: "t", lagAndOffset: [] });
const read = (client: EnosClient): Promise<unknown> => client.getOffsetLag("o1", "p1");
const mutate = (client: EnosClient): Promise<unknown> => client.stopPipeline("o1", "p1");
const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    send(res, code, "<html>gateway says no</html>", { ...headers, "content-type": "text/html" });
  };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

describe("retries over the wire", () => {
  const ctx = useLoopback();

  it("a read retries a reset connection", async () => {
    const { lb } = ctx;
    lb.script(reset, offsetLag);
    const { client, sleeps, events } = clientFor(lb);
    await read(client);
    expect(lb.received).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(events.filter((e) => e.kind === "api").map((e) => e.outcome)).toEqual(["transport-error", "ok"]);
  });

  it("a mutation does not retry a reset connection (it may have been applied)", async () => {
    const { lb } = ctx;
    lb.script(reset);
    const { client, sleeps } = clientFor(lb);
    const err = await rejection(mutate(client));
    expect(EnosTransportError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      sent: true,
      call: { method: "POST", path: "/streaming/v2.0/streaming/pipeline/p1" },
    });
    expect(lb.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each([
    ["read", read],
    ["mutation", mutate],
  ])("a %s surfaces HTTP 500 at once", async (_kind, run) => {
    const { lb } = ctx;
    lb.script(status(500));
    const { client, sleeps } = clientFor(lb);
    const err = await rejection(run(client));
    expect(EnosApiError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: -500, httpStatus: 500, fromEnvelope: false, retryable: false });
    expect((err as Error).message).toContain("EnOS HTTP 500");
    expect(lb.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each([
    ["read", read],
    ["mutation", mutate],
  ])("a %s honours 429 with Retry-After", async (_kind, run) => {
    const { lb } = ctx;
    lb.script(status(429, { "retry-after": "2" }), (req, res) => {
      (req.method === "GET" ? offsetLag : ok())(req, res);
    });
    const { client, sleeps } = clientFor(lb);
    await run(client);
    expect(sleeps).toEqual([2000]);
    expect(lb.received).toHaveLength(2);
  });

  it("caps a long Retry-After", async () => {
    const { lb } = ctx;
    lb.script(status(429, { "retry-after": "3600" }), ok());
    const { client, sleeps } = clientFor(lb, { retry: { maxRetryAfterMs: 5000 } });
    await mutate(client);
    expect(sleeps).toEqual([5000]);
  });

  it("a start retries 61121 (org busy) until it is accepted", async () => {
    const { lb } = ctx;
    lb.script(
      fail(61121, "another user is starting a job"),
      fail(61121, "another user is starting a job"),
      ok(),
    );
    const { client, sleeps } = clientFor(lb);
    await client.startPipeline("o1", "p1", {
      executionMode: 0,
      kafkaRate: 1000,
      resourceConfig: { server: 1 },
    });
    expect(lb.received).toHaveLength(3);
    // Exponential backoff with equal jitter (random 0.5): 0.75 × 250, 0.75 × 500.
    expect(sleeps).toEqual([188, 375]);
  });

  it("gives up after maxAttempts with the last EnOS error", async () => {
    const { lb } = ctx;
    lb.script(fail(61121, "busy 1"), fail(61121, "busy 2"), fail(61121, "busy 3"));
    const { client, sleeps } = clientFor(lb, { retry: { maxAttempts: 3 } });
    const err = await rejection(
      client.startPipeline("o1", "p1", { executionMode: 0, kafkaRate: 1, resourceConfig: { server: 1 } }),
    );
    expect(err).toMatchObject({ code: 61121, msg: "busy 3", retryable: true });
    expect(sleeps).toHaveLength(2);
  });

  it.each([502, 503, 504])("a read retries HTTP %i", async (code) => {
    const { lb } = ctx;
    lb.script(status(code), offsetLag);
    const { client } = clientFor(lb);
    await read(client);
    expect(lb.received).toHaveLength(2);
  });

  it.each([
    [502, false],
    [503, true],
    [504, false],
  ])("a mutation on HTTP %i retries: %s", async (code, retried) => {
    const { lb } = ctx;
    lb.script(status(code));
    if (retried) lb.script(ok());
    const { client, sleeps } = clientFor(lb);
    if (retried) {
      await mutate(client);
    } else {
      expect(await rejection(mutate(client))).toMatchObject({ code: -code, retryable: false });
    }
    expect(lb.received).toHaveLength(retried ? 2 : 1);
    expect(sleeps).toHaveLength(retried ? 1 : 0);
  });

  it("never retries a mutation's EnOS error that may follow a state change", async () => {
    const { lb } = ctx;
    lb.script(fail(61152, "status cannot be changed from [STOPPED] to Paused"));
    const { client, sleeps } = clientFor(lb);
    await expect(client.pausePipeline("o1", "p1")).rejects.toMatchObject({ code: 61152 });
    expect(sleeps).toEqual([]);
  });

  it("a mutation retries a refused connection, which proves it was not sent", async () => {
    const { lb } = ctx;
    lb.script(offsetLag, ok());
    // Warm the token cache, then take the server down.
    await read(clientFor(lb).client);
    await lb.stop();
    const dispatcher = new Agent(); // no pooled sockets from before the stop
    try {
      const { client, sleeps } = clientFor(lb, {
        dispatcher,
        sleep: async (ms) => {
          sleeps.push(ms);
          await lb.start(); // the server comes back while the client waits
        },
      });
      await mutate(client);
      expect(sleeps).toHaveLength(1);
      expect(lb.received.map((r) => r.method)).toEqual(["GET", "POST"]);
    } finally {
      await dispatcher.close();
    }
  });

  it("reports a refused connection as not sent once retries are exhausted", async () => {
    const port = await freePort();
    const { client, sleeps, events } = clientFor(
      { ...ctx.lb, url: `http://127.0.0.1:${port}` },
      { retry: { maxAttempts: 2 } },
    );
    const err = await rejection(client.getOffsetLag("o1", "p1"));
    expect(EnosTransportError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ sent: false, errorCode: "ECONNREFUSED" });
    // The token call is the one that could not connect; it is retried like a read.
    expect((err as EnosTransportError).call.path).toBe("/apim-token-service/v2.0/token/get");
    expect(sleeps).toHaveLength(1);
    expect(events.map((e) => e.outcome)).toEqual(["transport-error", "transport-error"]);
  });
});

// Only calls that never answer meet the 150 ms limit, so the timeout must fire whatever the machine's load. The
// token call would be under the same limit, and on a loaded machine it could lose that race: each test first
// fetches the token with the default limit (the token cache is process-wide), then counts only its own calls.
describe("timeouts", () => {
  const ctx = useLoopback();
  const hang: Handler = () => undefined;

  /** Fetch and cache the token through a client with the default limit; resolves how many API calls that took. */
  async function warmToken(lb: Loopback): Promise<number> {
    lb.script(offsetLag);
    await read(clientFor(lb).client);
    expect(lb.tokenRequests).toHaveLength(1);
    return lb.received.length;
  }

  it("a read times out, is retried, and surfaces EnosTimeoutError with the limit", async () => {
    const { lb } = ctx;
    const before = await warmToken(lb);
    lb.script(hang, hang);
    const { client, sleeps } = clientFor(lb, { requestTimeoutMs: 150, retry: { maxAttempts: 2 } });
    const err = await rejection(read(client));
    expect(EnosTimeoutError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ timeoutMs: 150, call: { method: "GET" } });
    expect(lb.received.length - before).toBe(2);
    expect(sleeps).toHaveLength(1);
    expect(lb.tokenRequests).toHaveLength(1);
  });

  it("a mutation that timed out is not retried", async () => {
    const { lb } = ctx;
    const before = await warmToken(lb);
    lb.script(hang);
    const { client, sleeps } = clientFor(lb, { requestTimeoutMs: 150 });
    expect(EnosTimeoutError.isInstance(await rejection(mutate(client)))).toBe(true);
    expect(lb.received.length - before).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it("a body that stalls after the headers times out too", async () => {
    const { lb } = ctx;
    await warmToken(lb);
    lb.script((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"code":0,');
    });
    const { client } = clientFor(lb, { requestTimeoutMs: 150, retry: { maxAttempts: 1 } });
    expect(EnosTimeoutError.isInstance(await rejection(read(client)))).toBe(true);
  });
});
