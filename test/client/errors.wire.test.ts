import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  EnosApiError,
  EnosError,
  EnosResponseShapeError,
  EnosTransportError,
  describeEnosCode,
  type EnosClient,
} from "../../provider/client/index.js";
import { clientFor, rejection, useLoopback } from "./helpers/client.js";
import { SECRET_KEY, fail, ok, reset, send, type Handler } from "./helpers/loopback.js";

const START = { executionMode: 1, kafkaRate: 1000, resourceConfig: { server: 1 } } as const;

type Run = (client: EnosClient) => Promise<unknown>;
const start: Run = (c) => c.startPipeline("o1", "p1", START);
const enable: Run = (c) => c.enableFlow("o1", "u1", 3377);
const details: Run = (c) => c.getPipeline("o1", "p1");
const offsetLag: Run = (c) => c.getOffsetLag("o1", "p1");

// Every documented streaming, batch and common code, with the vendor's message and a call that can return it.
const CODES: [number, string, Run][] = [
  [61100, "Invalid stream configuration JSON", start],
  [61108, "The stream processing job does not exist", start],
  [61112, "Failed to save the stream processing job", start],
  [61122, "Failed to stop the stream processing job", (c) => c.stopPipeline("o1", "p1")],
  [61126, "The allocated resource is not enough", start],
  [61128, "The organization has not requested the resource for this execution mode", start],
  [61152, "Status cannot be changed from [STOPPED] to Paused", (c) => c.pausePipeline("o1", "p1")],
  [61165, "Status [RUNNING] cannot be started", start],
  [61168, "Failed to get the Kafka average rate", (c) => c.resetPipelineOffset("o1", "p1")],
  [61169, "Release failed, job is not stopped or paused", (c) => c.releasePipeline("o1", "p1")],
  [99000, "Failed to get offset and lag", offsetLag],
  [62101, "userId does not exist or does not match orgId", enable],
  [62102, "Invalid parameter", enable],
  [62103, "User has no privilege", enable],
  [62104, "Dependency error, no task", enable],
  [62105, "Account is locked", (c) => c.disableFlow("o1", "u1", 3377)],
  [62109, "Internal server error", (c) => c.getFlow("o1", "u1", 3377)],
  [99400, "Invalid parameter", details],
  [99403, "No permission", details],
  [99404, "Not found", details],
  [99500, "Internal error", details],
];

describe("EnOS codes over the wire", () => {
  const ctx = useLoopback();

  it.each(CODES)("%i is an EnosApiError with its message", async (code, msg, run) => {
    const { lb } = ctx;
    lb.script(fail(code, msg, `rq-${code}`));
    const err = await rejection(run(clientFor(lb).client));
    expect(EnosApiError.isInstance(err)).toBe(true);
    const e = err as EnosApiError;
    expect(e).toMatchObject({
      code,
      msg,
      requestId: `rq-${code}`,
      httpStatus: 200,
      fromEnvelope: true,
      retryable: false,
    });
    expect(e.call.path).toBe(lb.received[0]!.path);
    expect(e.call.path).not.toContain("?");
    expect(e.message).toContain(
      `EnOS ${code} on ${e.call.method} ${e.call.path}: ${msg} (requestId rq-${code})`,
    );
    expect(e.hint).toBeDefined();
    expect(e.message).toContain(e.hint);
    expect(lb.received).toHaveLength(1);
  });

  it("61121 is retryable, and its message says so once retries are used up", async () => {
    const { lb } = ctx;
    lb.script(fail(61121, "Another user is starting a job"));
    const err = await rejection(
      clientFor(lb, { retry: { maxAttempts: 1 } }).client.startPipeline("o1", "p1", START),
    );
    expect(err).toMatchObject({ code: 61121, retryable: true });
    expect((err as Error).message).toContain("try again later");
  });

  it("61128 names the execution mode the start asked for", async () => {
    const { lb } = ctx;
    lb.script(fail(61128, "resource not requested"), fail(61128, "resource not requested"));
    const { client } = clientFor(lb);
    const cluster = (await rejection(client.startPipeline("o1", "p1", START))) as EnosApiError;
    expect(cluster.message).toContain("request cluster resources for this org, or use STANDALONE");
    const standalone = (await rejection(
      client.startPipeline("o1", "p1", { ...START, executionMode: 0 }),
    )) as EnosApiError;
    expect(standalone.hint).toBe(describeEnosCode(61128, { executionMode: "STANDALONE" }));
  });

  it.each([
    [401, "check the EnOS access key and secret key"],
    [403, "IP allow-list"],
    [413, "too large"],
  ])("HTTP %i without an envelope is EnosApiError code -%i with a hint", async (status, hint) => {
    const { lb } = ctx;
    lb.script((_req, res) => {
      send(res, status, "<html><h1>Denied</h1></html>", { "content-type": "text/html" });
    });
    const err = await rejection(details(clientFor(lb).client));
    expect(err).toMatchObject({
      code: -status,
      httpStatus: status,
      fromEnvelope: false,
      requestId: undefined,
    });
    expect((err as Error).message).toContain(
      `EnOS HTTP ${status} on GET /streaming/v2.0/streaming/pipeline/p1`,
    );
    expect((err as Error).message).toContain("Denied");
    expect((err as Error).message).toContain(hint);
  });

  it("an HTTP error with an envelope keeps the EnOS code", async () => {
    const { lb } = ctx;
    lb.script((_req, res) => {
      send(res, 400, { code: 99400, msg: "orgId is required", requestId: "r4" });
    });
    expect(await rejection(details(clientFor(lb).client))).toMatchObject({
      code: 99400,
      httpStatus: 400,
      fromEnvelope: true,
      requestId: "r4",
    });
  });
});

describe("malformed answers never crash the client", () => {
  const ctx = useLoopback();
  const raw =
    (text: string, contentType = "application/json"): Handler =>
    (_req, res) => {
      send(res, 200, text, { "content-type": contentType });
    };

  it.each<[string, Handler, Run, string]>([
    ["HTML on 200", raw("<html>login page</html>", "text/html"), details, "the body is not JSON"],
    [
      "truncated JSON (ended early)",
      raw('{"code":0,"data":{"pipelineId":"p'),
      details,
      "the body is not JSON",
    ],
    ["empty body", raw(""), details, "the body is not JSON"],
    ["JSON null", raw("null"), details, "not an EnOS envelope"],
    ["an envelope without code or status", raw('{"msg":"OK","data":{}}'), details, "not an EnOS envelope"],
    ["details without pipelineId", ok({ pipelineName: "n" }), details, "pipelineId"],
    ["details as null", ok(null), details, "data does not match"],
    ["pipelines of the wrong type", ok({ pipelines: "p1,p2" }), (c) => c.listPipelines("o1"), "pipelines"],
    [
      "a pipeline with a numeric status",
      ok({ pipelines: [{ pipelineId: "p1", status: 3 }] }),
      (c) => c.listPipelines("o1"),
      "pipelines.0.status",
    ],
    [
      "a flow without active",
      ok({ flowId: 1, flowName: "f" }),
      (c) => c.getFlow("o1", "u1", 1),
      "data does not match",
    ],
    [
      "offset-lag with text lag",
      ok({ pipelineId: "p1", lagAndOffset: [{ lag: "lots", offset: 1, ts: 1 }] }),
      offsetLag,
      "lagAndOffset.0.lag",
    ],
  ])("%s → EnosResponseShapeError", async (_name, handler, run, issue) => {
    const { lb } = ctx;
    lb.script(handler);
    const err = await rejection(run(clientFor(lb).client));
    expect(EnosResponseShapeError.isInstance(err)).toBe(true);
    expect((err as EnosResponseShapeError).issues).toContain(issue);
    expect((err as EnosResponseShapeError).issues.length).toBeLessThan(400);
    expect(lb.received).toHaveLength(1); // a shape error is not retried
  });

  it("a body cut off by a dropped connection is a transport error", async () => {
    const { lb } = ctx;
    lb.script((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
      res.write('{"code":0,"data":{');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const err = await rejection(clientFor(lb, { retry: { maxAttempts: 1 } }).client.getPipeline("o1", "p1"));
    expect(EnosTransportError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ sent: true });
  });
});

describe("secrets never leak", () => {
  const ctx = useLoopback();

  function assertClean(err: unknown, secrets: string[]): void {
    expect(EnosError.isInstance(err)).toBe(true);
    const e = err as EnosError;
    const views = [String(e), e.message, JSON.stringify(e), inspect(e, { depth: 5 }), e.stack ?? ""];
    for (const view of views) {
      for (const secret of secrets) {
        expect(view).not.toContain(secret);
      }
    }
  }

  it("not in API errors, even when EnOS echoes them", async () => {
    const { lb } = ctx;
    let signature = "";
    lb.script((req, res) => {
      signature = String(req.headers["apim-signature"]);
      const token = String(req.headers["apim-accesstoken"]);
      fail(99403, `no permission for token ${token} signed ${signature} secret ${SECRET_KEY}`)(req, res);
    });
    const err = await rejection(details(clientFor(lb).client));
    assertClean(err, [SECRET_KEY, lb.issued[0]!, signature]);
    expect((err as EnosApiError).msg).toContain("[redacted]");
  });

  it("not in HTTP errors whose body echoes them", async () => {
    const { lb } = ctx;
    lb.script((req, res) => {
      send(res, 500, `<pre>${String(req.headers["apim-accesstoken"])} ${SECRET_KEY}</pre>`, {
        "content-type": "text/html",
      });
    });
    assertClean(await rejection(details(clientFor(lb).client)), [SECRET_KEY, lb.issued[0]!]);
  });

  it("not in token errors", async () => {
    const { lb } = ctx;
    let encryption = "";
    lb.tokenHandler = (req, res) => {
      encryption = String(JSON.parse(req.text).encryption);
      send(res, 200, { status: 1003, msg: `invalid encryption ${encryption} for ${SECRET_KEY}` });
    };
    assertClean(await rejection(details(clientFor(lb).client)), [SECRET_KEY, encryption]);
  });

  it("not in transport, timeout or shape errors, nor in call events", async () => {
    const { lb } = ctx;
    lb.script(reset, () => undefined, ok({ wrong: true }));
    const { client, events } = clientFor(lb, { requestTimeoutMs: 100, retry: { maxAttempts: 1 } });
    const errors = [
      await rejection(client.getPipeline("o1", "p1")),
      await rejection(client.getPipeline("o1", "p1")),
      await rejection(client.getPipeline("o1", "p1")),
    ];
    expect(errors.map((e) => (e as Error).name)).toEqual([
      "EnosTransportError",
      "EnosTimeoutError",
      "EnosResponseShapeError",
    ]);
    const signatures = lb.received.map((r) => String(r.headers["apim-signature"]));
    for (const err of errors) assertClean(err, [SECRET_KEY, lb.issued[0]!, ...signatures]);
    const eventText = JSON.stringify(events);
    for (const secret of [SECRET_KEY, lb.issued[0]!, ...signatures]) expect(eventText).not.toContain(secret);
  });

  it("not in the client object itself", () => {
    const { client } = clientFor(ctx.lb);
    expect(JSON.stringify(client)).not.toContain(SECRET_KEY);
    expect(inspect(client, { depth: 5 })).not.toContain(SECRET_KEY);
  });
});
