import type { SchedulerSession } from "../mesos/session.js";
import type { Tracking } from "./tracking.js";

const RESEND_MS = 2000;
/** Unanswered reconciliation is asked again this often once the rollout moved on without the answers. */
const SLOW_RESEND_MS = 10_000;
/**
 * How long the rollout holds still for reconciliation answers. A master that failed over answers nothing for tasks
 * on agents that have not re-registered (master.cpp `Master::reconcileTasks`, case 2: a task on a recovered agent
 * gets no answer) for up to --agent_reregister_timeout (10 min by default): silence is unknown, never gone. After
 * this the rollout goes on with such tasks holding their instances, neither counting nor relaunched.
 */
const HOLD_MS = 10_000;

/** Sends a scheduler call, returning whether it went through (a transient failure is retried by the loop). */
export type Tolerate = (what: string, call: () => Promise<void>) => Promise<boolean>;

/**
 * Explicit reconciliation of the tasks a deploy knows of: asked at every subscription and for launches whose
 * ACCEPT may not have arrived, asked again until answered. The answers themselves arrive as status updates and
 * clear `tracking.unanswered`.
 */
export class Reconciliation {
  private startedAt = 0;
  private sentAt = 0;
  /** A reconciliation ran since the rollout last moved. */
  private active = false;

  constructor(
    private readonly tracking: Tracking,
    private readonly now: () => number,
  ) {}

  /** After SUBSCRIBED: every task known is asked about, then implicit reconciliation reveals the others. */
  async start(session: SchedulerSession, tolerate: Tolerate): Promise<void> {
    const live = [...this.tracking.tasks.values()];
    this.tracking.unanswered.clear();
    for (const task of live) this.tracking.unanswered.add(task.taskId);
    this.active = true;
    this.startedAt = this.now();
    this.sentAt = this.startedAt;
    if (
      !(await this.send(
        session,
        tolerate,
        live.map((t) => t.taskId),
      ))
    )
      this.sentAt = 0;
    await tolerate("RECONCILE", () => session.reconcile([]));
  }

  /** Launches whose ACCEPT failed may or may not have reached the master: ask it before launching them again. */
  unsure(taskIds: readonly string[]): void {
    for (const taskId of taskIds) this.tracking.unanswered.add(taskId);
    this.sentAt = 0;
    this.startedAt = this.now();
    this.active = true;
  }

  /** The rollout waits for the answers, for a bounded time. */
  holding(): boolean {
    return this.tracking.unanswered.size > 0 && this.now() - this.startedAt < HOLD_MS;
  }

  async retry(session: SchedulerSession, tolerate: Tolerate): Promise<void> {
    if (this.tracking.unanswered.size === 0) return;
    const now = this.now();
    if (now - this.sentAt < (this.holding() ? RESEND_MS : SLOW_RESEND_MS)) return;
    this.sentAt = now;
    await this.send(session, tolerate, [...this.tracking.unanswered]);
  }

  /**
   * The rollout moves again. Returns undefined when every task was answered (that wait does not count against
   * the progress deadline), else a warning: the unknown tasks count against the deadlines, never relaunched.
   */
  endHold(): "answered" | string | undefined {
    if (!this.active) return undefined;
    this.active = false;
    const ids = [...this.tracking.unanswered];
    if (ids.length === 0) return "answered";
    return `the master has not reported ${ids.length} task(s) since titan asked (${ids.join(", ")}); their agents may not have re-registered after a master failover. They keep their instances and are not relaunched; the deploy waits for them within its deadlines`;
  }

  private send(session: SchedulerSession, tolerate: Tolerate, taskIds: readonly string[]): Promise<boolean> {
    const tasks = taskIds.flatMap((id) => {
      const task = this.tracking.tasks.get(id);
      return task === undefined ? [] : [{ taskId: id, ...(task.agentId ? { agentId: task.agentId } : {}) }];
    });
    return tolerate("RECONCILE", () => session.reconcile(tasks));
  }
}
