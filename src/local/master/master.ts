import { randomUUID } from "node:crypto";
import type { AgentStatus, LocalAgentHandle, TaskInfoJson, TaskStateName } from "../agent/api.js";
import { isTerminalState } from "../agent/task-states.js";
import { roleError } from "../common-validation.js";
import { domainJson, type FaultDomain } from "../fault-domain.js";
import { isObject, type JsonObject } from "../json.js";
import {
  agentPools,
  mergePools,
  type Pool,
  poolsToJson,
  splitByReservation,
  subtractPools,
  sumPools,
} from "../pools.js";
import { bytesOfBase64 } from "../proto-json.js";
import { add, emptyQuantities, isAllocatable, isEmpty, type Quantities } from "../resources.js";
import { planAccept } from "./accept.js";
import { agentPort, textAttributes } from "./agent-info.js";
import { removeAgent } from "./agent-removal.js";
import { allocate } from "./allocator.js";
import { isValidUuidBase64 } from "./calls.js";
import { frameworkInfoWithDefaults } from "./defaults.js";
import {
  allocatorOptionsError,
  capabilitiesOf,
  frameworkInfoJson,
  frameworkUpdateError,
  rolesOf,
  suppressedRolesOf,
} from "./framework-info.js";
import { Maintenance } from "./maintenance.js";
import type {
  AgentRecord,
  FrameworkCapabilities,
  FrameworkRecord,
  OfferFilter,
  OfferRecord,
  Subscription,
  TaskRecord,
} from "./model.js";
import { consumedQuota, QuotaBook, type QuotaContext } from "./quota.js";
import { QuotaAllowance, type RoleQuotaState } from "./quota-allowance.js";
import { reconcile } from "./reconcile.js";
import { refuseSecondsOf } from "./refuse-filter.js";
import { containerStatus, taskStatus, uuidBase64 } from "./status.js";
import { updateTask } from "./task-update.js";
import { type PendingUpdate, StatusUpdateDelivery } from "./updates.js";

export const MESOS_VERSION = "1.12.0";

export interface MasterOptions {
  /** Seconds between HEARTBEAT events (Mesos: 15). */
  heartbeatIntervalSeconds?: number;
  /** Outstanding offers are rescinded after this long (the master's --offer_timeout); undefined = never. */
  offerTimeoutMs?: number;
  /** How often the allocator runs besides on events (Mesos --allocation_interval: 1 s). */
  allocationIntervalMs?: number;
  /** Status update retry backoff (Mesos agent: 10 s doubling up to 10 min). */
  statusRetryMinMs?: number;
  statusRetryMaxMs?: number;
  /** How long an agent may be silent before it is marked unreachable (Mesos: 5 pings x 15 s). */
  agentUnreachableAfterMs?: number;
  /**
   * How long an unreachable or gone agent stays in the registry (Mesos: --registry_max_agent_age, two weeks); past
   * it the master forgets the agent and its unreachable tasks without telling anyone. Undefined = never.
   */
  registryMaxAgentAgeMs?: number;
  /**
   * How long after a failover the master waits for the agents of its registry to re-register before it marks the
   * others unreachable (Mesos: --agent_reregister_timeout, 10 minutes).
   */
  agentReregisterTimeoutMs?: number;
  maxCompletedTasksPerFramework?: number;
  /** The master's fault domain (its --domain): the region its agents are local to. */
  domain?: FaultDomain;
  now?: () => number;
}

const DEFAULTS = {
  heartbeatIntervalSeconds: 15,
  allocationIntervalMs: 1000,
  statusRetryMinMs: 10_000,
  statusRetryMaxMs: 600_000,
  agentUnreachableAfterMs: 75_000,
  agentReregisterTimeoutMs: 600_000,
  maxCompletedTasksPerFramework: 1000,
};

/** setTimeout cannot wait longer than this; longer failover timeouts never fire while the cluster runs. */
const MAX_TIMER_MS = 2_147_483_647;

export type CallResult =
  | { status: 202 }
  | { status: 200; body?: JsonObject }
  | { status: 400 | 403; error: string };

function idOf(v: unknown): string | undefined {
  return isObject(v) && typeof v.value === "string" ? v.value : undefined;
}

/**
 * The local cluster's master: frameworks, agents, offers and tasks, with the semantics of the Mesos master for the
 * v1 scheduler API. HTTP framing lives in http.ts; JSON views in views.ts.
 */
export class LocalMaster {
  readonly agents = new Map<string, AgentRecord>();
  readonly frameworks = new Map<string, FrameworkRecord>();
  completedFrameworks: FrameworkRecord[] = [];
  readonly offers = new Map<string, OfferRecord>();
  readonly delivery: StatusUpdateDelivery;
  readonly maintenance: Maintenance = new Maintenance(this);
  readonly quota = new QuotaBook();
  readonly options: Required<Omit<MasterOptions, "offerTimeoutMs" | "registryMaxAgentAgeMs" | "domain">> &
    Pick<MasterOptions, "offerTimeoutMs" | "registryMaxAgentAgeMs" | "domain">;
  masterId = randomUUID();
  startedAt: number;
  electedAt: number;
  port = 0;
  withholdOffers = false;
  /** Fault injection: ACCEPT calls still to hold (HOLD_ACCEPTS), and those held now (each applies and answers). */
  readonly heldAccepts = { toHold: 0, waiting: new Set<() => void>() };
  /** Fault injection: ACCEPT calls still to answer and then lose (LOSE_ACCEPTS). */
  lostAccepts = 0;
  /** Agents marked gone, as the registry keeps them (`slaves.gone`) until its garbage collection prunes them. */
  private readonly goneAgents = new Set<string>();
  private frameworkSeq = 0;
  private offerSeq = 0;
  private allocationRound = 0;
  private allocationPending = false;
  private allocationTimer?: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** After a failover with agents still to re-register: --agent_reregister_timeout. */
  private recoveryTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(options: MasterOptions = {}) {
    this.options = { ...DEFAULTS, now: () => Date.now(), ...options };
    this.startedAt = this.now();
    this.electedAt = this.startedAt;
    this.delivery = new StatusUpdateDelivery({
      retryMinMs: this.options.statusRetryMinMs,
      retryMaxMs: this.options.statusRetryMaxMs,
      send: (update) => this.forwardUpdate(update),
      blocked: (agentId) => {
        const agent = this.agents.get(agentId);
        return !agent || agent.dead || agent.partitioned;
      },
    });
    this.allocationTimer = setInterval(() => this.allocateNow(), this.options.allocationIntervalMs);
    this.allocationTimer.unref();
  }

  now(): number {
    return this.options.now();
  }

  // ---------------------------------------------------------------------------------------------- agents

  /**
   * Registers an agent (its status reports flow to `onAgentStatus`), unless it has a fault domain and the master has
   * none: a master refuses such an agent (master.cpp `Master::registerSlave`, "the master has no configured domain").
   */
  addAgent(handle: LocalAgentHandle): void {
    if (handle.domain !== undefined && this.options.domain === undefined)
      throw new Error(
        `agent ${handle.hostname} has domain region ${handle.domain.region} but the master has no configured domain`,
      );
    const agent: AgentRecord = {
      handle,
      id: handle.id,
      state: "registered",
      dead: false,
      partitioned: false,
      total: sumPools(agentPools(handle.resources)),
      pools: agentPools(handle.resources),
      registeredAt: this.now(),
    };
    this.agents.set(handle.id, agent);
    this.maintenance.agentAdded(agent);
    this.scheduleAllocation();
  }

  /**
   * The agent shuts down for good, as a Mesos agent told to (SIGUSR1) does: it unregisters first, so the master
   * removes it ("the agent unregistered", master.cpp `Master::unregisterSlave`) and its tasks are lost, then it
   * kills its tasks and exits.
   */
  async unregisterAgent(agentId: string): Promise<void> {
    const agent = this.requireAgent(agentId);
    if (agent.dead) throw new Error(`agent '${agentId}' is stopped`);
    agent.dead = true;
    this.clearAgentTimers(agent);
    removeAgent(this, agent, "the agent unregistered");
    await agent.handle.stop();
  }

  onAgentStatus(agentId: string, s: AgentStatus): void {
    const agent = this.agents.get(agentId);
    if (!agent || agent.dead || this.closed) return;
    const framework = this.frameworks.get(s.frameworkId);
    const task = framework?.tasks.get(s.taskId) ?? framework?.unreachableTasks.get(s.taskId);
    if (!framework || !task) return;
    if (s.state === "TASK_KILLING" && !framework.capabilities.killingState) return;
    const view = s.containerStatus
      ? undefined
      : agent.handle.tasks().find((t) => t.taskInfo.task_id.value === s.taskId);
    const container: JsonObject = s.containerStatus
      ? { ...s.containerStatus }
      : containerStatus(view?.containerId ?? task.containerId, view?.pid);
    const status = taskStatus({
      taskId: s.taskId,
      state: s.state,
      source: s.source,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.message !== undefined ? { message: s.message } : {}),
      agentId,
      executorId: s.executorId ?? s.taskId,
      timestampMs: s.timestamp * 1000,
      // Mesos status uuids are RFC 4122 v4; an agent's own uuid is kept only when it is one.
      uuid: s.uuid !== undefined && isValidUuidBase64(s.uuid) ? s.uuid : uuidBase64(),
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
      containerStatus: container,
    });
    if (updateTask(task, status)) this.scheduleAllocation();
    this.delivery.enqueue({
      frameworkId: framework.id,
      agentId,
      taskId: s.taskId,
      uuid: status.uuid as string,
      status,
    });
  }

  /**
   * master.cpp `Master::forward`: an agent's update goes to a connected framework only, and the task it is about
   * records its state and uuid as its status update state. Returns false when the framework is not connected.
   */
  private forwardUpdate(update: PendingUpdate): boolean {
    const framework = this.frameworks.get(update.frameworkId);
    if (!framework?.subscription) return false;
    const task = framework.tasks.get(update.taskId);
    if (task) {
      task.statusUpdateState = update.status.state as TaskStateName;
      task.statusUpdateUuid = update.uuid;
    }
    return this.sendEvent(framework.id, { type: "UPDATE", update: { status: update.status } });
  }

  /** Fault: the agent stops answering; after agentUnreachableAfterMs the master marks it unreachable. */
  partitionAgent(agentId: string): void {
    const agent = this.requireAgent(agentId);
    if (agent.partitioned) return;
    agent.partitioned = true;
    agent.handle.partition();
    this.startUnreachableTimer(agent);
  }

  /** Fault: the agent's machine dies with its tasks. */
  async stopAgent(agentId: string): Promise<void> {
    const agent = this.requireAgent(agentId);
    if (agent.dead) return;
    agent.dead = true;
    agent.partitioned = true;
    this.startUnreachableTimer(agent);
    await agent.handle.stop();
  }

  /**
   * MARK_AGENT_GONE (src/master/http.cpp `_markAgentGone`, master.cpp `Master::markGone`): the agent is removed for
   * good and told to shut down (its tasks are killed); its tasks end TASK_GONE_BY_OPERATOR (TASK_LOST for a framework
   * that is not partition-aware), unreachable ones too. An agent already gone is OK again (`_markAgentGone` looks in
   * `slaves.gone` first), until the registry's garbage collection prunes it past its maximum age (master.cpp
   * `doRegistryGc` prunes gone agents as it prunes unreachable ones); an agent the master does not know is 404.
   */
  markAgentGone(agentId: string): { status: 200 } | { status: 404; error: string } {
    if (this.goneAgents.has(agentId)) return { status: 200 };
    const agent = this.agents.get(agentId);
    if (agent === undefined) return { status: 404, error: `Agent '${agentId}' not found` };
    if (agent.recovering) {
      // master.cpp `Master::markGone`: of an agent yet to re-register the master knows no task to update, so it tells
      // no one anything (MESOS-9739) and leaves it among its recovered agents, which keeps reconciliation about it
      // unanswered (`Master::reconcile`, case 2) in this master's term; it cannot reach the agent to shut it down,
      // and refuses it when it comes to re-register (`agentReregistered`).
      agent.markedGone = true;
    } else {
      this.clearAgentTimers(agent);
      removeAgent(this, agent, "marked gone", true);
      agent.dead = true;
      void agent.handle.stop();
    }
    this.goneAgents.add(agentId);
    if (this.options.registryMaxAgentAgeMs !== undefined)
      this.timer(() => this.goneAgents.delete(agentId), this.options.registryMaxAgentAgeMs);
    return { status: 200 };
  }

  /** Ends a partition: an unreachable agent re-registers and reports its tasks again. */
  healAgent(agentId: string): void {
    const agent = this.requireAgent(agentId);
    if (agent.dead || !agent.partitioned) return;
    this.clearAgentTimers(agent);
    if (agent.unknownTasks !== undefined) {
      // Cut off while a new master waited for it: it re-registers now, or when it finds the new master.
      agent.partitioned = false;
      if (agent.reregisterTimer === undefined) this.agentReregistered(agent);
      return;
    }
    const known = agent.state !== "unreachable";
    if (!known) this.reregisterUnreachable(agent);
    agent.partitioned = false;
    agent.handle.heal();
    if (known) this.reconcileKnownAgent(agent);
    // A master that removed the agent forgot the kills it held for it (its `Slave`, and `killedTasks` with it).
    else agent.killedTasks = undefined;
    this.shutDownCompletedFrameworks(agent);
    this.delivery.resendAgent(agentId);
    this.scheduleAllocation();
  }

  /**
   * An agent the master never marked unreachable re-registers (master.cpp `Master::reconcileKnownSlave`): the tasks
   * the master holds for it are reconciled with it (a launch it never received ends TASK_DROPPED), and the kills it
   * missed are sent again.
   */
  private reconcileKnownAgent(agent: AgentRecord): void {
    for (const framework of this.frameworks.values()) {
      const ids = [...framework.tasks.values()].filter((t) => t.agentId === agent.id).map((t) => t.taskId);
      if (ids.length > 0) agent.handle.reconcile(framework.id, ids, framework.capabilities.partitionAware);
    }
    const running = new Set(
      agent.handle
        .tasks()
        .filter((v) => !isTerminalState(v.state))
        .map((v) => `${v.frameworkId}\u0000${v.taskInfo.task_id.value}`),
    );
    for (const [key, kill] of agent.killedTasks ?? [])
      if (running.has(key)) agent.handle.kill(kill.frameworkId, kill.taskId, kill.graceMs);
    agent.killedTasks = undefined;
  }

  /** Frameworks removed while the agent was cut off are shut down on it when it returns: their tasks are killed. */
  private shutDownCompletedFrameworks(agent: AgentRecord): void {
    const completed = new Set(this.completedFrameworks.map((f) => f.id));
    for (const view of agent.handle.tasks())
      if (completed.has(view.frameworkId) && !isTerminalState(view.state))
        agent.handle.kill(view.frameworkId, view.taskInfo.task_id.value);
  }

  private requireAgent(agentId: string): AgentRecord {
    const agent = this.agents.get(agentId);
    if (!agent) throw new Error(`unknown agent '${agentId}'`);
    return agent;
  }

  private clearAgentTimers(agent: AgentRecord): void {
    if (agent.unreachableTimer) clearTimeout(agent.unreachableTimer);
    if (agent.registryTimer) clearTimeout(agent.registryTimer);
    agent.unreachableTimer = undefined;
    agent.registryTimer = undefined;
  }

  private startUnreachableTimer(agent: AgentRecord): void {
    if (agent.unreachableTimer || agent.state === "unreachable") return;
    agent.unreachableTimer = this.timer(() => {
      agent.unreachableTimer = undefined;
      this.markUnreachable(agent);
    }, this.options.agentUnreachableAfterMs);
  }

  tasksOnAgent(agentId: string, from: "tasks" | "unreachableTasks"): Array<[FrameworkRecord, TaskRecord]> {
    const out: Array<[FrameworkRecord, TaskRecord]> = [];
    for (const f of this.frameworks.values())
      for (const t of f[from].values()) if (t.agentId === agentId) out.push([f, t]);
    return out;
  }

  private markUnreachable(agent: AgentRecord): void {
    const now = this.now();
    agent.state = "unreachable";
    agent.recovering = false;
    agent.unreachableAt = now;
    for (const offer of [...this.offers.values()]) if (offer.agentId === agent.id) this.rescindOffer(offer);
    // master.cpp Master::__removeSlave: every task the master still holds for the agent (a terminal one whose
    // update is unacknowledged too) is reported unreachable and kept as such (removeTask(task, unreachable)); a
    // terminal state stays as it is (Master::updateTask).
    for (const [framework, task] of this.tasksOnAgent(agent.id, "tasks")) {
      framework.tasks.delete(task.taskId);
      task.unreachableAt = now;
      framework.unreachableTasks.set(task.taskId, task);
      const status = taskStatus({
        taskId: task.taskId,
        state: framework.capabilities.partitionAware ? "TASK_UNREACHABLE" : "TASK_LOST",
        source: "SOURCE_MASTER",
        reason: "REASON_AGENT_REMOVED",
        // master.cpp: the reason the master's agent observer gives when pings go unanswered.
        message: "health check timed out",
        agentId: agent.id,
        timestampMs: now,
        unreachableAtMs: now,
      });
      // Master::updateTask records it in the task's statuses (with unreachable_time); a terminal state stays. A
      // framework told TASK_LOST has its task kept TASK_LOST among the unreachable ones, as `__removeSlave` keeps it.
      updateTask(task, status);
      this.sendEvent(framework.id, { type: "UPDATE", update: { status } });
    }
    for (const framework of this.frameworks.values()) {
      this.sendEvent(framework.id, { type: "FAILURE", failure: { agent_id: { value: agent.id } } });
    }
    if (this.options.registryMaxAgentAgeMs !== undefined) {
      agent.registryTimer = this.timer(() => {
        agent.registryTimer = undefined;
        void this.forgetUnreachableAgent(agent);
      }, this.options.registryMaxAgentAgeMs);
    }
  }

  /**
   * An unreachable agent that never came back, pruned from the registry (master.cpp, _doRegistryGc): its unreachable
   * tasks are dropped, neither completed nor reported; a framework that asks about one hears TASK_UNKNOWN.
   */
  private async forgetUnreachableAgent(agent: AgentRecord): Promise<void> {
    for (const [framework, task] of this.tasksOnAgent(agent.id, "unreachableTasks")) {
      framework.unreachableTasks.delete(task.taskId);
      this.delivery.forgetTask(agent.id, framework.id, task.taskId);
    }
    // Those a failover hid from the master (it knew the agent only by its registry entry) go the same way.
    for (const { framework, task } of agent.unknownTasks ?? [])
      this.delivery.forgetTask(agent.id, framework.id, task.taskId);
    agent.unknownTasks = undefined;
    this.agents.delete(agent.id);
    if (!agent.dead) {
      agent.dead = true;
      await agent.handle.stop();
    }
  }

  /**
   * master.cpp `Master::__reregisterSlave`: the tasks the agent reports come back, each announced with its state
   * (a framework that is not partition-aware was told TASK_LOST, and now hears its task runs). The master's other
   * unreachable tasks of the agent are erased without a word: only an explicit reconciliation tells a framework
   * (TASK_GONE, "unknown to the agent").
   */
  private reregisterUnreachable(agent: AgentRecord): void {
    const now = this.now();
    agent.state = "registered";
    agent.reregisteredAt = now;
    agent.unreachableAt = undefined;
    const views = new Map(
      agent.handle.tasks().map((v) => [`${v.frameworkId}\u0000${v.taskInfo.task_id.value}`, v]),
    );
    for (const [framework, task] of this.tasksOnAgent(agent.id, "unreachableTasks")) {
      framework.unreachableTasks.delete(task.taskId);
      task.unreachableAt = undefined;
      const view = views.get(`${framework.id}\u0000${task.taskId}`);
      if (view === undefined) {
        this.delivery.forgetTask(agent.id, framework.id, task.taskId);
        continue;
      }
      task.state = view.state;
      framework.tasks.set(task.taskId, task);
      this.announceReregistered(framework, task, agent, now, view.healthy);
    }
    // Unknown to this master until now (it failed over and the agent missed --agent_reregister_timeout): announced
    // the same way, as "Unreachable agent re-reregistered" (the agent is among `slaves.unreachable`).
    for (const { framework, task, healthy } of this.readmitUnknownTasks(agent))
      this.announceReregistered(framework, task, agent, now, healthy);
  }

  private announceReregistered(
    framework: FrameworkRecord,
    task: TaskRecord,
    agent: AgentRecord,
    now: number,
    healthy: boolean | undefined,
  ): void {
    this.sendEvent(framework.id, {
      type: "UPDATE",
      update: {
        status: taskStatus({
          taskId: task.taskId,
          state: task.state,
          source: "SOURCE_MASTER",
          reason: "REASON_AGENT_REREGISTERED",
          message: "Unreachable agent re-reregistered",
          agentId: agent.id,
          timestampMs: now,
          ...(healthy !== undefined ? { healthy } : {}),
        }),
      },
    });
  }

  // ---------------------------------------------------------------------------------------------- frameworks

  /** Handles a validated SUBSCRIBE whose 200 stream is already open. The first event is SUBSCRIBED or ERROR. */
  subscribe(call: JsonObject, subscription: Subscription): undefined {
    const payload = call.subscribe as JsonObject;
    const info = { ...(payload.framework_info as JsonObject) };
    const caps = capabilitiesOf(info);
    // Master::subscribe (HTTP): validateFramework, then the allocator options built from the call.
    const roles = rolesOf(info, caps, (id) => this.isRemovedFramework(id));
    if ("error" in roles) return this.refuse(subscription, roles.error);
    const optionsError = allocatorOptionsError(roles.roles, payload);
    if (optionsError !== undefined) return this.refuse(subscription, optionsError);
    const requestedId = idOf(call.framework_id);
    const suppressed = suppressedRolesOf(payload);
    if (requestedId !== undefined) {
      const existing = this.frameworks.get(requestedId);
      if (existing) return this.resubscribe(existing, info, caps, roles.roles, suppressed, subscription);
    }
    const id = requestedId ?? `${this.masterId}-${String(this.frameworkSeq++).padStart(4, "0")}`;
    const framework: FrameworkRecord = {
      id,
      info: frameworkInfoWithDefaults({ ...info, id: { value: id } }),
      capabilities: caps,
      roles: roles.roles,
      subscription,
      active: true,
      recovered: false,
      registeredAt: this.now(),
      suppressedRoles: suppressed,
      filters: [],
      tasks: new Map(),
      unreachableTasks: new Map(),
      completedTasks: [],
    };
    this.frameworks.set(id, framework);
    this.subscribed(framework);
  }

  private isRemovedFramework(id: string): boolean {
    return this.completedFrameworks.some((f) => f.id === id);
  }

  private refuse(subscription: Subscription, message: string): undefined {
    subscription.send({ type: "ERROR", error: { message } });
    subscription.close();
  }

  private resubscribe(
    framework: FrameworkRecord,
    info: JsonObject,
    caps: FrameworkCapabilities,
    roles: string[],
    suppressed: Set<string>,
    subscription: Subscription,
  ): undefined {
    // Master::_subscribe: the immutable fields kept (preserveImmutableFields), then validateUpdate, which can then
    // fail only on the principal. A framework recovered from agents has no FrameworkInfo of its own to hold to.
    const preserved = framework.recovered
      ? {}
      : { user: framework.info.user, checkpoint: framework.info.checkpoint ?? false };
    const updated = { ...info, ...preserved };
    const updateError = framework.recovered ? undefined : frameworkUpdateError(framework.info, updated);
    if (updateError !== undefined) return this.refuse(subscription, updateError);
    const old = framework.subscription;
    framework.subscription = undefined;
    if (old) {
      old.send({ type: "ERROR", error: { message: "Framework failed over" } });
      old.close();
    }
    this.stopFrameworkTimers(framework);
    for (const offer of [...this.offers.values()])
      if (offer.frameworkId === framework.id) this.removeOffer(offer);
    this.maintenance.frameworkInactive(framework.id);
    framework.info = frameworkInfoWithDefaults({ ...updated, id: { value: framework.id } });
    framework.capabilities = caps;
    framework.roles = roles;
    framework.suppressedRoles = suppressed;
    framework.subscription = subscription;
    framework.active = true;
    framework.recovered = false;
    framework.reregisteredAt = this.now();
    this.subscribed(framework);
    this.delivery.resend(framework.id);
  }

  private subscribed(framework: FrameworkRecord): void {
    const sub = framework.subscription;
    if (!sub) return;
    sub.send({
      type: "SUBSCRIBED",
      subscribed: {
        framework_id: { value: framework.id },
        heartbeat_interval_seconds: this.options.heartbeatIntervalSeconds,
        master_info: this.masterInfo(),
      },
    });
    sub.send({ type: "HEARTBEAT" });
    framework.heartbeatTimer = setInterval(
      () => framework.subscription?.send({ type: "HEARTBEAT" }),
      this.options.heartbeatIntervalSeconds * 1000,
    );
    framework.heartbeatTimer.unref();
    this.scheduleAllocation();
  }

  /** A SUBSCRIBE connection closed: its framework is deactivated, offers recovered, the failover timeout starts. */
  disconnected(subscription: Subscription): void {
    const framework = [...this.frameworks.values()].find((f) => f.subscription === subscription);
    if (!framework) return;
    framework.subscription = undefined;
    framework.active = false;
    this.stopFrameworkTimers(framework);
    for (const offer of [...this.offers.values()])
      if (offer.frameworkId === framework.id) this.removeOffer(offer);
    this.maintenance.frameworkInactive(framework.id);
    const timeoutMs = Number(framework.info.failover_timeout ?? 0) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs > MAX_TIMER_MS) return;
    framework.failoverTimer = this.timer(
      () => {
        framework.failoverTimer = undefined;
        this.removeFramework(framework);
      },
      Math.max(0, timeoutMs),
    );
  }

  /** Looks up the framework of a non-SUBSCRIBE call, with the real master's checks. */
  frameworkForCall(
    call: JsonObject,
    streamId: string | undefined,
  ): FrameworkRecord | { status: 400 | 403; error: string } {
    const framework = this.frameworks.get(idOf(call.framework_id) ?? "");
    if (!framework) return { status: 400, error: "Framework cannot be found" };
    if (!framework.subscription) return { status: 403, error: "Framework is not subscribed" };
    if (streamId === undefined) {
      return { status: 400, error: "All non-subscribe calls should include the 'Mesos-Stream-Id' header" };
    }
    if (streamId !== framework.subscription.streamId) {
      return {
        status: 400,
        // http.cpp `Master::Http::scheduler`, word for word.
        error: `The stream ID '${streamId}' included in this request didn't match the stream ID currently associated with framework ID ${framework.id}`,
      };
    }
    return framework;
  }

  private stopFrameworkTimers(framework: FrameworkRecord): void {
    if (framework.heartbeatTimer) clearInterval(framework.heartbeatTimer);
    if (framework.failoverTimer) clearTimeout(framework.failoverTimer);
    framework.heartbeatTimer = undefined;
    framework.failoverTimer = undefined;
  }

  /** TEARDOWN or failover timeout: kill every task, forget offers and updates, keep it as completed. */
  removeFramework(framework: FrameworkRecord): void {
    const now = this.now();
    this.stopFrameworkTimers(framework);
    for (const offer of [...this.offers.values()])
      if (offer.frameworkId === framework.id) this.removeOffer(offer);
    this.maintenance.frameworkInactive(framework.id);
    const toKill: TaskRecord[] = [];
    for (const task of [...framework.tasks.values(), ...framework.unreachableTasks.values()]) {
      if (!isTerminalState(task.state)) toKill.push(task);
      // master.cpp `Master::removeFramework` updates every task it holds, one that ended but whose terminal update
      // is unacknowledged too: that one keeps its state and records the TASK_KILLED (Master::updateTask).
      updateTask(
        task,
        taskStatus({
          taskId: task.taskId,
          state: "TASK_KILLED",
          source: "SOURCE_MASTER",
          reason: "REASON_FRAMEWORK_REMOVED",
          // master.cpp, removeFramework: the master's own words, with the framework's id.
          message: `Framework ${framework.id} removed`,
          agentId: task.agentId,
          timestampMs: now,
        }),
      );
      this.complete(framework, task);
    }
    framework.tasks.clear();
    framework.unreachableTasks.clear();
    this.delivery.forgetFramework(framework.id);
    const sub = framework.subscription;
    framework.subscription = undefined;
    sub?.close();
    framework.active = false;
    framework.unregisteredAt = now;
    this.frameworks.delete(framework.id);
    this.completedFrameworks.push(framework);
    for (const task of toKill) {
      const agent = this.agents.get(task.agentId);
      if (agent && !agent.dead && !agent.partitioned) agent.handle.kill(framework.id, task.taskId);
    }
    this.scheduleAllocation();
  }

  complete(framework: FrameworkRecord, task: TaskRecord): void {
    framework.tasks.delete(task.taskId);
    framework.completedTasks.push(task);
    const excess = framework.completedTasks.length - this.options.maxCompletedTasksPerFramework;
    if (excess > 0) framework.completedTasks.splice(0, excess);
  }

  // ---------------------------------------------------------------------------------------------- calls

  /** Applies a validated non-SUBSCRIBE call of a subscribed framework (the master answers 202 first). */
  handleCall(framework: FrameworkRecord, call: JsonObject): CallResult {
    switch (call.type) {
      case "TEARDOWN":
        this.removeFramework(framework);
        return { status: 202 };
      case "ACCEPT":
        this.accept(framework, call.accept as JsonObject);
        return { status: 202 };
      case "DECLINE":
        this.decline(call.decline as JsonObject);
        return { status: 202 };
      case "REVIVE":
        this.revive(framework, call.revive);
        return { status: 202 };
      case "SUPPRESS":
        this.suppress(framework, call.suppress);
        return { status: 202 };
      case "KILL":
        this.kill(framework, call.kill as JsonObject);
        return { status: 202 };
      case "ACKNOWLEDGE":
        this.acknowledge(framework, call.acknowledge as JsonObject);
        return { status: 202 };
      case "RECONCILE":
        this.reconcile(framework, call.reconcile as JsonObject);
        return { status: 202 };
      case "UPDATE_FRAMEWORK":
        return this.updateFramework(framework, call.update_framework as JsonObject);
      case "ACCEPT_INVERSE_OFFERS":
      case "DECLINE_INVERSE_OFFERS": {
        const accept = call.type === "ACCEPT_INVERSE_OFFERS";
        const payload = (accept ? call.accept_inverse_offers : call.decline_inverse_offers) as JsonObject;
        const ids = (Array.isArray(payload.inverse_offer_ids) ? payload.inverse_offer_ids : []).map(
          (o) => idOf(o) ?? "",
        );
        this.maintenance.answer(ids, accept ? "ACCEPT" : "DECLINE", payload.filters);
        return { status: 202 };
      }
      default:
        // SHUTDOWN, MESSAGE, REQUEST, operation feedback: nothing to act on in a local cluster.
        return { status: 202 };
    }
  }

  private accept(framework: FrameworkRecord, accept: JsonObject): void {
    const offerIds = (Array.isArray(accept.offer_ids) ? accept.offer_ids : []).map((o) => idOf(o) ?? "");
    const operations = (Array.isArray(accept.operations) ? accept.operations : []).filter(isObject);
    const plan = planAccept({
      frameworkId: framework.id,
      offerIds,
      operations,
      findOffer: (id) => this.offers.get(id),
      taskIdInUse: (taskId) =>
        framework.tasks.has(taskId)
          ? "active"
          : framework.unreachableTasks.has(taskId)
            ? "unreachable"
            : undefined,
    });
    const now = this.now();
    if (plan.kind === "invalid-offers") {
      for (const offer of plan.namedOffers) this.removeOffer(offer);
      for (const t of plan.tasks) {
        this.sendMasterUpdate(framework, {
          taskId: t.taskId,
          state: framework.capabilities.partitionAware ? "TASK_DROPPED" : "TASK_LOST",
          reason: "REASON_INVALID_OFFERS",
          message: `Task launched with invalid offers: ${plan.error}`,
          agentId: t.agentId,
        });
      }
      this.scheduleAllocation();
      return;
    }
    for (const offer of plan.offers) this.removeOffer(offer, false);
    for (const r of plan.rejections) {
      this.sendMasterUpdate(framework, {
        taskId: r.taskId,
        state: "TASK_ERROR",
        reason: r.reason,
        message: r.message,
        agentId: r.agentId,
      });
    }
    const agent = this.agents.get(plan.agentId);
    for (const launch of plan.launches) {
      const info = { ...launch.task, resources: launch.resources } as TaskInfoJson & JsonObject;
      const command = isObject(info.command) ? info.command : undefined;
      const task: TaskRecord = {
        taskId: launch.taskId,
        frameworkId: framework.id,
        agentId: plan.agentId,
        info,
        resources: launch.resources,
        quantities: launch.quantities,
        pools: launch.pools,
        role: plan.role,
        state: "TASK_STAGING",
        statuses: [],
        containerId: randomUUID(),
        user: typeof command?.user === "string" ? command.user : String(framework.info.user ?? ""),
      };
      framework.tasks.set(task.taskId, task);
      if (agent && !agent.dead && !agent.partitioned)
        agent.handle.launch(framework.id, info, frameworkInfoJson(framework));
    }
    const refuse = refuseSecondsOf(accept.filters);
    if (refuse > 0 && !isEmpty(plan.unused)) {
      this.addFilter(
        framework,
        { agentId: plan.agentId, role: plan.role, quantities: plan.unused },
        refuse,
        now,
      );
    }
    this.scheduleAllocation();
  }

  private addFilter(
    framework: FrameworkRecord,
    filtered: Omit<OfferFilter, "expiresAt">,
    refuseSeconds: number,
    now: number,
  ): void {
    // hierarchical.cpp recoverResources: a filter lasts at least one allocation interval, so the resources are not
    // offered again before the next allocation (MESOS-4302).
    const wait = Math.max(this.options.allocationIntervalMs, refuseSeconds * 1000);
    framework.filters.push({ ...filtered, expiresAt: now + wait });
    if (wait <= MAX_TIMER_MS) this.timer(() => this.scheduleAllocation(), wait);
  }

  private decline(decline: JsonObject): void {
    const refuse = refuseSecondsOf(decline.filters);
    const now = this.now();
    for (const o of Array.isArray(decline.offer_ids) ? decline.offer_ids : []) {
      // master.cpp Master::decline checks no owner: another framework's offer is discarded too, filtered for its
      // owner (discardOffer), and nobody is told.
      const offer = this.offers.get(idOf(o) ?? "");
      const owner = offer && this.frameworks.get(offer.frameworkId);
      if (!offer || !owner) continue;
      this.removeOffer(offer);
      if (refuse > 0) this.addFilter(owner, offer, refuse, now);
    }
    this.scheduleAllocation();
  }

  /**
   * The roles a SUPPRESS or REVIVE is for (the framework's when it names none); undefined when it names an invalid
   * role or one the framework is not subscribed to: master.cpp Master::suppress and Master::revive then drop the
   * whole call, the valid roles too.
   */
  private rolesArg(payload: unknown, framework: FrameworkRecord): string[] | undefined {
    const roles =
      isObject(payload) && Array.isArray(payload.roles)
        ? payload.roles.filter((r): r is string => typeof r === "string")
        : [];
    if (roles.some((r) => roleError(r) !== undefined || !framework.roles.includes(r))) return undefined;
    return roles.length > 0 ? roles : framework.roles;
  }

  /** hierarchical.cpp reviveRoles: the roles are unsuppressed and only their filters cleared. */
  private revive(framework: FrameworkRecord, payload: unknown): void {
    const roles = this.rolesArg(payload, framework);
    if (roles === undefined) return;
    for (const role of roles) framework.suppressedRoles.delete(role);
    framework.filters = framework.filters.filter((f) => !roles.includes(f.role));
    this.maintenance.clearFilters(framework.id);
    this.scheduleAllocation();
  }

  private suppress(framework: FrameworkRecord, payload: unknown): void {
    for (const role of this.rolesArg(payload, framework) ?? []) framework.suppressedRoles.add(role);
  }

  private kill(framework: FrameworkRecord, kill: JsonObject): void {
    const taskId = idOf(kill.task_id) ?? "";
    const task = framework.tasks.get(taskId);
    if (!task) {
      // Unknown to the master: it answers as an explicit reconciliation of that task.
      const agentId = idOf(kill.agent_id);
      this.reconcile(framework, {
        tasks: [{ task_id: { value: taskId }, ...(agentId ? { agent_id: { value: agentId } } : {}) }],
      });
      return;
    }
    // master.cpp Master::kill: a KILL naming another agent than the task's is only logged; nothing is killed.
    const agentId = idOf(kill.agent_id);
    if (agentId !== undefined && agentId !== task.agentId) return;
    if (isTerminalState(task.state)) return;
    const agent = this.agents.get(task.agentId);
    if (!agent || agent.dead) return;
    const grace =
      isObject(kill.kill_policy) && isObject(kill.kill_policy.grace_period)
        ? kill.kill_policy.grace_period.nanoseconds
        : undefined;
    const graceMs = grace === undefined ? undefined : Number(grace) / 1e6;
    if (agent.partitioned) {
      agent.killedTasks ??= new Map();
      agent.killedTasks.set(`${framework.id}\u0000${taskId}`, {
        frameworkId: framework.id,
        taskId,
        ...(graceMs === undefined ? {} : { graceMs }),
      });
      return;
    }
    agent.handle.kill(framework.id, taskId, graceMs);
  }

  /**
   * master.cpp `Master::acknowledge`: the acknowledgement goes to the agent it names, and is dropped when that agent
   * is not registered or not connected (the agent resends the update). A task of that agent whose terminal status
   * update this acknowledges leaves the master's active tasks.
   */
  private acknowledge(framework: FrameworkRecord, ack: JsonObject): void {
    const agentId = idOf(ack.agent_id) ?? "";
    const agent = this.agents.get(agentId);
    if (agent?.state !== "registered" || agent.dead || agent.partitioned || agent.recovering) return;
    const taskId = idOf(ack.task_id) ?? "";
    const uuid = String(ack.uuid);
    const task = framework.tasks.get(taskId);
    if (
      task?.agentId === agentId &&
      task.statusUpdateState !== undefined &&
      task.statusUpdateUuid !== undefined &&
      isTerminalState(task.statusUpdateState) &&
      bytesOfBase64(task.statusUpdateUuid).equals(bytesOfBase64(uuid))
    )
      this.complete(framework, task);
    this.delivery.acknowledge(agentId, framework.id, taskId, uuid);
  }

  private reconcile(framework: FrameworkRecord, payload: JsonObject): void {
    const requests = (Array.isArray(payload.tasks) ? payload.tasks : []).filter(isObject).map((t) => {
      const agentId = idOf(t.agent_id);
      return { taskId: idOf(t.task_id) ?? "", ...(agentId !== undefined ? { agentId } : {}) };
    });
    const answers = reconcile({
      partitionAware: framework.capabilities.partitionAware,
      requests,
      activeTasks: framework.tasks,
      agentState: (agentId) => {
        const agent = this.agents.get(agentId);
        return agent?.recovering ? "recovered" : agent?.state;
      },
      agentUnreachableAt: (agentId) => this.agents.get(agentId)?.unreachableAt,
      agentGone: (agentId) => this.goneAgents.has(agentId),
      anyRecovered: [...this.agents.values()].some((a) => a.recovering),
      nowMs: this.now(),
    });
    for (const status of answers) this.sendEvent(framework.id, { type: "UPDATE", update: { status } });
  }

  /** Master::updateFramework: the new FrameworkInfo validated, then compared with the old, then its options. */
  private updateFramework(framework: FrameworkRecord, payload: JsonObject): CallResult {
    const info = payload.framework_info as JsonObject;
    const caps = capabilitiesOf(info);
    const roles = rolesOf(info, caps, (id) => this.isRemovedFramework(id));
    if ("error" in roles)
      return { status: 400, error: `Supplied FrameworkInfo is not valid: ${roles.error}` };
    const updateError = frameworkUpdateError(framework.info, info);
    if (updateError !== undefined)
      return { status: 400, error: `FrameworkInfo update is not valid: ${updateError}` };
    const optionsError = allocatorOptionsError(roles.roles, payload);
    if (optionsError !== undefined)
      return { status: 400, error: `'UpdateFramework' call is not valid: ${optionsError}` };
    framework.info = frameworkInfoWithDefaults({ ...info, id: { value: framework.id } });
    framework.capabilities = caps;
    framework.roles = roles.roles;
    // The call's suppressed roles replace the framework's: none given, none suppressed.
    framework.suppressedRoles = suppressedRolesOf(payload);
    for (const offer of [...this.offers.values()]) {
      if (offer.frameworkId === framework.id && !roles.roles.includes(offer.role)) this.rescindOffer(offer);
    }
    this.scheduleAllocation();
    return { status: 200 };
  }

  private sendMasterUpdate(
    framework: FrameworkRecord,
    f: { taskId: string; state: TaskStateName; reason: string; message: string; agentId: string },
  ): void {
    this.sendEvent(framework.id, {
      type: "UPDATE",
      update: {
        status: taskStatus({
          taskId: f.taskId,
          state: f.state,
          source: "SOURCE_MASTER",
          reason: f.reason,
          message: f.message,
          ...(f.agentId !== "" ? { agentId: f.agentId } : {}),
          timestampMs: this.now(),
        }),
      },
    });
  }

  sendEvent(frameworkId: string, event: JsonObject): boolean {
    const sub = this.frameworks.get(frameworkId)?.subscription;
    if (!sub) return false;
    sub.send(event);
    return true;
  }

  // ---------------------------------------------------------------------------------------------- offers

  scheduleAllocation(): void {
    if (this.allocationPending || this.closed) return;
    this.allocationPending = true;
    setImmediate(() => {
      this.allocationPending = false;
      this.allocateNow();
    });
  }

  /** Resources used by non-terminal tasks, per agent. */
  usedByAgent(): Map<string, Quantities> {
    const used = new Map<string, Quantities>();
    for (const f of this.frameworks.values()) {
      for (const t of f.tasks.values()) {
        if (isTerminalState(t.state)) continue;
        used.set(t.agentId, add(used.get(t.agentId) ?? emptyQuantities(), t.quantities));
      }
    }
    return used;
  }

  offeredByAgent(): Map<string, Quantities> {
    const offered = new Map<string, Quantities>();
    for (const o of this.offers.values())
      offered.set(o.agentId, add(offered.get(o.agentId) ?? emptyQuantities(), o.quantities));
    return offered;
  }

  /** `RoleResourceBreakdown::consumedQuota`; with `offered`, as the allocator counts it, outstanding offers too. */
  consumedQuota(role: string, offered = false): Quantities {
    const held: Array<{ role: string; pools: readonly Pool[] }> = [];
    for (const f of this.frameworks.values())
      for (const t of f.tasks.values()) if (!isTerminalState(t.state)) held.push(t);
    if (offered) for (const o of this.offers.values()) held.push(o);
    const registered = [...this.agents.values()].filter((a) => a.state === "registered");
    return consumedQuota(
      role,
      registered.map((a) => a.pools),
      held,
    );
  }

  /** What an `UPDATE_QUOTA` is checked against. */
  quotaContext(): QuotaContext {
    const registered = [...this.agents.values()].filter((a) => a.state === "registered");
    return {
      consumedOf: (role) => this.consumedQuota(role),
      capacity: registered.reduce((sum, a) => add(sum, a.total), emptyQuantities()),
    };
  }

  /** Pools of non-terminal tasks and of outstanding offers on one agent: what is not free there. */
  private heldPools(agentId: string): Pool[] {
    const held: Pool[][] = [];
    for (const f of this.frameworks.values())
      for (const t of f.tasks.values())
        if (t.agentId === agentId && !isTerminalState(t.state)) held.push(t.pools);
    for (const o of this.offers.values()) if (o.agentId === agentId) held.push(o.pools);
    return mergePools(...held);
  }

  allocateNow(): void {
    if (this.withholdOffers || this.closed) return;
    this.allocateOffers();
    this.maintenance.sendInverseOffers();
  }

  private allocateOffers(): void {
    const now = this.now();
    const agents = [...this.agents.values()]
      .filter((a) => a.state === "registered" && !a.dead && !a.partitioned && !a.recovering)
      .map((a) => ({
        id: a.id,
        hasGpu: a.total.gpus > 0,
        remote: this.isRemote(a.handle),
        pools: subtractPools(a.pools, this.heldPools(a.id)),
      }))
      .filter((a) => isAllocatable(sumPools(a.pools)));
    if (agents.length === 0) return;
    const heldBy = new Map<string, Quantities>();
    for (const f of this.frameworks.values()) {
      let held = emptyQuantities();
      for (const t of f.tasks.values()) if (!isTerminalState(t.state)) held = add(held, t.quantities);
      heldBy.set(f.id, held);
    }
    for (const o of this.offers.values())
      heldBy.set(o.frameworkId, add(heldBy.get(o.frameworkId) ?? emptyQuantities(), o.quantities));
    const frameworks = [...this.frameworks.values()]
      .filter((f) => f.active && f.subscription)
      .map((f) => {
        f.filters = f.filters.filter((x) => x.expiresAt > now);
        return {
          id: f.id,
          roles: f.roles.filter((r) => !f.suppressedRoles.has(r)),
          held: heldBy.get(f.id) ?? emptyQuantities(),
          filters: f.filters,
          gpuCapable: f.capabilities.gpuResources,
          regionAware: f.capabilities.regionAware,
          refinement: f.capabilities.refinement,
        };
      });
    if (frameworks.length === 0) return;
    const total = [...this.agents.values()].reduce((sum, a) => add(sum, a.total), emptyQuantities());
    const quotas = new Map<string, RoleQuotaState>();
    // The allocator counts what it has offered as consumed too, until it is declined or used.
    for (const [role, q] of this.quota.entries())
      quotas.set(role, { ...q, consumed: this.consumedQuota(role, true) });
    const quota =
      quotas.size === 0
        ? undefined
        : new QuotaAllowance(quotas, sumPools(splitByReservation(agents.flatMap((a) => a.pools)).unreserved));
    const allocations = allocate(agents, frameworks, total, this.allocationRound++, quota);
    const byFramework = new Map<string, JsonObject[]>();
    for (const a of allocations) {
      const framework = this.frameworks.get(a.frameworkId);
      const agent = this.agents.get(a.agentId);
      if (!framework || !agent) continue;
      const offer = this.createOffer(framework, agent, a.role, a.pools);
      byFramework.set(framework.id, [...(byFramework.get(framework.id) ?? []), offer.json]);
    }
    for (const [frameworkId, offers] of byFramework)
      this.sendEvent(frameworkId, { type: "OFFERS", offers: { offers } });
  }

  private createOffer(
    framework: FrameworkRecord,
    agent: AgentRecord,
    role: string,
    pools: Pool[],
  ): OfferRecord {
    const id = `${this.masterId}-O${this.offerSeq++}`;
    const quantities = sumPools(pools);
    const allocationRole = framework.capabilities.multiRole ? role : undefined;
    const port = agentPort(agent.handle);
    const json: JsonObject = {
      id: { value: id },
      framework_id: { value: framework.id },
      agent_id: { value: agent.id },
      hostname: agent.handle.hostname,
      url: {
        scheme: "http",
        address: { hostname: agent.handle.hostname, ip: "127.0.0.1", port },
        path: "/slave(1)",
      },
      resources: poolsToJson(pools, {
        refinement: framework.capabilities.refinement,
        ...(allocationRole !== undefined ? { allocationRole } : {}),
      }),
      attributes: textAttributes(agent.handle.attributes),
    };
    // master.cpp `Master::offer`: an offer carries its agent's domain.
    if (agent.handle.domain !== undefined) json.domain = domainJson(agent.handle.domain);
    // No `executor_ids`: master.cpp `Master::offer` lists the framework's executors the master tracks on the agent,
    // and it tracks only a task's own ExecutorInfo (`Master::accept` calls `addExecutor` only when the task has
    // one). A command task's executor is made by the agent and never reaches the master, and custom executors are
    // refused here, so the master has none to list.
    // master.cpp `Master::offer`: offers of an agent whose machine is scheduled for maintenance carry the window.
    const unavailability = this.maintenance.unavailabilityOf(agent);
    if (unavailability !== undefined) json.unavailability = unavailability;
    if (allocationRole !== undefined) json.allocation_info = { role: allocationRole };
    const offer: OfferRecord = {
      id,
      frameworkId: framework.id,
      agentId: agent.id,
      role,
      quantities,
      pools,
      json,
    };
    if (this.options.offerTimeoutMs !== undefined) {
      offer.timer = this.timer(() => {
        if (this.offers.get(id) === offer) this.rescindOffer(offer);
      }, this.options.offerTimeoutMs);
    }
    this.offers.set(id, offer);
    return offer;
  }

  private removeOffer(offer: OfferRecord, recover = true): void {
    if (offer.timer) {
      clearTimeout(offer.timer);
      this.timers.delete(offer.timer);
    }
    this.offers.delete(offer.id);
    if (recover) this.scheduleAllocation();
  }

  /** Takes an outstanding offer back and tells the framework (RESCIND). */
  rescindOffer(offer: OfferRecord): void {
    this.removeOffer(offer);
    this.sendEvent(offer.frameworkId, { type: "RESCIND", rescind: { offer_id: { value: offer.id } } });
  }

  // ---------------------------------------------------------------------------------------------- master failover

  /**
   * Fault: the leading master dies and a new one is elected at the same address. Scheduler streams drop; offers,
   * completed tasks and frameworks without tasks are lost; tasks survive (agents re-register with them) and their
   * frameworks are "recovered" until they re-subscribe. failover_timeout is not carried over (as in Mesos).
   * With `reregisterDelayMs` the agents re-register only after that long, as real agents do after a failover
   * (master.cpp `Master::_recover`: the registry holds only AgentInfos, `slaves.recovered` until the agent
   * re-registers or --agent_reregister_timeout passes): meanwhile the master knows none of their tasks (nor a
   * framework it knows from no other task), answers no reconciliation about them, holds no kill for them, their
   * updates wait on the agent and no offers are made for them.
   */
  failover(reregisterDelayMs = 0): void {
    for (const offer of [...this.offers.values()]) this.removeOffer(offer, false);
    this.maintenance.failover();
    this.quota.failover();
    this.masterId = randomUUID();
    this.startedAt = this.now();
    this.electedAt = this.startedAt;
    let recovering = false;
    for (const agent of this.agents.values()) {
      // The kills the old master held for an agent it could not reach die with it.
      agent.killedTasks = undefined;
      if (agent.markedGone) {
        // Marked gone while recovered: the registry lists it among the gone agents only (registrar `MarkSlaveGone`).
        this.forgetGoneAgent(agent);
        continue;
      }
      if (agent.state === "unreachable") {
        this.forgetUnreachableTasks(agent);
        continue;
      }
      // A stopped agent never re-registers: the new master knows it only from its registry, like any agent yet to.
      if (reregisterDelayMs <= 0 && !agent.dead) {
        agent.reregisteredAt = this.startedAt;
        continue;
      }
      recovering = true;
      agent.recovering = true;
      // The old master's health checks of the agent end with it.
      this.clearAgentTimers(agent);
      const unknown = this.tasksOnAgent(agent.id, "tasks").map(([framework, task]) => {
        framework.tasks.delete(task.taskId);
        return { framework, task };
      });
      agent.unknownTasks = [...(agent.unknownTasks ?? []), ...unknown];
      if (agent.dead) continue;
      if (!agent.partitioned) agent.handle.partition();
      if (agent.reregisterTimer) clearTimeout(agent.reregisterTimer);
      agent.reregisterTimer = this.timer(() => {
        agent.reregisterTimer = undefined;
        this.agentReregistered(agent);
      }, reregisterDelayMs);
    }
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = recovering
      ? this.timer(() => this.recoveredAgentsTimeout(), this.options.agentReregisterTimeoutMs)
      : undefined;
    for (const framework of [...this.frameworks.values()]) {
      this.stopFrameworkTimers(framework);
      const sub = framework.subscription;
      framework.subscription = undefined;
      sub?.drop();
      framework.active = false;
      framework.completedTasks = [];
      framework.filters = [];
      // A framework the new master knows from no task is learned when its agents re-register or it re-subscribes.
      if (framework.tasks.size === 0 && framework.unreachableTasks.size === 0) {
        this.frameworks.delete(framework.id);
        continue;
      }
      framework.recovered = true;
    }
    this.completedFrameworks = [];
  }

  /** An agent the next master knows only as gone, or not at all once the registry pruned it. */
  private forgetGoneAgent(agent: AgentRecord): void {
    this.refuseGoneAgent(agent);
    if (agent.reregisterTimer) clearTimeout(agent.reregisterTimer);
    agent.reregisterTimer = undefined;
    this.agents.delete(agent.id);
  }

  /**
   * An agent the old master had marked unreachable is in the registry's unreachable list with the time it was marked
   * (master.cpp `Master::_recover`, `slaves.unreachable`), and the new master knows it only by that: it stays
   * unreachable, and an explicit reconciliation naming it answers TASK_UNREACHABLE with that time (TASK_LOST without
   * PARTITION_AWARE; `Master::reconcile`, case 4). Its tasks are not in the registry: the new master knows none of
   * them (`slaves.unreachableTasks` starts empty) until the agent re-registers with those it still runs.
   */
  private forgetUnreachableTasks(agent: AgentRecord): void {
    const unknown = this.tasksOnAgent(agent.id, "unreachableTasks").map(([framework, task]) => {
      framework.unreachableTasks.delete(task.taskId);
      task.unreachableAt = undefined;
      return { framework, task };
    });
    agent.unknownTasks = [...(agent.unknownTasks ?? []), ...unknown];
  }

  /**
   * master.cpp `Master::recoveredSlavesTimeout`: the agents of the registry that have not re-registered within
   * --agent_reregister_timeout are marked unreachable (`markUnreachable` during failover): each framework gets a
   * FAILURE event for the agent (`sendSlaveLost`) and none hears of its tasks, which the master does not know.
   */
  private recoveredAgentsTimeout(): void {
    this.recoveryTimer = undefined;
    // `Master::markUnreachable` skips an agent marked gone: it stays recovered.
    for (const agent of this.agents.values())
      if (agent.recovering && !agent.markedGone) this.markUnreachable(agent);
  }

  /**
   * The agent re-registers with the new master (master.cpp `Master::__reregisterSlave`). Within the timeout it is
   * simply admitted with its tasks, which the frameworks hear nothing about; marked unreachable meanwhile, it comes
   * back as an unreachable agent does. Tasks of a framework removed meanwhile are killed on it, not re-added.
   */
  private agentReregistered(agent: AgentRecord): void {
    if (agent.dead || agent.partitioned || this.agents.get(agent.id) !== agent) return;
    if (this.goneAgents.has(agent.id)) {
      this.refuseGoneAgent(agent);
      return;
    }
    agent.markedGone = undefined;
    if (agent.state === "unreachable") {
      this.clearAgentTimers(agent);
      this.reregisterUnreachable(agent);
    } else {
      agent.reregisteredAt = this.now();
      this.readmitUnknownTasks(agent);
    }
    agent.recovering = false;
    agent.handle.heal();
    this.shutDownCompletedFrameworks(agent);
    this.delivery.resendAgent(agent.id);
    this.scheduleAllocation();
  }

  /**
   * master.cpp `Master::reregisterSlave`: an agent marked gone is refused and told to shut down ("Agent has been
   * marked gone"), so it kills its tasks and exits; no framework hears of them. The master still counts it among
   * its recovered agents (`markedGone`).
   */
  private refuseGoneAgent(agent: AgentRecord): void {
    for (const { framework, task } of agent.unknownTasks ?? [])
      this.delivery.forgetTask(agent.id, framework.id, task.taskId);
    agent.unknownTasks = undefined;
    if (agent.dead) return;
    agent.dead = true;
    void agent.handle.stop();
  }

  /**
   * The tasks of the agent the master did not know, back among their frameworks' tasks in the state the agent
   * reports; a framework the master forgot at the failover comes back recovered (`Master::recoverFramework`).
   */
  private readmitUnknownTasks(
    agent: AgentRecord,
  ): Array<{ framework: FrameworkRecord; task: TaskRecord; healthy: boolean | undefined }> {
    const unknown = agent.unknownTasks ?? [];
    agent.unknownTasks = undefined;
    const views = new Map(
      agent.handle.tasks().map((v) => [`${v.frameworkId}\u0000${v.taskInfo.task_id.value}`, v]),
    );
    const completed = new Set(this.completedFrameworks.map((f) => f.id));
    const readmitted: Array<{ framework: FrameworkRecord; task: TaskRecord; healthy: boolean | undefined }> =
      [];
    for (const { framework: known, task } of unknown) {
      const view = views.get(`${known.id}\u0000${task.taskId}`);
      if (view === undefined || completed.has(known.id)) continue;
      let framework = this.frameworks.get(known.id);
      if (framework === undefined) {
        framework = known;
        framework.recovered = true;
        this.frameworks.set(framework.id, framework);
      }
      task.state = view.state;
      framework.tasks.set(task.taskId, task);
      readmitted.push({ framework, task, healthy: view.healthy });
    }
    return readmitted;
  }

  // ---------------------------------------------------------------------------------------------- info & lifecycle

  /** An agent whose fault domain is in another region than the master's (hierarchical.cpp `isRemoteSlave`). */
  isRemote(handle: LocalAgentHandle): boolean {
    const own = this.options.domain;
    return handle.domain !== undefined && own !== undefined && handle.domain.region !== own.region;
  }

  masterInfo(): JsonObject {
    return {
      id: this.masterId,
      // 127.0.0.1 in network byte order, read as a little-endian uint32 (as MasterInfo.ip is written).
      ip: 16777343,
      port: this.port,
      pid: `master@127.0.0.1:${this.port}`,
      hostname: "127.0.0.1",
      version: MESOS_VERSION,
      address: { hostname: "127.0.0.1", ip: "127.0.0.1", port: this.port },
      capabilities: [{ type: "AGENT_UPDATE" }, { type: "AGENT_DRAINING" }, { type: "QUOTA_V2" }],
      ...(this.options.domain === undefined ? {} : { domain: domainJson(this.options.domain) }),
    };
  }

  private timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  /** Stops timers and closes every scheduler stream. Agents are stopped by their owner. */
  close(): void {
    this.closed = true;
    if (this.allocationTimer) clearInterval(this.allocationTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const framework of this.frameworks.values()) {
      this.stopFrameworkTimers(framework);
      framework.subscription?.close();
      framework.subscription = undefined;
    }
    for (const agent of this.agents.values()) this.clearAgentTimers(agent);
    this.maintenance.close();
    this.delivery.close();
  }
}
