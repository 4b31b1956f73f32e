import { EnosApiError } from "./errors.js";

/**
 * Known EnOS result codes (docs/ENOS-API.md) with their meaning and, where there is one, what a person can do.
 * Used in error messages so a failure says more than a number.
 */

/** What one EnOS code means and what to do about it. */
export interface EnosCodeInfo {
  /** The vendor's meaning of the code, in plain words. */
  readonly meaning: string;
  /** What to do next, when there is something useful to say. */
  readonly hint?: string;
}

/** Every documented code: token service, streaming v2.0, batch v2.1 and the common service codes. */
export const ENOS_CODES: Readonly<Record<number, EnosCodeInfo>> = {
  // Token service (apim-token-service v2.0).
  1001: {
    meaning: "duplicated encryption: the token request was replayed",
    hint: "check that the clock of this machine is right; every token request must use a fresh timestamp",
  },
  1002: {
    meaning: "the access key (appKey) does not exist",
    hint: "check the EnOS access key in the config",
  },
  1003: {
    meaning: "invalid encryption: the secret key does not match the access key",
    hint: "check the EnOS secret key in the config",
  },
  1004: { meaning: "invalid parameter in the token request" },
  1005: { meaning: "internal error of the token service", hint: "try again later" },
  1202: { meaning: "a token request parameter is empty", hint: "set both the access key and the secret key" },
  1203: { meaning: "the access token expired", hint: "the client fetches a new token and retries once" },
  1204: { meaning: "the access token could not be refreshed", hint: "a new token is fetched instead" },
  // Stream processing v2.0.
  61100: {
    meaning: "the stream configuration JSON is invalid",
    hint: "check the start body (executionMode, kafkaRate, resourceConfig)",
  },
  61108: {
    meaning: "the stream processing job does not exist (or has not been released)",
    hint: "check the pipeline id and orgId, and that the pipeline is released in the EnOS console",
  },
  61112: { meaning: "failed to save the stream processing job" },
  61121: {
    meaning: "another user in this org is starting a job",
    hint: "starts are serialised per org; try again later",
  },
  61122: { meaning: "failed to stop the stream processing job", hint: "read the status and try again" },
  61126: {
    meaning: "the allocated resource is not enough",
    hint: "lower resourceConfig or free CUs in this org",
  },
  61128: {
    meaning: "the org has not requested the resource for this execution mode",
    hint: "request <mode> resources for this org, or use STANDALONE",
  },
  61152: {
    meaning: "the job's status cannot be changed to the requested one",
    hint: "pause needs RUNNING, stop needs RUNNING or PAUSED; read the status and re-plan",
  },
  61165: {
    meaning: "the job cannot be started from its current status",
    hint: "start needs a released pipeline that is PUBLISHED, STOPPED or PAUSED; read the status and re-plan",
  },
  61168: {
    meaning: "failed to get the Kafka average rate",
    hint: "offset reset needs a PAUSED or STOPPED pipeline",
  },
  61169: {
    meaning: "release failed: the job is neither stopped nor paused",
    hint: "pause or stop the pipeline before releasing",
  },
  99000: { meaning: "offset and lag are unavailable", hint: "offset and lag need a RUNNING pipeline" },
  // Batch processing v2.1.
  62101: {
    meaning: "the userId does not exist or does not belong to the orgId",
    hint: "check the flow's userId and orgId",
  },
  62102: { meaning: "invalid parameter" },
  62103: { meaning: "the user has no privilege on this flow", hint: "use the flow owner's userId" },
  62104: { meaning: "dependency error: the flow has no task" },
  62105: {
    meaning: "the account is locked",
    hint: "unlock the user or the flow in the EnOS console",
  },
  62109: { meaning: "internal server error of the batch service", hint: "try again later" },
  // Common service codes.
  99400: { meaning: "invalid parameter" },
  99403: {
    meaning: "no permission",
    hint: "grant the application (access key) access to this resource in the EnOS console",
  },
  99404: { meaning: "not found" },
  99500: { meaning: "internal error of the EnOS service", hint: "try again later" },
};

/** Context that sharpens a description, e.g. the execution mode a start asked for. */
export interface EnosCodeContext {
  /** `STANDALONE` or `CLUSTER`, for 61128. */
  readonly executionMode?: string;
}

/**
 * `"<meaning>: <hint>"` for a known code (just the meaning when there is no hint), undefined for an unknown one.
 */
export function describeEnosCode(code: number, context?: EnosCodeContext): string | undefined {
  const info = ENOS_CODES[code];
  if (info === undefined) {
    return undefined;
  }
  let hint = info.hint;
  if (code === 61128) {
    const mode = context?.executionMode?.toUpperCase();
    hint =
      mode === "STANDALONE"
        ? "request standalone resources for this org"
        : `request ${mode === undefined ? "cluster" : mode.toLowerCase()} resources for this org, or use STANDALONE`;
  }
  return hint === undefined ? info.meaning : `${info.meaning}: ${hint}`;
}

/** The EnOS code of `error` when EnOS (not only its gateway) answered with an envelope; undefined otherwise. */
function envelopeCode(error: unknown): number | undefined {
  return EnosApiError.isInstance(error) && error.fromEnvelope ? error.code : undefined;
}

/** 61121: another start is in progress in the organisation; nothing happened to this call. */
export function isOrgBusy(error: unknown): boolean {
  return envelopeCode(error) === 61121;
}

/** 61108: the pipeline does not exist in this organisation (or, asked for its release, was never released). */
export function isPipelineNotFound(error: unknown): boolean {
  return envelopeCode(error) === 61108;
}

/**
 * The pipeline's status moved under the call (61152 pause/stop, 61165 start, 61168 offset reset, 61169
 * release refused from the current status): re-read and re-plan rather than fail.
 */
export function isStatusConflict(error: unknown): boolean {
  const code = envelopeCode(error);
  return code === 61152 || code === 61165 || code === 61168 || code === 61169;
}

/** The flow does not exist: batch 62102 (invalid parameter, which is what EnOS says) or 99404 not found. */
export function isFlowNotFound(error: unknown): boolean {
  const code = envelopeCode(error);
  return code === 62102 || code === 99404;
}
