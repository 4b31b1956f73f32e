/**
 * The simulator's world: orgs, users, pipelines and flows, and the timers that finish pipeline transitions.
 * Every check-and-change happens synchronously inside one handler call, so concurrent requests cannot
 * interleave between a status check and the status change (Node runs one handler at a time).
 */
import { HEALTHY_RUN, lagAt, offsetAt, type RunModel } from "./kafka.js";
import type { ParsedSeed } from "./seed.js";
import type { FlowState, OrgState, PipelineState, TransitionState, UserState } from "./types.js";

export type Mode = 0 | 1;
export type TransitionAction = TransitionState["action"];

export const UNRELEASED = "UNRELEASED";

/** Transitional status shown while each action is in progress. */
export const TRANSITIONAL_STATUS: Readonly<Record<TransitionAction, string>> = {
  release: "RELEASING",
  start: "STARTING",
  pause: "PAUSING",
  stop: "STOPPING",
};

/** Statuses in which a pipeline still occupies its CUs. */
const HOLDING_STATUSES: ReadonlySet<string> = new Set(["RUNNING", "STARTING", "PAUSING", "STOPPING"]);

export interface OrgRecord {
  readonly orgId: string;
  quotas: { standalone: number | null; cluster: number | null };
}

export interface UserRecord {
  readonly userId: string;
  readonly orgId: string;
  locked: boolean;
}

interface TransitionRecord extends Omit<TransitionState, "completesAt"> {
  completesAt: number | null;
  timer: NodeJS.Timeout | undefined;
}

/** Health faults and seed options of a pipeline as its seed gives them (every run starts from these). */
export type SeedRun = RunModel;

export interface PipelineRecord {
  readonly pipelineId: string;
  readonly orgId: string;
  pipelineName: string;
  desc: string;
  templateType: string;
  templateName: string;
  messageChannel: string;
  pipelineJson: string;
  isSystem: boolean;
  alarmConfig: unknown;
  status: string;
  draftVersion: string;
  releasedVersion: string | null;
  executionMode: Mode;
  updateTime: number;
  transition: TransitionRecord | null;
  lastStartBody: unknown;
  startCount: number;
  heldCu: number;
  heldMode: Mode;
  /** Kafka offset at `runningSince` (or now, when not running). */
  offsetBase: number;
  runningSince: number | null;
  offsetResets: number;
  /** Records/s of the input topic: the kafkaRate of the last start (see kafka.ts). */
  kafkaRate: number;
  /** How the current (or next) run behaves: seed options plus the health faults that matched its start. */
  run: RunModel;
  /** What every run starts from (the seed's `kafka` options). */
  seedRun: RunModel;
  /** Offset-lag answers served since the pipeline last reached RUNNING. */
  samplesServed: number;
  /** The pending `crashAfterMs`, if any. */
  crashTimer: NodeJS.Timeout | undefined;
  /** Transitions are held (admin `hold`): they stay transitional until `proceed`. */
  held: boolean;
}

export interface FlowRecord {
  readonly flowId: number;
  readonly orgId: string;
  flowName: string;
  active: 0 | 1;
  owner: string;
  visitor: string;
  creator: string;
  locked: boolean;
  freq: string;
  cycle: string;
  type: 0 | 1 | 2;
  desc: string;
  parameters: unknown[];
  alertMode: number;
  startTime: number | null;
  createTime: number;
  updateTime: number;
  updateUser: string;
}

export type SeedPipeline = ParsedSeed["pipelines"][number];

/** Next draft version: numeric versions count up, anything else gets ".1" appended. */
export function nextVersion(version: string): string {
  return /^\d+$/.test(version) ? String(Number(version) + 1) : `${version}.1`;
}

export class SimState {
  readonly orgs = new Map<string, OrgRecord>();
  readonly users = new Map<string, UserRecord>();
  /** Insertion order = listing order (stable, so paging is stable). */
  readonly pipelines = new Map<string, PipelineRecord>();
  readonly flows = new Map<number, FlowRecord>();

  constructor(private readonly clock: () => number) {}

  load(seed: ParsedSeed): void {
    this.clearTimers();
    this.orgs.clear();
    this.users.clear();
    this.pipelines.clear();
    this.flows.clear();
    const now = this.clock();
    for (const org of seed.orgs) {
      this.orgs.set(org.orgId, {
        orgId: org.orgId,
        quotas: { standalone: org.quotas.standalone ?? null, cluster: org.quotas.cluster ?? null },
      });
    }
    for (const user of seed.users) {
      this.users.set(user.userId, { userId: user.userId, orgId: user.orgId, locked: user.locked });
    }
    for (const p of seed.pipelines) this.upsertPipeline(p);
    for (const f of seed.flows) {
      this.flows.set(f.flowId, {
        flowId: f.flowId,
        orgId: f.orgId,
        flowName: f.flowName,
        active: f.active,
        owner: f.owner,
        visitor: f.visitor,
        creator: f.creator,
        locked: f.locked,
        freq: f.freq,
        cycle: f.cycle,
        type: f.type,
        desc: f.desc,
        parameters: f.parameters,
        alertMode: f.alertMode,
        startTime: f.startTime,
        createTime: now,
        updateTime: now,
        updateUser: f.creator,
      });
    }
  }

  /** Create or replace a pipeline from its seed form (admin API and seed loading). */
  upsertPipeline(p: SeedPipeline): PipelineRecord {
    const existing = this.pipelines.get(p.pipelineId);
    if (existing) this.cancelTransition(existing);
    const now = this.clock();
    const seedRun: RunModel = { ...HEALTHY_RUN, ...p.kafka };
    const record: PipelineRecord = {
      pipelineId: p.pipelineId,
      orgId: p.orgId,
      pipelineName: p.pipelineName,
      desc: p.desc,
      templateType: p.templateType,
      templateName: p.templateName,
      messageChannel: p.messageChannel,
      pipelineJson: p.pipelineJson,
      isSystem: p.isSystem,
      alarmConfig: p.alarmConfig,
      status: p.status,
      draftVersion: p.draftVersion,
      releasedVersion: p.releasedVersion,
      executionMode: p.executionMode,
      updateTime: now,
      transition: null,
      lastStartBody: null,
      startCount: 0,
      heldCu: p.cu,
      heldMode: p.executionMode,
      offsetBase: 0,
      runningSince: p.status === "RUNNING" ? now : null,
      offsetResets: 0,
      kafkaRate: p.kafkaRate,
      run: seedRun,
      seedRun,
      samplesServed: 0,
      crashTimer: undefined,
      held: false,
    };
    this.pipelines.set(p.pipelineId, record);
    if (record.status === "RUNNING") this.armCrash(record);
    return record;
  }

  deletePipeline(id: string): boolean {
    const p = this.pipelines.get(id);
    if (!p) return false;
    this.cancelTransition(p);
    return this.pipelines.delete(id);
  }

  /** A pipeline of this org, or undefined (a pipeline of another org is "not found" too). */
  pipelineIn(orgId: string, id: string): PipelineRecord | undefined {
    const p = this.pipelines.get(id);
    return p?.orgId === orgId ? p : undefined;
  }

  /** CUs in use in this org and mode. */
  usedCu(orgId: string, mode: Mode): number {
    let used = 0;
    for (const p of this.pipelines.values()) {
      if (p.orgId === orgId && p.heldMode === mode && HOLDING_STATUSES.has(p.status)) used += p.heldCu;
    }
    return used;
  }

  /** The pipeline currently starting in this org (the org's start lock), if any. */
  startingIn(orgId: string): PipelineRecord | undefined {
    for (const p of this.pipelines.values()) {
      if (p.orgId === orgId && p.status === TRANSITIONAL_STATUS.start) return p;
    }
    return undefined;
  }

  currentOffset(p: PipelineRecord): number {
    return offsetAt(p, this.clock());
  }

  /** Count one offset-lag answer of the run; the run's `crashAfterSamples` turns the pipeline to its error status. */
  sampleServed(p: PipelineRecord): void {
    p.samplesServed += 1;
    const limit = p.run.crashAfterSamples;
    if (limit !== undefined && p.samplesServed >= limit && p.status === "RUNNING") this.crash(p);
  }

  /** A run that reached RUNNING: start its `crashAfterMs` clock. */
  private armCrash(p: PipelineRecord): void {
    p.samplesServed = 0;
    const after = p.run.crashAfterMs;
    if (after === undefined) return;
    p.crashTimer = setTimeout(() => {
      p.crashTimer = undefined;
      if (p.status === "RUNNING") this.crash(p);
    }, after);
  }

  private crash(p: PipelineRecord): void {
    this.clearCrash(p);
    p.offsetBase = this.currentOffset(p);
    p.runningSince = null;
    p.status = p.run.crashStatus;
    p.updateTime = this.clock();
  }

  private clearCrash(p: PipelineRecord): void {
    if (p.crashTimer !== undefined) clearTimeout(p.crashTimer);
    p.crashTimer = undefined;
  }

  /**
   * Put the pipeline in the action's transitional status and finish it after `delayMs` with `finalStatus`
   * (synchronously when the delay is 0). A stuck transition never finishes; a held one waits for `proceed`.
   */
  beginTransition(
    p: PipelineRecord,
    action: TransitionAction,
    finalStatus: string,
    delayMs: number,
    stuck: boolean,
  ): void {
    this.cancelTransition(p);
    const now = this.clock();
    const from = p.status;
    p.updateTime = now;
    const waits = stuck || p.held;
    if (delayMs <= 0 && !waits) {
      this.finish(p, action, finalStatus);
      return;
    }
    p.status = TRANSITIONAL_STATUS[action];
    const transition: TransitionRecord = {
      action,
      from,
      to: finalStatus,
      startedAt: now,
      completesAt: waits ? null : now + delayMs,
      timer: undefined,
    };
    if (!waits) {
      transition.timer = setTimeout(() => {
        if (p.transition === transition) {
          p.transition = null;
          this.finish(p, action, finalStatus);
        }
      }, delayMs);
    }
    p.transition = transition;
  }

  private finish(p: PipelineRecord, action: TransitionAction, finalStatus: string): void {
    const now = this.clock();
    switch (action) {
      case "release":
        p.releasedVersion = p.draftVersion;
        break;
      case "start":
        if (finalStatus === "RUNNING") {
          p.runningSince = now;
          this.armCrash(p);
        }
        break;
      case "pause":
        p.offsetBase = this.currentOffset(p);
        p.runningSince = null;
        break;
      case "stop":
        // Stop clears cached data and offsets.
        p.offsetBase = 0;
        p.runningSince = null;
        break;
    }
    p.status = finalStatus;
    p.updateTime = now;
  }

  /**
   * Hold the pipeline's transitions (admin): the one in progress, and any started later, stays in its
   * transitional status until {@link proceed}, however long its delay. Tests use it instead of racing a timer.
   */
  hold(p: PipelineRecord): void {
    p.held = true;
    const t = p.transition;
    if (t === null) return;
    if (t.timer !== undefined) clearTimeout(t.timer);
    t.timer = undefined;
    t.completesAt = null;
  }

  /** Stop holding; a transition in progress (held or stuck) finishes now. */
  proceed(p: PipelineRecord): void {
    p.held = false;
    const t = p.transition;
    if (t === null) return;
    this.cancelTransition(p);
    this.finish(p, t.action, t.to);
  }

  cancelTransition(p: PipelineRecord): void {
    if (p.transition?.timer !== undefined) clearTimeout(p.transition.timer);
    p.transition = null;
    this.clearCrash(p);
  }

  /** Set a status out of band (a console user); cancels any transition in progress. */
  forceStatus(p: PipelineRecord, status: string): void {
    this.cancelTransition(p);
    const now = this.clock();
    if (status === UNRELEASED) {
      p.releasedVersion = null;
    } else if (p.releasedVersion === null) {
      p.releasedVersion = p.draftVersion;
    }
    if (status === "RUNNING" && p.status !== "RUNNING") {
      // A console start: the run behaves as the seed says, without the faults of a provider's start.
      p.run = p.seedRun;
      p.runningSince = now;
      this.armCrash(p);
    } else if (status !== "RUNNING" && p.runningSince !== null) {
      p.offsetBase = status === "STOPPED" ? 0 : this.currentOffset(p);
      p.runningSince = null;
    }
    p.status = status;
    p.updateTime = now;
  }

  clearTimers(): void {
    for (const p of this.pipelines.values()) this.cancelTransition(p);
  }

  orgState(org: OrgRecord): OrgState {
    return {
      orgId: org.orgId,
      quotas: { ...org.quotas },
      used: { standalone: this.usedCu(org.orgId, 0), cluster: this.usedCu(org.orgId, 1) },
      startingPipelineId: this.startingIn(org.orgId)?.pipelineId ?? null,
    };
  }

  pipelineState(p: PipelineRecord): PipelineState {
    const t = p.transition;
    return {
      pipelineId: p.pipelineId,
      orgId: p.orgId,
      pipelineName: p.pipelineName,
      status: p.status,
      draftVersion: p.draftVersion,
      releasedVersion: p.releasedVersion,
      executionMode: p.executionMode,
      templateType: p.templateType,
      isSystem: p.isSystem,
      updateTime: p.updateTime,
      transition:
        t === null
          ? null
          : { action: t.action, from: t.from, to: t.to, startedAt: t.startedAt, completesAt: t.completesAt },
      lastStartBody: p.lastStartBody,
      startCount: p.startCount,
      heldCu: p.heldCu,
      offset: this.currentOffset(p),
      offsetResets: p.offsetResets,
      kafkaRate: p.kafkaRate,
      lag: p.status === "RUNNING" ? lagAt(p, this.clock()) : null,
      samplesServed: p.samplesServed,
      run: { ...p.run },
      held: p.held,
    };
  }

  flowState(f: FlowRecord): FlowState {
    return {
      flowId: f.flowId,
      orgId: f.orgId,
      flowName: f.flowName,
      active: f.active,
      owner: f.owner,
      visitor: f.visitor,
      locked: f.locked,
      freq: f.freq,
      cycle: f.cycle,
      type: f.type,
      updateTime: f.updateTime,
      updateUser: f.updateUser,
    };
  }

  userState(u: UserRecord): UserState {
    return { userId: u.userId, orgId: u.orgId, locked: u.locked };
  }
}
