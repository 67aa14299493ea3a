/**
 * JSON shapes of `mesos.v1.scheduler.Call` and `mesos.v1.scheduler.Event` (scheduler.proto) for the calls
 * titan sends and the events it reads. Type declarations only.
 */
import type {
  AgentID,
  ExecutorID,
  Filters,
  FrameworkID,
  FrameworkInfo,
  InverseOffer,
  KillPolicy,
  MasterInfo,
  Offer,
  OfferID,
  OfferOperation,
  OperationStatus,
  TaskID,
  TaskStatus,
} from "./mesos.js";

// --------------------------------------------------------------------------------------------------------
// Calls

export interface SubscribeCall {
  type: "SUBSCRIBE";
  /** Absent on a first subscription; on re-subscription equal to `subscribe.framework_info.id`. */
  framework_id?: FrameworkID;
  subscribe: { framework_info: FrameworkInfo; suppressed_roles?: string[] };
}

export interface AcceptCall {
  type: "ACCEPT";
  framework_id: FrameworkID;
  accept: { offer_ids: OfferID[]; operations: OfferOperation[]; filters?: Filters };
}

export interface DeclineCall {
  type: "DECLINE";
  framework_id: FrameworkID;
  decline: { offer_ids: OfferID[]; filters?: Filters };
}

export interface KillCall {
  type: "KILL";
  framework_id: FrameworkID;
  kill: { task_id: TaskID; agent_id?: AgentID; kill_policy?: KillPolicy };
}

export interface AcknowledgeCall {
  type: "ACKNOWLEDGE";
  framework_id: FrameworkID;
  /** `uuid` is the update's `status.uuid` string, byte for byte. */
  acknowledge: { agent_id: AgentID; task_id: TaskID; uuid: string };
}

export interface ReconcileCall {
  type: "RECONCILE";
  framework_id: FrameworkID;
  /** An empty `tasks` list asks for implicit reconciliation (every task the master knows for the framework). */
  reconcile: { tasks: Array<{ task_id: TaskID; agent_id?: AgentID }> };
}

export interface SuppressCall {
  type: "SUPPRESS";
  framework_id: FrameworkID;
  suppress: { roles: string[] };
}

export interface ReviveCall {
  type: "REVIVE";
  framework_id: FrameworkID;
  revive: { roles: string[] };
}

export interface TeardownCall {
  type: "TEARDOWN";
  framework_id: FrameworkID;
}

export interface AcceptInverseOffersCall {
  type: "ACCEPT_INVERSE_OFFERS";
  framework_id: FrameworkID;
  accept_inverse_offers: { inverse_offer_ids: OfferID[]; filters?: Filters };
}

export interface DeclineInverseOffersCall {
  type: "DECLINE_INVERSE_OFFERS";
  framework_id: FrameworkID;
  decline_inverse_offers: { inverse_offer_ids: OfferID[]; filters?: Filters };
}

export type SchedulerCall =
  | SubscribeCall
  | AcceptCall
  | DeclineCall
  | KillCall
  | AcknowledgeCall
  | ReconcileCall
  | SuppressCall
  | ReviveCall
  | TeardownCall
  | AcceptInverseOffersCall
  | DeclineInverseOffersCall;

/** Every call except SUBSCRIBE, i.e. what is sent with a `Mesos-Stream-Id`. */
export type SessionCall = Exclude<SchedulerCall, SubscribeCall>;

// --------------------------------------------------------------------------------------------------------
// Events

export interface SubscribedEvent {
  type: "SUBSCRIBED";
  subscribed: { framework_id: FrameworkID; heartbeat_interval_seconds?: number; master_info?: MasterInfo };
}

/** Note the double nesting: `offers.offers[]`. */
export interface OffersEvent {
  type: "OFFERS";
  offers: { offers?: Offer[] };
}

export interface InverseOffersEvent {
  type: "INVERSE_OFFERS";
  inverse_offers: { inverse_offers?: InverseOffer[] };
}

export interface RescindEvent {
  type: "RESCIND";
  rescind: { offer_id: OfferID };
}

export interface RescindInverseOfferEvent {
  type: "RESCIND_INVERSE_OFFER";
  rescind_inverse_offer: { inverse_offer_id: OfferID };
}

export interface UpdateEvent {
  type: "UPDATE";
  update: { status: TaskStatus };
}

export interface UpdateOperationStatusEvent {
  type: "UPDATE_OPERATION_STATUS";
  update_operation_status: { status: OperationStatus };
}

export interface MessageEvent {
  type: "MESSAGE";
  message: { agent_id: AgentID; executor_id: ExecutorID; data: string };
}

export interface FailureEvent {
  type: "FAILURE";
  failure: { agent_id?: AgentID; executor_id?: ExecutorID; status?: number };
}

/** The master's text is in `error.message` (a top-level `message` is the executor MESSAGE event). */
export interface ErrorEvent {
  type: "ERROR";
  error: { message: string };
}

export interface HeartbeatEvent {
  type: "HEARTBEAT";
}

export type SchedulerEvent =
  | SubscribedEvent
  | OffersEvent
  | InverseOffersEvent
  | RescindEvent
  | RescindInverseOfferEvent
  | UpdateEvent
  | UpdateOperationStatusEvent
  | MessageEvent
  | FailureEvent
  | ErrorEvent
  | HeartbeatEvent;

export type SchedulerEventType = SchedulerEvent["type"];
