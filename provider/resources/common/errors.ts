import {
  apiErrorFacts,
  EnosApiError,
  EnosDeadlineError,
  EnosError,
  EnosResponseShapeError,
  EnosTimeoutError,
  EnosTransportError,
} from "../../client/errors.js";
import { isOrgBusy } from "../../client/codes.js";
import { EnosConfigError } from "../../config.js";
import { isCredentialCode } from "../../client/settings-hints.js";
import { WaitError } from "../../lifecycle/waiter.js";

/**
 * An error the dynamic-provider host turns into ErrorResourceInitFailed: the engine keeps the resource in
 * state with `properties` (the observed status), so a failed wait never loses track of an adopted object.
 * The host recognises it by its `id` field.
 */
export class ResourceInitFailedError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: readonly string[] = [message],
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = "ResourceInitFailedError";
  }
}

/**
 * Whether a failed mutating call may still have taken effect: the request may have reached EnOS and the answer
 * was lost (dropped connection, timeout), broken (not an envelope) or a gateway 5xx other than 503 ("busy,
 * nothing happened", which the client already retried). Only a fresh read can tell; the caller re-reads and
 * re-plans instead of failing or repeating the call blindly.
 */
export function mayHaveTakenEffect(error: unknown): boolean {
  if (EnosTransportError.isInstance(error)) return error.sent;
  if (EnosTimeoutError.isInstance(error) || EnosResponseShapeError.isInstance(error)) return true;
  return EnosApiError.isInstance(error) && error.httpStatus >= 500 && error.httpStatus !== 503;
}

/**
 * Whether EnOS refused the credentials (token-service codes, or the gateway's 401): the failure is the access or
 * secret key, whatever call met it first, and a message must not blame the pipeline or flow.
 */
export function isCredentialFailure(error: unknown): boolean {
  if (!EnosApiError.isInstance(error)) return false;
  return error.fromEnvelope ? isCredentialCode(error.code) : error.httpStatus === 401;
}

/** One line on what went wrong: EnOS code, msg and requestId when EnOS answered, the wait's last status, … */
export function describeCause(error: unknown): string {
  if (EnosApiError.isInstance(error) || EnosError.isInstance(error) || WaitError.isInstance(error)) {
    return error.message;
  }
  if (EnosConfigError.isInstance(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** What EnOS said, without its generic hint: for messages that name the specific fix themselves. */
export function describeFacts(error: unknown): string {
  return EnosApiError.isInstance(error) ? apiErrorFacts(error) : describeCause(error);
}

/** What a person should do next, for the failures we can name. */
export function nextStep(error: unknown, timeoutInput: string): string {
  if (WaitError.isInstance(error)) {
    switch (error.reason) {
      case "queued":
        return `raise ${timeoutInput}: this update's other starts in the organisation go first (EnOS runs one start at a time per organisation), and nothing was sent for this one`;
      case "deadline":
        return `check the pipeline in the EnOS console or raise ${timeoutInput}; the resource stays in state and the next \`pulumi up\` continues from the observed status`;
      case "error-status":
        return "inspect the job in the EnOS console (Stream Processing > Stream Operation), fix the cause and stop the job there (an error status is never restarted automatically), then run `pulumi up` again";
      case "vanished":
        return "it was deleted in EnOS; remove the resource from the program, or run `pulumi refresh`";
      case "unexpected-status":
        return "someone else is changing this pipeline; run `pulumi up` again once they are done";
    }
  }
  if (EnosDeadlineError.isInstance(error)) {
    return `raise ${timeoutInput}; nothing was sent after the deadline, the resource stays in state and the next \`pulumi up\` continues from the observed status`;
  }
  if (isOrgBusy(error)) {
    return `other users' starts kept the organisation busy until the deadline; run \`pulumi up\` again later or raise ${timeoutInput}`;
  }
  if (EnosApiError.isInstance(error) && error.hint === undefined) {
    return "see the EnOS code and message above, then run `pulumi up` again";
  }
  return "run `pulumi up` again once the cause above is fixed";
}
