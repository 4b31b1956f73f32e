/**
 * Data shapes of the EnOS calls the provider uses, as the client returns them after zod validation.
 * Field names follow the vendor's API; see docs in docs/ENOS-API.md (streaming v2.0, batch v2.1).
 */

/** One row of List Pipelines. */
export interface PipelineSummary {
  readonly pipelineId: string;
  readonly pipelineName: string;
  /** Live status as EnOS reports it: PUBLISHED, RUNNING, PAUSED, STOPPED, or any other (transitional/error) text. */
  readonly status: string;
  /** Version of the pipeline in this listing (the released version when listed with ifReleased=true). */
  readonly version: string | undefined;
  readonly orgId: string | undefined;
  /** 0 = standalone, 1 = cluster, when EnOS reports it. */
  readonly executionMode: number | undefined;
}

/** Get Pipeline Details. EnOS returns no status here. */
export interface PipelineDetails {
  readonly pipelineId: string;
  readonly pipelineName: string;
  readonly version: string | undefined;
  readonly desc: string | undefined;
  readonly templateType: string | undefined;
}

/** Body of the Start Pipeline call, exactly as EnOS documents it. */
export interface StartPipelineBody {
  readonly executionMode: 0 | 1;
  readonly kafkaRate: number;
  readonly resourceConfig:
    | { readonly server: number | string }
    | {
        readonly server: number | string;
        readonly yarn?: { readonly workerCount: number; readonly master: number; readonly slave: number };
        readonly advanced?: readonly { readonly key: string; readonly value: string }[];
      };
}

/** How a start call treats EnOS 61121 (another start in progress in the org). */
export interface StartOptions {
  /** Retry 61121 in the client a few times (default true); false when the caller waits the org out itself. */
  readonly retryOrgBusy?: boolean;
}

export interface OffsetLag {
  readonly pipelineId: string;
  readonly topicName: string | undefined;
  readonly lagAndOffset: readonly { readonly lag: number; readonly offset: number; readonly ts: number }[];
}

/** Batch processing v2.1 flow object (the fields the provider reads; others are passed over). */
export interface Flow {
  readonly flowId: number;
  readonly flowName: string;
  /** 0 = schedule paused, 1 = scheduled. */
  readonly active: 0 | 1;
  readonly freq: string | undefined;
  readonly cycle: string | undefined;
  readonly owner: string | undefined;
  /** True when EnOS says the flow is locked (locked = 1/true). */
  readonly locked: boolean;
  /** True when EnOS says the calling user is locked (isUserLocked = 1/true). */
  readonly isUserLocked: boolean;
}

/** Typed EnOS calls the resources need; EnosClient implements it. */
export interface EnosApi {
  /** Every page of List Pipelines, paging until a short page (EnOS `count` is not trusted as a total). */
  listPipelines(orgId: string, options?: { readonly ifReleased?: boolean }): Promise<PipelineSummary[]>;
  getPipeline(
    orgId: string,
    pipelineId: string,
    options?: { readonly ifReleased?: boolean },
  ): Promise<PipelineDetails>;
  /**
   * Live status of one released pipeline, from List Pipelines (EnOS has no status endpoint). Concurrent
   * callers in one process share one listing per org. `notBefore` (epoch ms) asks for a listing that
   * started no earlier than that instant, so a poll after a mutation never sees a pre-mutation answer.
   * Resolves undefined when the pipeline is not among the released pipelines.
   */
  getPipelineStatus(
    orgId: string,
    pipelineId: string,
    options?: { readonly notBefore?: number; readonly refresh?: boolean },
  ): Promise<PipelineSummary | undefined>;
  releasePipeline(orgId: string, pipelineId: string): Promise<void>;
  startPipeline(
    orgId: string,
    pipelineId: string,
    body: StartPipelineBody,
    options?: StartOptions,
  ): Promise<void>;
  pausePipeline(orgId: string, pipelineId: string): Promise<void>;
  stopPipeline(orgId: string, pipelineId: string): Promise<void>;
  resetPipelineOffset(orgId: string, pipelineId: string): Promise<void>;
  getOffsetLag(orgId: string, pipelineId: string): Promise<OffsetLag>;
  getFlow(orgId: string, userId: string, flowId: number): Promise<Flow>;
  enableFlow(orgId: string, userId: string, flowId: number): Promise<void>;
  disableFlow(orgId: string, userId: string, flowId: number): Promise<void>;
}
