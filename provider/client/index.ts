/** The EnOS API client: public names. */
export { apimSignature, paramsData, tokenEncryption, sha256Hex } from "./signing.js";
export type { ApimSignatureInput, SigningQuery } from "./signing.js";
export {
  EnosError,
  EnosApiError,
  EnosTransportError,
  EnosTimeoutError,
  EnosDeadlineError,
  EnosResponseShapeError,
} from "./errors.js";
export type { EnosCall, EnosApiErrorInit } from "./errors.js";
export { describeEnosCode, ENOS_CODES } from "./codes.js";
export type { EnosCodeInfo, EnosCodeContext } from "./codes.js";
export { retryDecision, isRetryableFailure, parseRetryAfter, DEFAULT_RETRY_POLICY } from "./retry.js";
export type { RetryPolicy, RetryInput, RetryDecision } from "./retry.js";
export { EnosClient } from "./client.js";
export { EnosRequester } from "./requester.js";
export type {
  EnosClientOptions,
  EnosCredentials,
  EnosCallEvent,
  EnosRequest,
  EnosQuery,
  EnosHttpMethod,
} from "./options.js";
export type * from "./types.js";
