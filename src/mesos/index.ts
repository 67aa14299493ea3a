/**
 * The Mesos v1 HTTP client: transport, leader finding, operator API, scheduler session, agent files.
 * Type declarations live in ./types (no runtime code) so other modules may import them alone.
 */
export { agentBaseUrl, clusterAgentUrl } from "./agent-address.js";
export { backoffDelay } from "./backoff.js";
export {
  acceptCall,
  acknowledgeCall,
  declineCall,
  durationMs,
  type FrameworkSettings,
  frameworkInfo,
  killCall,
  launchOperation,
  reconcileCall,
  reviveCall,
  subscribeCall,
  suppressCall,
  TITAN_CAPABILITIES,
  teardownCall,
  toLabels,
} from "./calls.js";
export {
  BadResponseError,
  ConnectionError,
  FrameworkRemovedError,
  MesosTimeoutError,
  NotLeaderError,
  ResponseTooLargeError,
  SandboxGoneError,
  SubscriptionLostError,
  SubscriptionRefusedError,
  TemporarilyUnavailableError,
  TruncatedResponseError,
  UnauthorizedError,
} from "./errors.js";
export { sanitizeExcerpt } from "./excerpt.js";
export { AgentFiles, type FileChunk, FileFollower, lastBytesRead, type TailEvent } from "./files.js";
export { type ClusterConfig, MasterCluster, parseMasterUrls, resolveLocation } from "./leader.js";
export { AgentOperator, JSON_HEADERS, MasterOperator, type OperatorLimits } from "./operator.js";
export { RecordIODecoder } from "./recordio.js";
export { sandboxDirectoryFromLegacyState, sandboxPathFromAgentState } from "./sandbox.js";
export {
  DEFAULT_SESSION_TIMINGS,
  type ReconnectingEvent,
  SchedulerSession,
  type SessionEvent,
  type SessionOptions,
  type SessionTimings,
} from "./session.js";
export { type FetchStateOptions, fetchMasterState, type MasterState } from "./state-source.js";
export {
  type CommandSpec,
  type ContainerSpec,
  carveResources,
  type FetchUri,
  type HealthCheckSpec,
  OfferTooSmallError,
  type ResourceDemand,
  type TaskSpec,
  taskInfo,
} from "./task-builder.js";
export {
  endsInstance,
  isTerminalState,
  mayStillRun,
  TaskStatusTracker,
  type UpdateVerdict,
} from "./task-status.js";
export { type BasicAuth, HttpTransport, type TransportOptions } from "./transport.js";
export type * from "./types/legacy.js";
export type * from "./types/mesos.js";
export type * from "./types/operator.js";
export type * from "./types/scheduler.js";
