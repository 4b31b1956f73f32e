/**
 * A deliberately minimal, independent EnOS caller for the simulator tests: its own sha256 signing (not the
 * provider's client), raw fetch, and full access to the HTTP status and body.
 */
import { createHash } from "node:crypto";
import { type RunningSimulator, type StartSimulatorOptions, startSimulator } from "../../simulator/index.js";

export const ACCESS_KEY = "demo-access-key";
export const SECRET_KEY = "demo-secret-key";
export const ORG = "o-demo";
export const USER = "u-demo";
export const STREAMING = "/streaming/v2.0/streaming";
export const FLOWS = "/batch-processing-service/v2.1/flows";

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** accessToken + (params sorted by name, name+value) + body + timestamp + secret, per docs/ENOS-API.md. */
export function sign(
  accessToken: string,
  query: Record<string, string>,
  body: string,
  timestamp: string,
  secret: string,
): string {
  const params = Object.keys(query)
    .sort()
    .map((k) => k + (query[k] ?? ""))
    .join("");
  return sha256(accessToken + params + body + timestamp + secret);
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

async function toWire(res: Response): Promise<WireResponse> {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface CallOptions {
  readonly query?: Record<string, string>;
  /** Object → JSON.stringify'd once; string → sent verbatim. */
  readonly body?: unknown;
  /** Replace/omit signing headers (undefined value = omit). */
  readonly headers?: Record<string, string | undefined>;
  readonly timestamp?: number;
  readonly token?: string;
}

export class TestCaller {
  private token: string | undefined;
  private tick = 0;

  constructor(
    readonly url: string,
    readonly accessKey = ACCESS_KEY,
    readonly secretKey = SECRET_KEY,
    readonly clock: () => number = Date.now,
  ) {}

  /** A fresh token request body; timestamps never repeat, so no accidental 1001. */
  tokenBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const timestamp = this.clock() + this.tick++;
    const encryption = sha256(this.accessKey + String(timestamp) + this.secretKey);
    return { appKey: this.accessKey, encryption, timestamp, ...extra };
  }

  async raw(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<WireResponse> {
    const init: RequestInit = {
      method,
      headers: { "content-type": "application/json;charset=UTF-8", ...headers },
    };
    if (body !== undefined) init.body = body;
    return toWire(await fetch(this.url + path, init));
  }

  async tokenGet(body: unknown = this.tokenBody()): Promise<WireResponse> {
    return this.raw("POST", "/apim-token-service/v2.0/token/get", JSON.stringify(body));
  }

  async accessToken(): Promise<string> {
    if (this.token === undefined) {
      const res = await this.tokenGet();
      if (res.json?.status !== 0) throw new Error(`token: ${res.text}`);
      this.token = res.json.data.accessToken as string;
    }
    return this.token;
  }

  forgetToken(): void {
    this.token = undefined;
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<WireResponse> {
    const query = options.query ?? {};
    const bodyText =
      options.body === undefined
        ? ""
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body);
    const token = options.token ?? (await this.accessToken());
    const timestamp = String(options.timestamp ?? this.clock());
    const signed: Record<string, string | undefined> = {
      "apim-accesstoken": token,
      "apim-timestamp": timestamp,
      "apim-signature": sign(token, query, bodyText, timestamp, this.secretKey),
      ...options.headers,
    };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed)) if (v !== undefined) headers[k] = v;
    const qs = new URLSearchParams(query).toString();
    return this.raw(
      method,
      path + (qs ? `?${qs}` : ""),
      options.body === undefined ? undefined : bodyText,
      headers,
    );
  }

  // Typed shortcuts for the streaming and batch calls.
  list(query: Record<string, string> = {}): Promise<WireResponse> {
    return this.call("GET", `${STREAMING}/pipelines`, { query: { orgId: ORG, ...query } });
  }

  details(id: string, query: Record<string, string> = {}): Promise<WireResponse> {
    return this.call("GET", `${STREAMING}/pipeline/${encodeURIComponent(id)}`, {
      query: { orgId: ORG, ...query },
    });
  }

  operate(id: string, action: string, body?: unknown, orgId = ORG): Promise<WireResponse> {
    return this.call("POST", `${STREAMING}/pipeline/${encodeURIComponent(id)}`, {
      query: { action, orgId },
      ...(body === undefined ? {} : { body }),
    });
  }

  start(id: string, body: unknown = STANDALONE_1): Promise<WireResponse> {
    return this.operate(id, "start", body);
  }

  offsetLag(id: string): Promise<WireResponse> {
    return this.call("GET", `${STREAMING}/pipeline/${encodeURIComponent(id)}/offset-lag`, {
      query: { orgId: ORG },
    });
  }

  resetOffset(id: string): Promise<WireResponse> {
    return this.call("POST", `${STREAMING}/pipeline/${encodeURIComponent(id)}/offset`, {
      query: { orgId: ORG },
    });
  }

  getFlow(flowId: number | string, userId = USER): Promise<WireResponse> {
    return this.call("GET", FLOWS, { query: { action: "get", flowId: String(flowId), userId, orgId: ORG } });
  }

  setFlow(action: "enable" | "disable", flowId: unknown, userId = USER): Promise<WireResponse> {
    return this.call("POST", FLOWS, { query: { action, userId, orgId: ORG }, body: { flowId } });
  }
}

export const STANDALONE_1 = { executionMode: 0, kafkaRate: 1000, resourceConfig: { server: 1 } };
export const CLUSTER_5 = {
  executionMode: 1,
  kafkaRate: 1000,
  resourceConfig: {
    server: 1,
    yarn: { workerCount: 2, master: 2, slave: 1 },
    advanced: [{ key: "spark.streaming.backpressure.enabled", value: "true" }],
  },
};

/** Zero delays unless told otherwise: tests that need transitional statuses ask for them. */
export const FAST: StartSimulatorOptions = { delays: { start: 0, pause: 0, stop: 0, release: 0 } };

export async function withSim(options: StartSimulatorOptions = FAST): Promise<{
  sim: RunningSimulator;
  caller: TestCaller;
}> {
  const sim = await startSimulator(options);
  return { sim, caller: new TestCaller(sim.url, ACCESS_KEY, SECRET_KEY, options.clock ?? Date.now) };
}

/** Envelope code: `code` or `status`. */
export function codeOf(res: WireResponse): number | undefined {
  return res.json?.code ?? res.json?.status;
}
