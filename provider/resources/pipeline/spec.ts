import { z } from "zod";
import { parseDuration } from "../../lifecycle/duration.js";
import type { HealthCheck, JudgedSettings } from "../../lifecycle/health.js";
import { DESIRED_STATES, type DesiredState } from "../../lifecycle/status.js";
import { stackDefaultSource } from "../../config.js";
import { checkHealthInputs } from "./health-spec.js";
import {
  checkDefault,
  checkField,
  containsUnknown,
  idSchema,
  unknownKeyFailures,
  withoutUndefined,
  type CheckFailure,
} from "../common/validation.js";

/** Resolved inputs of an EnosPipelineDeployment: what `check` returns and what state records. */
export interface PipelineSpec {
  readonly pipelineId: string;
  readonly orgId: string;
  readonly desiredState: DesiredState;
  readonly executionMode: "STANDALONE" | "CLUSTER";
  readonly kafkaRate: number;
  readonly resourceConfig: ResourceConfig;
  readonly releaseTrigger?: string;
  readonly offsetResetTrigger?: string;
  /** Changing it restarts the pipeline with the same settings (the retry of a start that failed its check). */
  readonly restartTrigger?: string;
  readonly restartStrategy: "PAUSE" | "STOP";
  readonly onDelete: "STOP" | "PAUSE" | "KEEP";
  readonly timeouts: { readonly create: string; readonly update: string; readonly delete: string };
  /** Checked after every start the provider makes; absent: no check, no offset-lag call. */
  readonly healthCheck?: HealthCheck;
  /** What to do with a pipeline that failed its health check. */
  readonly onUnhealthy?: "KEEP" | "PAUSE" | "STOP";
}

export interface ResourceConfig {
  /** Server resource in CUs. */
  readonly server: number;
  /** CLUSTER only: YARN workers and per-node resources. */
  readonly yarn?: { readonly workerCount: number; readonly master: number; readonly slave: number };
  /** CLUSTER only: Spark settings, sent to EnOS as the documented `[{key, value}]` list. */
  readonly advanced?: Readonly<Record<string, string>>;
}

/** Input names of EnosPipelineDeployment (the program uses them to catch misspelt config keys). */
export const PIPELINE_INPUTS = [
  "pipelineId",
  "orgId",
  "desiredState",
  "executionMode",
  "kafkaRate",
  "resourceConfig",
  "releaseTrigger",
  "offsetResetTrigger",
  "restartTrigger",
  "restartStrategy",
  "onDelete",
  "timeouts",
  "healthCheck",
  "onUnhealthy",
] as const;

export const DEFAULT_TIMEOUT = "10m";
const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** Replace zod's wording only for "wrong type": other issues (unknown keys, ranges) keep their own message. */
const typeError = (message: string) => ({
  error: (issue: { code: string }) => (issue.code === "invalid_type" ? message : undefined),
});

const enumOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: `must be one of ${values.map((v) => `"${v}"`).join(", ")} (${what})` });

const count = (what: string, max: number) =>
  z
    .number({ error: `must be a number (${what})` })
    .int(`must be a whole number (${what})`)
    .min(1, `must be at least 1 (${what})`)
    .max(max, `must be at most ${max} (${what})`);

const triggerSchema = z
  .string({ error: "must be a string; change it to trigger the action (e.g. a version or a date)" })
  .max(256, "must be at most 256 characters");

const durationSchema = z
  .string({ error: 'must be a duration string such as "10m", "90s" or "1h30m"' })
  // One failure per value: a text that is not a duration is not also "not longer than zero".
  .superRefine((text, ctx) => {
    const ms = parseDuration(text);
    const problem =
      ms === undefined
        ? 'must be a duration such as "10m", "90s" or "1h30m" (a number followed by h, m, s or ms, no spaces)'
        : ms <= 0
          ? "must be longer than zero"
          : ms > MAX_TIMEOUT_MS
            ? "must be at most 24h"
            : undefined;
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });

const timeoutsSchema = z
  .object(
    {
      create: durationSchema.optional(),
      update: durationSchema.optional(),
      delete: durationSchema.optional(),
    },
    typeError('must be an object such as { create: "10m", update: "10m", delete: "5m" }'),
  )
  .strict();

const SPARK_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

const standaloneConfig = z
  .object(
    { server: count("CUs for the standalone job", 1024) },
    typeError("must be an object { server: <CUs> }"),
  )
  .strict();

const clusterConfig = z
  .object(
    {
      server: count("CUs for the driver", 1024),
      yarn: z
        .object(
          {
            workerCount: count("YARN workers", 1024),
            master: count("CUs of the YARN master", 1024),
            slave: count("CUs of each YARN worker", 1024),
          },
          typeError("CLUSTER mode needs yarn: { workerCount, master, slave }"),
        )
        .strict(),
      advanced: z
        .record(
          z.string(),
          z.string({ error: 'values must be strings, e.g. "true"' }).max(1024),
          typeError('must be an object such as { "spark.streaming.backpressure.enabled": "true" }'),
        )
        .refine(
          (r) => Object.keys(r).every((key) => SPARK_KEY.test(key)),
          "keys must look like spark.streaming.backpressure.enabled",
        )
        .refine((r) => Object.keys(r).length <= 100, "at most 100 Spark settings")
        .optional(),
    },
    typeError("must be an object { server, yarn: { workerCount, master, slave }, advanced? }"),
  )
  .strict();

/** Checks one input against its schema into `out`; unknown (preview) values pass through untouched. */
type FieldCheck = <T>(name: string, schema: z.ZodType<T>, fallback?: T, fallbackSource?: string) => void;

function fieldChecker(
  news: Record<string, unknown>,
  out: Record<string, unknown>,
  failures: CheckFailure[],
): FieldCheck {
  return (name, schema, fallback, fallbackSource) => {
    const value = news[name];
    if (containsUnknown(value)) out[name] = value;
    else if (value === undefined || value === null)
      out[name] =
        fallback === undefined || fallbackSource === undefined
          ? fallback
          : checkDefault(name, schema, fallback, fallbackSource, failures);
    else out[name] = checkField(name, schema, value, failures);
  };
}

/** `check`: validate and resolve defaults. Unknown (preview) values pass through untouched. */
export function checkPipelineInputs(
  news: Record<string, unknown>,
  defaults: { readonly orgId: string | undefined },
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  unknownKeyFailures(news, PIPELINE_INPUTS, failures);
  const out: Record<string, unknown> = {};
  const field = fieldChecker(news, out, failures);
  checkTarget(field, news, out, failures, defaults.orgId);
  checkRunSettings(field);
  out.resourceConfig = checkResourceConfig(news.resourceConfig, out.executionMode, failures);
  out.timeouts = checkTimeouts(news.timeouts, failures);
  checkHealthInputs(news, out, failures);
  return { inputs: withoutUndefined(out), failures };
}

/** Which pipeline, in which org: both required, the org from the provider's settings when not on the resource. */
function checkTarget(
  field: FieldCheck,
  news: Record<string, unknown>,
  out: Record<string, unknown>,
  failures: CheckFailure[],
  defaultOrgId: string | undefined,
): void {
  field(
    "pipelineId",
    idSchema("the pipeline ID from the EnOS console (Stream Processing > Stream Operation)"),
  );
  if (news.pipelineId === undefined || news.pipelineId === null) {
    failures.push({
      property: "pipelineId",
      reason:
        "pipelineId: required: the ID of an existing pipeline (EnOS console > Stream Processing > Stream Operation)",
    });
  }
  field("orgId", idSchema("the EnOS organisation ID"), defaultOrgId, stackDefaultSource("orgId"));
  if (out.orgId === undefined && !failures.some((f) => f.property === "orgId")) {
    failures.push({
      property: "orgId",
      reason:
        "orgId: required: set it on the resource or run `pulumi config set enos:orgId <org id>` (the ENOS_ORG_ID environment variable is not a resource default: inputs must not depend on the machine)",
    });
  }
}

/** The run state to keep and how to get there, each with its default. */
function checkRunSettings(field: FieldCheck): void {
  field("desiredState", enumOf(DESIRED_STATES, "the run state to keep"), "RUNNING");
  field("executionMode", enumOf(["STANDALONE", "CLUSTER"], "how EnOS runs the job"), "STANDALONE");
  field("kafkaRate", count("Kafka read rate in records/s", 10_000_000), 1000);
  field("releaseTrigger", triggerSchema);
  field("offsetResetTrigger", triggerSchema);
  field("restartTrigger", triggerSchema);
  field("restartStrategy", enumOf(["PAUSE", "STOP"], "how a running pipeline is quiesced"), "PAUSE");
  field("onDelete", enumOf(["STOP", "PAUSE", "KEEP"], "what destroy does to the pipeline"), "STOP");
}

/**
 * resourceConfig against the schema of the (checked) execution mode: required in CLUSTER mode, `{ server: 1 }`
 * when absent in STANDALONE mode; undefined when the mode itself is invalid (that failure is already reported).
 */
function checkResourceConfig(resourceConfig: unknown, mode: unknown, failures: CheckFailure[]): unknown {
  if (containsUnknown(resourceConfig) || containsUnknown(mode)) return resourceConfig;
  if (resourceConfig === undefined || resourceConfig === null) {
    if (mode === "CLUSTER") {
      failures.push({
        property: "resourceConfig",
        reason:
          "resourceConfig: required in CLUSTER mode: { server, yarn: { workerCount, master, slave }, advanced? }",
      });
    }
    return { server: 1 };
  }
  if (mode === "CLUSTER") return checkField("resourceConfig", clusterConfig, resourceConfig, failures);
  if (mode !== "STANDALONE") return undefined;
  const extra =
    typeof resourceConfig === "object" && ("yarn" in resourceConfig || "advanced" in resourceConfig);
  if (extra) {
    failures.push({
      property: "resourceConfig",
      reason:
        'resourceConfig: yarn and advanced are for executionMode "CLUSTER"; STANDALONE takes { server: <CUs> }',
    });
    return undefined;
  }
  return checkField("resourceConfig", standaloneConfig, resourceConfig, failures);
}

/** The three operation timeouts, each DEFAULT_TIMEOUT unless given. */
function checkTimeouts(timeouts: unknown, failures: CheckFailure[]): unknown {
  if (containsUnknown(timeouts)) return timeouts;
  const given =
    timeouts === undefined || timeouts === null
      ? {}
      : checkField("timeouts", timeoutsSchema, timeouts, failures);
  return {
    create: given?.create ?? DEFAULT_TIMEOUT,
    update: given?.update ?? DEFAULT_TIMEOUT,
    delete: given?.delete ?? DEFAULT_TIMEOUT,
  };
}

/** What a start with `spec` runs and a verdict on it judges: the start options and the triggers. */
export function judgedSettings(spec: PipelineSpec): JudgedSettings {
  return {
    executionMode: spec.executionMode,
    kafkaRate: spec.kafkaRate,
    resourceConfig: spec.resourceConfig,
    ...(spec.releaseTrigger === undefined ? {} : { releaseTrigger: spec.releaseTrigger }),
    ...(spec.offsetResetTrigger === undefined ? {} : { offsetResetTrigger: spec.offsetResetTrigger }),
    ...(spec.restartTrigger === undefined ? {} : { restartTrigger: spec.restartTrigger }),
  };
}

/** Start body exactly as EnOS documents it. */
export function startBody(spec: PipelineSpec) {
  const { server, yarn, advanced } = spec.resourceConfig;
  const resourceConfig =
    spec.executionMode === "CLUSTER"
      ? {
          server,
          ...(yarn ? { yarn } : {}),
          ...(advanced ? { advanced: Object.entries(advanced).map(([key, value]) => ({ key, value })) } : {}),
        }
      : { server };
  return {
    executionMode: spec.executionMode === "CLUSTER" ? (1 as const) : (0 as const),
    kafkaRate: spec.kafkaRate,
    resourceConfig,
  };
}

/** The start options as one comparable value: a change to them restarts a running pipeline. */
export function startOptionsKey(
  spec: Pick<PipelineSpec, "executionMode" | "kafkaRate" | "resourceConfig">,
): string {
  return stableJson({ m: spec.executionMode, k: spec.kafkaRate, r: spec.resourceConfig });
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export { stableJson };
