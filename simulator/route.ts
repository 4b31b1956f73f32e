/**
 * Maps an EnOS request (method, path, query, body) to a logical endpoint. Used for dispatch, the request log,
 * call counts and fault matching, so all three agree on what a request was.
 */

export const TOKEN_GET_PATH = "/apim-token-service/v2.0/token/get";
export const TOKEN_REFRESH_PATH = "/apim-token-service/v2.0/token/refresh";
export const STREAMING_BASE = "/streaming/v2.0/streaming";
export const FLOWS_PATH = "/batch-processing-service/v2.1/flows";

export type EndpointName =
  | "tokenGet"
  | "tokenRefresh"
  | "listPipelines"
  | "getPipeline"
  | "savePipeline"
  | "releasePipeline"
  | "startPipeline"
  | "pausePipeline"
  | "stopPipeline"
  | "operatePipeline"
  | "getOffsetLag"
  | "resetOffset"
  | "getFlow"
  | "enableFlow"
  | "disableFlow"
  | "flows"
  | "unknown";

export interface Route {
  readonly endpoint: EndpointName;
  readonly service: "token" | "streaming" | "batch" | "none";
  readonly mutation: boolean;
  readonly pipelineId?: string;
  readonly action?: string;
  readonly flowId?: number;
  readonly orgId?: string;
}

const OPERATE_ENDPOINTS: Readonly<Record<string, EndpointName>> = {
  save: "savePipeline",
  release: "releasePipeline",
  start: "startPipeline",
  pause: "pausePipeline",
  stop: "stopPipeline",
};

const FLOW_ENDPOINTS: Readonly<Record<string, { method: string; endpoint: EndpointName }>> = {
  get: { method: "GET", endpoint: "getFlow" },
  enable: { method: "POST", endpoint: "enableFlow" },
  disable: { method: "POST", endpoint: "disableFlow" },
};

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The flowId of a batch request: query for get, JSON body for enable/disable. */
function flowIdOf(action: string, query: URLSearchParams, bodyText: string): number | undefined {
  let raw: unknown;
  if (action === "get") {
    raw = query.get("flowId");
  } else {
    try {
      raw = (JSON.parse(bodyText) as { flowId?: unknown } | null)?.flowId;
    } catch {
      return undefined;
    }
  }
  const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  return typeof n === "number" && Number.isSafeInteger(n) ? n : undefined;
}

export function classify(method: string, path: string, query: URLSearchParams, bodyText: string): Route {
  const orgId = query.get("orgId") ?? undefined;
  const base = orgId === undefined ? {} : { orgId };
  if (method === "POST" && path === TOKEN_GET_PATH) {
    return { endpoint: "tokenGet", service: "token", mutation: false };
  }
  if (method === "POST" && path === TOKEN_REFRESH_PATH) {
    return { endpoint: "tokenRefresh", service: "token", mutation: false };
  }
  if (path === FLOWS_PATH) {
    const action = query.get("action") ?? "";
    const known = FLOW_ENDPOINTS[action];
    if (known === undefined || known.method !== method) {
      return { ...base, endpoint: "flows", service: "batch", mutation: false, action };
    }
    const flowId = flowIdOf(action, query, bodyText);
    return {
      ...base,
      endpoint: known.endpoint,
      service: "batch",
      mutation: action !== "get",
      action,
      ...(flowId === undefined ? {} : { flowId }),
    };
  }
  if (method === "GET" && path === `${STREAMING_BASE}/pipelines`) {
    return { ...base, endpoint: "listPipelines", service: "streaming", mutation: false };
  }
  if (path.startsWith(`${STREAMING_BASE}/pipeline/`)) {
    const rest = path.slice(`${STREAMING_BASE}/pipeline/`.length).split("/");
    const pipelineId = rest[0] === undefined || rest[0] === "" ? undefined : decodeSegment(rest[0]);
    if (pipelineId !== undefined) {
      const withId = { ...base, pipelineId, service: "streaming" as const };
      if (rest.length === 1 && method === "GET") {
        return { ...withId, endpoint: "getPipeline", mutation: false };
      }
      if (rest.length === 1 && method === "POST") {
        const action = query.get("action") ?? "";
        const endpoint = OPERATE_ENDPOINTS[action] ?? "operatePipeline";
        return { ...withId, endpoint, mutation: endpoint !== "operatePipeline", action };
      }
      if (rest.length === 2 && rest[1] === "offset-lag" && method === "GET") {
        return { ...withId, endpoint: "getOffsetLag", mutation: false };
      }
      if (rest.length === 2 && rest[1] === "offset" && method === "POST") {
        return { ...withId, endpoint: "resetOffset", mutation: true };
      }
    }
  }
  return { ...base, endpoint: "unknown", service: "none", mutation: false };
}
