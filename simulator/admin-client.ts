/**
 * Typed client of the simulator's admin API (`/__sim/`), usable from any process that can reach it over
 * loopback: tests, the demo, the bench, a user's CI script.
 */
import type { ConfigPatch } from "./admin.js";
import type { FaultRule, FaultRuleInput } from "./faults.js";
import type { Seed } from "./seed.js";
import type {
  CallCounts,
  FlowState,
  OrgState,
  PipelineState,
  RequestLogEntry,
  SimulatorConfig,
  SimulatorStateSnapshot,
  UserState,
} from "./types.js";

/** A pipeline as the seed (and `POST /__sim/pipelines`) describes it. */
export type SeedPipelineInput = NonNullable<Seed["pipelines"]>[number];

export class SimulatorAdmin {
  /** @param url the simulator's base URL, e.g. `http://127.0.0.1:38123` */
  constructor(readonly url: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { "content-type": "application/json" };
    }
    const res = await fetch(`${this.url.replace(/\/$/, "")}/__sim/${path}`, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const error = (json as { error?: unknown } | undefined)?.error;
      const detail = typeof error === "string" ? error : text;
      throw new Error(`enos-sim admin ${method} /__sim/${path}: HTTP ${res.status} ${detail}`);
    }
    return json as T;
  }

  /** Back to the seed (or to `seed`, which then becomes the seed): state, tokens, faults, log, counts, config. */
  async reset(seed?: Seed): Promise<void> {
    await this.call("POST", "reset", seed === undefined ? {} : { seed });
  }

  state(): Promise<SimulatorStateSnapshot> {
    return this.call("GET", "state");
  }

  pipeline(pipelineId: string): Promise<PipelineState> {
    return this.call("GET", `pipelines/${encodeURIComponent(pipelineId)}`);
  }

  /** Create or replace a pipeline (seed format). */
  upsertPipeline(pipeline: SeedPipelineInput): Promise<PipelineState> {
    return this.call("POST", "pipelines", pipeline);
  }

  /** Set a status out of band, as a console user would (cancels any transition in progress). */
  setPipelineStatus(pipelineId: string, status: string): Promise<PipelineState> {
    return this.call("POST", `pipelines/${encodeURIComponent(pipelineId)}/status`, { status });
  }

  /** Save a new draft: draftVersion + 1, or the given version. */
  saveDraft(pipelineId: string, version?: string): Promise<PipelineState> {
    return this.call(
      "POST",
      `pipelines/${encodeURIComponent(pipelineId)}/draft`,
      version === undefined ? {} : { version },
    );
  }

  async deletePipeline(pipelineId: string): Promise<void> {
    await this.call("DELETE", `pipelines/${encodeURIComponent(pipelineId)}`);
  }

  /**
   * Hold the pipeline's transitions: the one in progress, and any started later (even with a 0 ms delay),
   * stays in its transitional status (STARTING, PAUSING, …) until {@link proceed}. Lets a test act while a
   * transition is under way without racing the simulator's timer.
   */
  holdTransitions(pipelineId: string): Promise<PipelineState> {
    return this.call("POST", `pipelines/${encodeURIComponent(pipelineId)}/hold`);
  }

  /** Stop holding; a transition in progress (held, or stuck by a fault) finishes now. */
  proceed(pipelineId: string): Promise<PipelineState> {
    return this.call("POST", `pipelines/${encodeURIComponent(pipelineId)}/proceed`);
  }

  setFlow(
    flowId: number,
    patch: { active?: 0 | 1 | boolean; locked?: boolean; owner?: string; visitor?: string },
  ): Promise<FlowState> {
    return this.call("POST", `flows/${flowId}`, patch);
  }

  setUser(userId: string, patch: { locked: boolean }): Promise<UserState> {
    return this.call("POST", `users/${encodeURIComponent(userId)}`, patch);
  }

  /** Change an org's CU quotas; null removes the mode (starts in it then get 61128). */
  setQuotas(
    orgId: string,
    quotas: { standalone?: number | null; cluster?: number | null },
  ): Promise<OrgState> {
    return this.call("POST", `orgs/${encodeURIComponent(orgId)}/quotas`, quotas);
  }

  /** Add fault rules; resolves their ids. */
  async addFaults(rules: readonly FaultRuleInput[]): Promise<string[]> {
    return (await this.call<{ ids: string[] }>("POST", "faults", { rules })).ids;
  }

  async addFault(rule: FaultRuleInput): Promise<string> {
    const [id] = await this.addFaults([rule]);
    return id ?? "";
  }

  async faults(): Promise<FaultRule[]> {
    return (await this.call<{ rules: FaultRule[] }>("GET", "faults")).rules;
  }

  async removeFault(id: string): Promise<boolean> {
    return (await this.call<{ deleted: boolean }>("DELETE", `faults/${encodeURIComponent(id)}`)).deleted;
  }

  async clearFaults(): Promise<void> {
    await this.call("DELETE", "faults");
  }

  /** Logged EnOS calls with seq > `since` (all when omitted), oldest first. */
  async requests(since?: number): Promise<RequestLogEntry[]> {
    const query = since === undefined ? "" : `?since=${since}`;
    return (await this.call<{ requests: RequestLogEntry[] }>("GET", `requests${query}`)).requests;
  }

  /** Empty the request log and zero the counts. */
  async clearRequests(): Promise<void> {
    await this.call("DELETE", "requests");
  }

  counts(): Promise<CallCounts> {
    return this.call("GET", "counts");
  }

  config(): Promise<SimulatorConfig> {
    return this.call("GET", "config");
  }

  setConfig(patch: ConfigPatch): Promise<SimulatorConfig> {
    return this.call("POST", "config", patch);
  }

  /** Expire every issued access token now; resolves how many were still live. */
  async expireTokens(): Promise<number> {
    return (await this.call<{ expired: number }>("POST", "tokens/expire")).expired;
  }

  /** Poll the admin state until the pipeline shows `status` (or one of them); rejects after `timeoutMs`. */
  async waitForPipelineStatus(
    pipelineId: string,
    status: string | readonly string[],
    timeoutMs = 10_000,
  ): Promise<PipelineState> {
    const wanted = typeof status === "string" ? [status] : status;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.pipeline(pipelineId);
      if (wanted.includes(p.status)) return p;
      if (Date.now() > deadline) {
        throw new Error(
          `pipeline ${pipelineId} is ${p.status}, not ${wanted.join("/")}, after ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
