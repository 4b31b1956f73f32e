/**
 * Shapes the admin API returns (and SimulatorAdmin types its results with). Plain JSON, no classes.
 */
import type { FaultRule } from "./faults.js";
import type { RunModel } from "./kafka.js";

/** Transition delays in milliseconds. A delay of 0 completes the transition within the call. */
export interface Delays {
  readonly start: number;
  readonly pause: number;
  readonly stop: number;
  readonly release: number;
}

/** Runtime settings, changeable through `POST /__sim/config`. */
export interface SimulatorConfig {
  readonly delays: Delays;
  /** Added to every EnOS call (not to admin calls). */
  readonly latencyMs: number;
  /** Lifetime of newly issued access tokens. */
  readonly tokenTtlSeconds: number;
}

/** A transition in progress. `completesAt` is null while it is held, or when a "stuck" fault holds it forever. */
export interface TransitionState {
  readonly action: "release" | "start" | "pause" | "stop";
  readonly from: string;
  readonly to: string;
  readonly startedAt: number;
  readonly completesAt: number | null;
}

export interface PipelineState {
  readonly pipelineId: string;
  readonly orgId: string;
  readonly pipelineName: string;
  /** Live status; `UNRELEASED` when the pipeline was never released. */
  readonly status: string;
  readonly draftVersion: string;
  readonly releasedVersion: string | null;
  readonly executionMode: 0 | 1;
  readonly templateType: string;
  readonly isSystem: boolean;
  readonly updateTime: number;
  readonly transition: TransitionState | null;
  /** Parsed body of the last accepted start call (what the provider asked for), null if never started here. */
  readonly lastStartBody: unknown;
  /** Accepted start calls since the last reset. */
  readonly startCount: number;
  /** CUs this pipeline holds (counted against the org quota while RUNNING/STARTING/PAUSING/STOPPING). */
  readonly heldCu: number;
  readonly offset: number;
  readonly offsetResets: number;
  /** Records/s of the input topic (the kafkaRate of the last start). */
  readonly kafkaRate: number;
  /** Consumer lag now, null when not RUNNING. */
  readonly lag: number | null;
  /** Offset-lag answers served since the pipeline last reached RUNNING. */
  readonly samplesServed: number;
  /** How the current run behaves (seed options and the health faults its start matched). */
  readonly run: RunModel;
  /** Transitions are held by the admin API until `proceed`. */
  readonly held: boolean;
}

export interface FlowState {
  readonly flowId: number;
  readonly orgId: string;
  readonly flowName: string;
  readonly active: 0 | 1;
  readonly owner: string;
  readonly visitor: string;
  readonly locked: boolean;
  readonly freq: string;
  readonly cycle: string;
  readonly type: 0 | 1 | 2;
  readonly updateTime: number;
  readonly updateUser: string;
}

export interface UserState {
  readonly userId: string;
  readonly orgId: string;
  readonly locked: boolean;
}

export interface OrgState {
  readonly orgId: string;
  /** null = the org has no resources in that mode (a start in it gets 61128). */
  readonly quotas: { readonly standalone: number | null; readonly cluster: number | null };
  readonly used: { readonly standalone: number; readonly cluster: number };
  /** The pipeline holding the org's start lock (status STARTING), if any. */
  readonly startingPipelineId: string | null;
}

export interface SimulatorStateSnapshot {
  readonly orgs: readonly OrgState[];
  readonly apps: readonly { readonly accessKey: string; readonly orgId: string | null }[];
  readonly users: readonly UserState[];
  readonly pipelines: readonly PipelineState[];
  readonly flows: readonly FlowState[];
  readonly faults: readonly FaultRule[];
  readonly config: SimulatorConfig;
  readonly tokens: { readonly live: number };
}

/** One EnOS call as the simulator saw it. Never holds the access token, the signature or `encryption`. */
export interface RequestLogEntry {
  readonly seq: number;
  /** Simulator clock (epoch ms) when the request arrived. */
  readonly at: number;
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Raw body text (token-service secrets redacted), null when empty. */
  readonly body: string | null;
  /** Logical endpoint, e.g. `startPipeline`, `listPipelines`, `enableFlow`, `tokenGet`, `unknown`. */
  readonly endpoint: string;
  /** HTTP status sent; 0 when the connection was reset instead. */
  readonly httpStatus: number;
  /** Envelope `code`/`status` sent, null when none (reset, non-JSON). */
  readonly code: number | null;
  /** True for release/start/pause/stop/save/offset-reset/enable/disable, whether or not it succeeded. */
  readonly mutation: boolean;
  readonly pipelineId?: string;
  readonly flowId?: number;
  readonly action?: string;
  readonly orgId?: string;
  /** Kinds of the fault rules that fired for this request. */
  readonly faults: readonly string[];
  readonly requestId: string;
}

export interface CallCounts {
  readonly total: number;
  readonly mutations: number;
  readonly byEndpoint: Readonly<Record<string, number>>;
}
