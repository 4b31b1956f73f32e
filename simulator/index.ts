/**
 * pulumi-enos/simulator: a local stand-in for EnOS (token service, stream processing v2.0, batch v2.1)
 * with an admin API for tests and demos. `startSimulator()` runs one in-process; `enos-sim` runs one from the
 * command line.
 */
export { startSimulator, DEFAULT_DELAYS, DEFAULT_TOKEN_TTL_SECONDS } from "./server.js";
export type { StartSimulatorOptions, RunningSimulator } from "./server.js";
export { SimulatorAdmin } from "./admin-client.js";
export type { SeedPipelineInput } from "./admin-client.js";
export type { ConfigPatch } from "./admin.js";
export { defaultSeed, seedSchema, parseSeed, makeSeed, SEED_PIPELINE_STATUSES } from "./seed.js";
export type { Seed, ParsedSeed, MakeSeedOptions } from "./seed.js";
export { faultRuleSchema, MALFORMED_KINDS } from "./faults.js";
export type { FaultRule, FaultRuleInput, FaultKind, FaultMatch, MalformedKind } from "./faults.js";
export { MAX_CLOCK_SKEW_MS } from "./auth.js";
export type { EndpointName } from "./route.js";
export type {
  CallCounts,
  Delays,
  FlowState,
  OrgState,
  PipelineState,
  RequestLogEntry,
  SimulatorConfig,
  SimulatorStateSnapshot,
  TransitionState,
  UserState,
} from "./types.js";
