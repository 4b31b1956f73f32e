/**
 * pulumi-enos: Pulumi resources for the run state of Envision EnOS stream-processing pipelines and the schedule
 * state of batch-processing flows, and a typed, signed EnOS API client.
 */
export { EnosPipelineDeployment } from "./resources/pipeline/resource.js";
export type {
  EnosPipelineDeploymentArgs,
  PipelineHealth,
  PipelineResourceConfig,
} from "./resources/pipeline/resource.js";
export { EnosFlowSchedule } from "./resources/flow/resource.js";
export type { EnosFlowScheduleArgs } from "./resources/flow/resource.js";
export * from "./client/index.js";
export { EnosConfigError } from "./config.js";
export type { ProviderSettings } from "./config.js";
export { PIPELINE_INPUTS } from "./resources/pipeline/spec.js";
export { FLOW_INPUTS } from "./resources/flow/spec.js";
export { providerImplementation } from "./implementation.js";
export {
  enosEvidence,
  parsePromotionSettings,
  promotionGate,
  PromotionError,
  qualifiedStackName,
  readStackEvidence,
} from "./promotion/stack.js";
export type { PromotionGateArgs, PromotionSettings } from "./promotion/stack.js";
export { judgePromotion, blockedLines } from "./promotion/gate.js";
export type { PromotionEntry, PromotionJudgement, PromotionVerdict } from "./promotion/gate.js";
export { EVIDENCE_SCHEMA_VERSION, EvidenceError, parseEvidence } from "./promotion/evidence.js";
export type {
  EnosEvidence,
  EvidenceHealth,
  FlowEvidence,
  PipelineEvidence,
  Provenance,
} from "./promotion/evidence.js";
