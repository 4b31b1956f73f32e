/**
 * Stream processing v2.0 (`/streaming/v2.0/streaming`): list, details, operate (save/release/start/pause/stop),
 * offset-lag and offset reset, with the status machine and error codes of docs/ENOS-API.md.
 */
import type { FaultStore } from "./faults.js";
import { kafkaRateOf, samplesAt, type RunModel } from "./kafka.js";
import { type Reply, fail, ok } from "./reply.js";
import type { Route } from "./route.js";
import { parseStartBody } from "./start-body.js";
import { type PipelineRecord, type SimState, UNRELEASED, nextVersion } from "./state.js";
import type { SimulatorConfig } from "./types.js";

export interface StreamingDeps {
  readonly state: SimState;
  readonly faults: FaultStore;
  readonly config: () => SimulatorConfig;
  readonly clock: () => number;
}

export interface ApiCall {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly bodyText: string;
  readonly route: Route;
  /** Org the call names (already checked against the app). */
  readonly orgId: string;
}

const RELEASABLE = new Set([UNRELEASED, "PUBLISHED", "STOPPED", "PAUSED", "RUN_ERROR"]);
const STARTABLE = new Set(["PUBLISHED", "STOPPED", "PAUSED", "RUN_ERROR"]);
const STOPPABLE = new Set(["RUNNING", "PAUSED", "RUN_ERROR"]);

const MODE_NAMES = ["standalone", "cluster"] as const;

/** Parse a boolean query flag; undefined when absent, null when not true/false. */
function flag(query: URLSearchParams, name: string): boolean | undefined | null {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const lower = raw.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : null;
}

function positiveInt(query: URLSearchParams, name: string, fallback: number): number | null {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  return /^\d+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : null;
}

function notFound(call: ApiCall, pipelineId: string): Reply {
  return fail(call.requestId, 61108, `Stream processing job does not exist: ${pipelineId}`);
}

export class StreamingApi {
  constructor(private readonly deps: StreamingDeps) {}

  handle(call: ApiCall): Reply {
    const { route } = call;
    const id = route.pipelineId ?? "";
    switch (route.endpoint) {
      case "listPipelines":
        return this.list(call);
      case "getPipeline":
        return this.details(call, id);
      case "getOffsetLag":
        return this.offsetLag(call, id);
      case "resetOffset":
        return this.resetOffset(call, id);
      case "savePipeline":
      case "releasePipeline":
      case "startPipeline":
      case "pausePipeline":
      case "stopPipeline":
      case "operatePipeline":
        return this.operate(call, id);
      default:
        return fail(call.requestId, 99404, `No such API: ${call.method} ${call.path}`, 404);
    }
  }

  private list(call: ApiCall): Reply {
    const pageNo = positiveInt(call.query, "pageNo", 1);
    const pageSize = positiveInt(call.query, "pageSize", 10);
    const ifReleased = flag(call.query, "ifReleased");
    const isSystem = flag(call.query, "isSystem");
    if (pageNo === null)
      return fail(call.requestId, 99400, "Invalid parameter: pageNo must be an integer >= 1");
    if (pageSize === null)
      return fail(call.requestId, 99400, "Invalid parameter: pageSize must be an integer >= 1");
    if (ifReleased === null)
      return fail(call.requestId, 99400, "Invalid parameter: ifReleased must be true or false");
    if (isSystem === null)
      return fail(call.requestId, 99400, "Invalid parameter: isSystem must be true or false");
    const released = ifReleased ?? false;
    const system = isSystem ?? false;
    const rows = [...this.deps.state.pipelines.values()].filter((p) => {
      if (p.orgId !== call.orgId || p.isSystem !== system) return false;
      const isReleased = p.releasedVersion !== null || p.status === "RELEASING";
      // Design view: never released, or a saved draft newer than what is released.
      return released ? isReleased : p.releasedVersion === null || p.draftVersion !== p.releasedVersion;
    });
    const page = rows.slice((pageNo - 1) * pageSize, pageNo * pageSize);
    return ok(call.requestId, {
      count: rows.length,
      pipelines: page.map((p) => ({
        pipelineId: p.pipelineId,
        pipelineName: p.pipelineName,
        status: p.status,
        version: released ? (p.releasedVersion ?? p.draftVersion) : p.draftVersion,
        orgId: p.orgId,
        updateTime: p.updateTime,
        templateType: p.templateType,
        executionMode: p.executionMode,
        alarmConfig: p.alarmConfig,
      })),
    });
  }

  private details(call: ApiCall, id: string): Reply {
    const ifReleased = flag(call.query, "ifReleased");
    if (ifReleased === null)
      return fail(call.requestId, 99400, "Invalid parameter: ifReleased must be true or false");
    const p = this.deps.state.pipelineIn(call.orgId, id);
    if (!p) return notFound(call, id);
    if (ifReleased === true && p.releasedVersion === null) {
      return fail(call.requestId, 61108, `Stream processing job ${id} has not been released`);
    }
    return ok(call.requestId, {
      pipelineId: p.pipelineId,
      pipelineName: p.pipelineName,
      desc: p.desc,
      version: ifReleased === true ? p.releasedVersion : p.draftVersion,
      templateType: p.templateType,
      templateName: p.templateName,
      messageChannel: p.messageChannel,
      pipelineJson: p.pipelineJson,
    });
  }

  private operate(call: ApiCall, id: string): Reply {
    const action = call.route.action ?? "";
    if (!["save", "release", "start", "pause", "stop"].includes(action)) {
      return fail(
        call.requestId,
        99400,
        `Invalid parameter: action must be save, release, start, pause or stop`,
      );
    }
    const p = this.deps.state.pipelineIn(call.orgId, id);
    if (!p) return notFound(call, id);
    switch (action) {
      case "save":
        return this.save(call, p);
      case "release":
        return this.release(call, p);
      case "start":
        return this.start(call, p);
      case "pause":
        return this.pause(call, p);
      default:
        return this.stop(call, p);
    }
  }

  private stuck(call: ApiCall): boolean {
    return this.deps.faults.takeFirst(["stuck"], call) !== undefined;
  }

  private save(call: ApiCall, p: PipelineRecord): Reply {
    try {
      const body = JSON.parse(call.bodyText || "{}") as { pipelineJson?: unknown } | null;
      if (typeof body?.pipelineJson === "string") p.pipelineJson = body.pipelineJson;
    } catch {
      return fail(
        call.requestId,
        61100,
        "The Stream configuration JSON is invalid: the request body is not JSON",
      );
    }
    p.draftVersion = nextVersion(p.draftVersion);
    p.updateTime = this.deps.clock();
    return ok(call.requestId);
  }

  private release(call: ApiCall, p: PipelineRecord): Reply {
    if (!RELEASABLE.has(p.status)) {
      return fail(
        call.requestId,
        61169,
        `Failed to release the stream processing job because it is not stopped or paused (status [${p.status}])`,
      );
    }
    this.deps.state.beginTransition(
      p,
      "release",
      "PUBLISHED",
      this.deps.config().delays.release,
      this.stuck(call),
    );
    return ok(call.requestId);
  }

  private start(call: ApiCall, p: PipelineRecord): Reply {
    const { state } = this.deps;
    const parsed = parseStartBody(call.bodyText);
    if ("error" in parsed) {
      return fail(call.requestId, 61100, `The Stream configuration JSON is invalid: ${parsed.error}`);
    }
    if (!STARTABLE.has(p.status)) {
      return fail(call.requestId, 61165, `Stream processing job with status [${p.status}] cannot be started`);
    }
    if (state.startingIn(p.orgId)) {
      return fail(
        call.requestId,
        61121,
        "Another user in the organization is starting a stream processing job. Please try again later.",
      );
    }
    const { mode, cu, body } = parsed.ok;
    const org = state.orgs.get(p.orgId);
    const quota = org ? (mode === 0 ? org.quotas.standalone : org.quotas.cluster) : null;
    if (quota === null) {
      return fail(
        call.requestId,
        61128,
        `Your organization has not requested ${MODE_NAMES[mode]} processing resource. Please request the resource and then start the jobs.`,
      );
    }
    const free = quota - state.usedCu(p.orgId, mode);
    if (cu > free) {
      return fail(
        call.requestId,
        61126,
        `Allocated resource is not enough to start a stream processing job: asked for ${cu} CU, ${free} of ${quota} ${MODE_NAMES[mode]} CU free`,
      );
    }
    p.lastStartBody = body;
    p.startCount++;
    p.heldCu = cu;
    p.heldMode = mode;
    p.executionMode = mode;
    p.kafkaRate = kafkaRateOf(body);
    p.run = this.runModel(call, p.seedRun);
    const fails = this.deps.faults.takeFirst(["startError"], call) !== undefined;
    state.beginTransition(
      p,
      "start",
      fails ? "RUN_ERROR" : "RUNNING",
      this.deps.config().delays.start,
      this.stuck(call),
    );
    return ok(call.requestId);
  }

  /** The run a start begins: the seed's options, changed by every health fault the start matches. */
  private runModel(call: ApiCall, seedRun: RunModel): RunModel {
    let run = seedRun;
    for (const rule of this.deps.faults.takeAll(["lagGrowth", "offsetStall", "crash"], call)) {
      if (rule.kind === "lagGrowth") run = { ...run, lagPerSecond: run.lagPerSecond + rule.lagPerSecond };
      else if (rule.kind === "offsetStall") run = { ...run, stalled: true };
      else {
        const { crashAfterMs: _ms, crashAfterSamples: _samples, ...rest } = run;
        run = {
          ...rest,
          crashStatus: rule.status,
          ...(rule.afterMs === undefined ? {} : { crashAfterMs: rule.afterMs }),
          ...(rule.afterSamples === undefined ? {} : { crashAfterSamples: rule.afterSamples }),
        };
      }
    }
    return run;
  }

  private pause(call: ApiCall, p: PipelineRecord): Reply {
    if (p.status !== "RUNNING") {
      return fail(
        call.requestId,
        61152,
        `Status of the stream processing job cannot be changed from [${p.status}] to Paused`,
      );
    }
    this.deps.state.beginTransition(p, "pause", "PAUSED", this.deps.config().delays.pause, this.stuck(call));
    return ok(call.requestId);
  }

  private stop(call: ApiCall, p: PipelineRecord): Reply {
    if (!STOPPABLE.has(p.status)) {
      return fail(
        call.requestId,
        61152,
        `Status of the stream processing job cannot be changed from [${p.status}] to Stopped`,
      );
    }
    this.deps.state.beginTransition(p, "stop", "STOPPED", this.deps.config().delays.stop, this.stuck(call));
    return ok(call.requestId);
  }

  private offsetLag(call: ApiCall, id: string): Reply {
    const p = this.deps.state.pipelineIn(call.orgId, id);
    if (!p) return notFound(call, id);
    if (p.status !== "RUNNING") {
      return fail(
        call.requestId,
        99000,
        `Failed to get offset and lag: the job is not running (status [${p.status}])`,
      );
    }
    const reply = ok(call.requestId, {
      pipelineId: p.pipelineId,
      topicName: `stream_${p.orgId}_${p.pipelineId}`,
      lagAndOffset: samplesAt(p, this.deps.clock()),
    });
    this.deps.state.sampleServed(p);
    return reply;
  }

  private resetOffset(call: ApiCall, id: string): Reply {
    const p = this.deps.state.pipelineIn(call.orgId, id);
    if (!p) return notFound(call, id);
    if (p.status !== "PAUSED" && p.status !== "STOPPED") {
      return fail(
        call.requestId,
        61168,
        `Failed to get the Kafka average rate: the offset can be reset only when the job is paused or stopped (status [${p.status}])`,
      );
    }
    p.offsetBase = 0;
    p.offsetResets++;
    p.updateTime = this.deps.clock();
    return ok(call.requestId);
  }
}
