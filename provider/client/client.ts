/**
 * EnosClient: the typed EnOS calls the resources use, on top of EnosRequester's signed, retried `request`.
 */
import type { EnosCodeContext } from "./codes.js";
import { coalesceSlot, coalescedRead } from "./coalesce.js";
import { withinDeadline, withoutDeadline } from "./deadline.js";
import { EnosDeadlineError } from "./errors.js";
import { processGlobal } from "../registry.js";
import type { EnosClientOptions, EnosCredentials } from "./options.js";
import { EnosRequester, positive } from "./requester.js";
import {
  flowSchema,
  ignoredDataSchema,
  offsetLagSchema,
  pipelineDetailsSchema,
  pipelinePageSchema,
} from "./schemas.js";
import type {
  EnosApi,
  Flow,
  OffsetLag,
  PipelineDetails,
  PipelineSummary,
  StartOptions,
  StartPipelineBody,
} from "./types.js";

const STREAMING = "/streaming/v2.0/streaming";
const BATCH = "/batch-processing-service/v2.1";
/** Paging stops here even if EnOS keeps returning full pages of new ids. */
const MAX_PAGES = 10_000;

function requireId(name: string, value: string): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`EnosClient: ${name} must be a non-empty string`);
  }
  return value;
}

/**
 * An id as one path segment: percent-encoded, and never "." or "..", which URL normalisation (by any gateway,
 * and by WHATWG URL parsing even when written as %2E) would resolve into a different path.
 */
function pathSegment(name: string, value: string): string {
  const id = requireId(name, value);
  if (id === "." || id === "..") {
    throw new TypeError(`EnosClient: ${name} must not be "." or ".." (it would change the request path)`);
  }
  return encodeURIComponent(id);
}

function requireFlowId(flowId: number): number {
  if (!Number.isSafeInteger(flowId) || flowId <= 0) {
    throw new TypeError("EnosClient: flowId must be a positive integer");
  }
  return flowId;
}

/** When this process last changed each org (per credentials), on the client's clock. */
const changes = (): Map<string, number> =>
  processGlobal<Map<string, number>>("pulumi-enos.client.org-changes.v1", () => new Map<string, number>());

function noteChange(key: string, at: number): void {
  changes().set(key, Math.max(at, changes().get(key) ?? -Infinity));
}

function lastChange(key: string): number {
  return changes().get(key) ?? -Infinity;
}

/** The EnOS API client. Cheap to construct: tokens, connections and listings are shared per process. */
export class EnosClient extends EnosRequester implements EnosApi {
  readonly #pageSize: number;

  constructor(credentials: EnosCredentials, options: EnosClientOptions = {}) {
    super(credentials, options);
    this.#pageSize = Math.floor(positive(options.pageSize, 100, "pageSize"));
  }

  /** Every page of List Pipelines (`ifReleased` defaults to true: released pipelines with live status). */
  async listPipelines(
    orgId: string,
    options?: { readonly ifReleased?: boolean },
  ): Promise<PipelineSummary[]> {
    requireId("orgId", orgId);
    const ifReleased = options?.ifReleased ?? true;
    const pageSize = this.#pageSize;
    const all: PipelineSummary[] = [];
    const seen = new Set<string>();
    for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo++) {
      const page = await this.request({
        method: "GET",
        path: `${STREAMING}/pipelines`,
        query: { orgId, pageNo, pageSize, isSystem: false, ifReleased },
        schema: pipelinePageSchema,
      });
      let added = 0;
      for (const pipeline of page.pipelines) {
        if (!seen.has(pipeline.pipelineId)) {
          seen.add(pipeline.pipelineId);
          all.push(pipeline);
          added++;
        }
      }
      // A page with nothing new means EnOS ignores pageNo: there is nothing more to get.
      if (page.pipelines.length < pageSize || added === 0) {
        break;
      }
    }
    return all;
  }

  /** Get Pipeline Details; `ifReleased` defaults to false (the design draft). */
  async getPipeline(
    orgId: string,
    pipelineId: string,
    options?: { readonly ifReleased?: boolean },
  ): Promise<PipelineDetails> {
    return this.request({
      method: "GET",
      path: `${STREAMING}/pipeline/${pathSegment("pipelineId", pipelineId)}`,
      query: { orgId: requireId("orgId", orgId), ifReleased: options?.ifReleased ?? false },
      schema: pipelineDetailsSchema,
    });
  }

  /**
   * Live status from a listing shared with every concurrent caller in this process for the same gateway and
   * org and credentials; `notBefore` (epoch ms, same clock as the client's) demands a listing started at or after it;
   * `refresh` (refresh reads only) accepts the listing another refresh read of this process took after its last
   * change to the org (coalesce.ts): one listing per org for a whole refresh.
   */
  async getPipelineStatus(
    orgId: string,
    pipelineId: string,
    options?: { readonly notBefore?: number; readonly refresh?: boolean },
  ): Promise<PipelineSummary | undefined> {
    requireId("orgId", orgId);
    requireId("pipelineId", pipelineId);
    const key = this.#orgKey(orgId);
    const slot = coalesceSlot<ReadonlyMap<string, PipelineSummary>>("released-pipelines", key);
    // The listing is shared by every operation polling this org: it runs outside any one operation's deadline,
    // and each caller bounds its own wait for it.
    const shared = coalescedRead(
      slot,
      options?.notBefore,
      this.clock,
      () =>
        withoutDeadline(async () => {
          const list = await this.listPipelines(orgId, { ifReleased: true });
          return new Map(list.map((p) => [p.pipelineId, p]));
        }),
      options?.refresh === true ? lastChange(key) : undefined,
    );
    const byId = await withinDeadline(
      shared,
      this.clock,
      () => new EnosDeadlineError({ method: "GET", path: `${STREAMING}/pipelines` }),
    );
    return byId.get(pipelineId);
  }

  async releasePipeline(orgId: string, pipelineId: string): Promise<void> {
    await this.#operate(orgId, pipelineId, "release");
  }

  async startPipeline(
    orgId: string,
    pipelineId: string,
    body: StartPipelineBody,
    options?: StartOptions,
  ): Promise<void> {
    const executionMode = body.executionMode === 1 ? "CLUSTER" : "STANDALONE";
    await this.#operate(orgId, pipelineId, "start", body, { executionMode }, options?.retryOrgBusy);
  }

  async pausePipeline(orgId: string, pipelineId: string): Promise<void> {
    await this.#operate(orgId, pipelineId, "pause");
  }

  async stopPipeline(orgId: string, pipelineId: string): Promise<void> {
    await this.#operate(orgId, pipelineId, "stop");
  }

  async resetPipelineOffset(orgId: string, pipelineId: string): Promise<void> {
    await this.#changing(orgId, () =>
      this.request({
        method: "POST",
        path: `${STREAMING}/pipeline/${pathSegment("pipelineId", pipelineId)}/offset`,
        query: { orgId: requireId("orgId", orgId) },
        mutating: true,
        schema: ignoredDataSchema,
      }),
    );
  }

  async getOffsetLag(orgId: string, pipelineId: string): Promise<OffsetLag> {
    return this.request({
      method: "GET",
      path: `${STREAMING}/pipeline/${pathSegment("pipelineId", pipelineId)}/offset-lag`,
      query: { orgId: requireId("orgId", orgId) },
      schema: offsetLagSchema,
    });
  }

  async getFlow(orgId: string, userId: string, flowId: number): Promise<Flow> {
    return this.request({
      method: "GET",
      path: `${BATCH}/flows`,
      query: {
        action: "get",
        flowId: requireFlowId(flowId),
        userId: requireId("userId", userId),
        orgId: requireId("orgId", orgId),
      },
      schema: flowSchema,
    });
  }

  async enableFlow(orgId: string, userId: string, flowId: number): Promise<void> {
    await this.#flowAction(orgId, userId, flowId, "enable");
  }

  async disableFlow(orgId: string, userId: string, flowId: number): Promise<void> {
    await this.#flowAction(orgId, userId, flowId, "disable");
  }

  /** The org's key in the listing cache and the change record: per gateway and credentials, which may see
   * different pipelines (or none). */
  #orgKey(orgId: string): string {
    return `${this.credentialKey}\n${orgId}`;
  }

  /** A change this process makes to the org: listings taken before it never serve a refresh read after it. */
  async #changing<T>(orgId: string, send: () => Promise<T>): Promise<T> {
    const key = this.#orgKey(orgId);
    noteChange(key, this.clock());
    try {
      return await send();
    } finally {
      noteChange(key, this.clock());
    }
  }

  async #operate(
    orgId: string,
    pipelineId: string,
    action: "release" | "start" | "pause" | "stop",
    body?: StartPipelineBody,
    codeContext?: EnosCodeContext,
    retryOrgBusy?: boolean,
  ): Promise<void> {
    await this.#changing(orgId, () =>
      this.request({
        ...(retryOrgBusy === undefined ? {} : { retryOrgBusy }),
        method: "POST",
        path: `${STREAMING}/pipeline/${pathSegment("pipelineId", pipelineId)}`,
        query: { action, orgId: requireId("orgId", orgId) },
        body,
        mutating: true,
        schema: ignoredDataSchema,
        codeContext,
      }),
    );
  }

  async #flowAction(
    orgId: string,
    userId: string,
    flowId: number,
    action: "enable" | "disable",
  ): Promise<void> {
    await this.request({
      method: "POST",
      path: `${BATCH}/flows`,
      query: { action, userId: requireId("userId", userId), orgId: requireId("orgId", orgId) },
      body: { flowId: requireFlowId(flowId) },
      mutating: true,
      schema: ignoredDataSchema,
    });
  }
}
