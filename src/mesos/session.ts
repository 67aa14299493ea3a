import type { TitanError } from "../cli/errors.js";
import { backoffDelay, sleep } from "./backoff.js";
import {
  acceptCall,
  acknowledgeCall,
  declineCall,
  inverseOffersCall,
  killCall,
  launchOperation,
  reconcileCall,
  reviveCall,
  subscribeCall,
  suppressCall,
  teardownCall,
} from "./calls.js";
import {
  BadResponseError,
  ConnectionError,
  FailedOverError,
  FrameworkRemovedError,
  MesosTimeoutError,
  NotLeaderError,
  SubscriptionLostError,
  SubscriptionRefusedError,
  TemporarilyUnavailableError,
} from "./errors.js";
import { parseSchedulerEvent } from "./events.js";
import { sanitizeExcerpt } from "./excerpt.js";
import type { MasterCluster } from "./leader.js";
import { JSON_HEADERS } from "./operator.js";
import { RecordIODecoder } from "./recordio.js";
import { errorForStatus, statusLine } from "./responses.js";
import { formatMs, type HttpStream } from "./transport.js";
import type { FrameworkID, FrameworkInfo, OfferOperation, TaskInfo, TaskStatus } from "./types/mesos.js";
import type { SchedulerEvent, SessionCall } from "./types/scheduler.js";

export const SCHEDULER_PATH = "/api/v1/scheduler";

export interface SessionTimings {
  /** Until the SUBSCRIBE response headers and then the first record arrive (default 30 s). */
  subscribeDeadlineMs: number;
  /** Heartbeats that may be missed before the subscription counts as dead (default 5, as Mesos advises). */
  missedHeartbeats: number;
  /** Deadline for every other call (default 75 s). */
  callDeadlineMs: number;
  /** Reconnect backoff: first delay and cap (defaults 1 s and 15 s). */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** How long the session keeps trying to re-subscribe before giving up (default 10 min). */
  reconnectDeadlineMs: number;
  /** Largest RecordIO record accepted (default 4 MiB). */
  maxRecordBytes: number;
}

export const DEFAULT_SESSION_TIMINGS: SessionTimings = {
  subscribeDeadlineMs: 30_000,
  missedHeartbeats: 5,
  callDeadlineMs: 75_000,
  backoffInitialMs: 1000,
  backoffMaxMs: 15_000,
  reconnectDeadlineMs: 10 * 60_000,
  maxRecordBytes: 4 * 1024 * 1024,
};

export interface SessionOptions {
  cluster: MasterCluster;
  /** The FrameworkInfo to subscribe with; set `id` to fail over to an existing framework. */
  framework: FrameworkInfo;
  timings?: Partial<SessionTimings>;
  /** Ends the session (the event iteration simply stops) when aborted. */
  signal?: AbortSignal;
  /**
   * Cuts short the calls in flight when aborted (they fail at once), leaving the session open: an interrupted
   * caller must not wait out a call the master holds, yet may still send its last calls (a SUPPRESS).
   */
  interrupt?: AbortSignal;
  /** Acknowledge uuid-carrying updates automatically once the consumer's handler finished (default true). */
  autoAcknowledge?: boolean;
  /** Diagnostics: reconnects, skipped unknown events, failed acknowledgements. */
  log?: (line: string) => void;
  random?: () => number;
  now?: () => number;
  /**
   * How many times the session subscribes again after another subscriber took its framework over ("Framework failed
   * over"), to take it back; 0 (the default) ends the session instead. For a caller that holds the app's lock, so
   * the other subscriber had no right to the framework (a supervisor that had not yet seen the lock).
   */
  retakeFailovers?: number;
  /**
   * Asked before each take-back: whether the caller still has the right to the framework (it still holds the app's
   * lock). False ends the session with the master's message, as when the retakes run out.
   */
  mayRetake?: () => Promise<boolean>;
}

/** Emitted (not sent by Mesos) when the subscription dropped and the session is about to re-subscribe. */
export interface ReconnectingEvent {
  type: "RECONNECTING";
  reason: string;
  attempt: number;
  delayMs: number;
}

export type SessionEvent = SchedulerEvent | ReconnectingEvent;

/**
 * Failures worth another SUBSCRIBE: the network, silence, no leader yet, redirects during an election, a master
 * still starting (404) and proxies failing (5xx). Everything else (ERROR events, 401/403, broken framing, other
 * 4xx, and bugs) ends the session.
 */
function isRetryable(error: unknown): boolean {
  if (error instanceof BadResponseError) return error.status === 404 || (error.status ?? 0) >= 500;
  return (
    error instanceof ConnectionError ||
    error instanceof MesosTimeoutError ||
    error instanceof TemporarilyUnavailableError ||
    error instanceof NotLeaderError
  );
}

function errorFromMaster(message: string, refusedSubscription: boolean): TitanError {
  if (/has been removed|torn down|teardown/i.test(message)) {
    return new FrameworkRemovedError(`the master ended the subscription: ${message}`);
  }
  // An ERROR instead of SUBSCRIBED: the master refused the FrameworkInfo itself (Master::validateFramework), and
  // will refuse it again however often titan re-subscribes.
  if (refusedSubscription)
    return new SubscriptionRefusedError(`the master refused the subscription: ${message}`);
  if (/failed over/i.test(message))
    return new FailedOverError(
      `the master ended the subscription: ${message}`,
      "another titan subscribed with the same framework id; only one deploy can run at a time",
    );
  return new SubscriptionLostError(
    `the master ended the subscription: ${message}`,
    "re-run the command; titan re-subscribes with the same framework id",
  );
}

/**
 * One framework subscription on the v1 scheduler API. Consume it with `for await (const e of session.events())`:
 * the iteration subscribes, yields every event (plus RECONNECTING when the stream drops), re-subscribes on its
 * own with the same framework id after a disconnect, truncated stream or missed heartbeats, and ends by throwing
 * on a fatal condition (ERROR event, 401/403, framework removed, reconnect deadline) or quietly after close().
 * A uuid-carrying UPDATE is acknowledged when the loop asks for the next event, i.e. after the handler finished;
 * if the handler throws, it is not acknowledged and Mesos redelivers it.
 */
export class SchedulerSession {
  private readonly cluster: MasterCluster;
  private framework: FrameworkInfo;
  private readonly timings: SessionTimings;
  private readonly autoAcknowledge: boolean;
  private readonly log: (line: string) => void;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly retakeFailovers: number;
  private readonly mayRetake: () => Promise<boolean>;
  private readonly lifetime = new AbortController();
  /** Calls in flight, cut short by `interrupt` (calls made after it have a signal of their own). */
  private inFlight = new AbortController();
  private stream: HttpStream | undefined;
  private streamId: string | undefined;
  private master: URL | undefined;
  private readonly offers = new Set<string>();
  private iterating = false;

  constructor(options: SessionOptions) {
    this.cluster = options.cluster;
    this.framework = options.framework;
    this.timings = { ...DEFAULT_SESSION_TIMINGS, ...options.timings };
    this.autoAcknowledge = options.autoAcknowledge ?? true;
    this.log = options.log ?? (() => {});
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.retakeFailovers = options.retakeFailovers ?? 0;
    this.mayRetake = options.mayRetake ?? (async () => true);
    const interrupt = options.interrupt;
    if (interrupt !== undefined) {
      const onInterrupt = (): void => {
        this.inFlight.abort(interrupt.reason);
        this.inFlight = new AbortController();
      };
      interrupt.addEventListener("abort", onInterrupt, { once: true });
      // A long-lived signal (a supervisor's) outlives many sessions: each takes its listener away when it closes.
      this.lifetime.signal.addEventListener(
        "abort",
        () => interrupt.removeEventListener("abort", onInterrupt),
        {
          once: true,
        },
      );
    }
    const signal = options.signal;
    if (signal?.aborted) this.lifetime.abort();
    else if (signal) {
      const onAbort = (): void => this.close();
      signal.addEventListener("abort", onAbort, { once: true });
      this.lifetime.signal.addEventListener("abort", () => signal.removeEventListener("abort", onAbort), {
        once: true,
      });
    }
  }

  /** The framework id once subscribed (persist it: it is what a later run fails over to). */
  get frameworkId(): string | undefined {
    return this.framework.id?.value;
  }

  /** Whether a subscription is live right now. */
  get subscribed(): boolean {
    return this.streamId !== undefined;
  }

  /** Offers received on the current subscription and not yet accepted, declined or rescinded. */
  outstandingOffers(): ReadonlySet<string> {
    return this.offers;
  }

  events(): AsyncIterable<SessionEvent> {
    if (this.iterating) throw new Error("a scheduler session has a single event consumer");
    this.iterating = true;
    return this.run();
  }

  private get closed(): boolean {
    return this.lifetime.signal.aborted;
  }

  private async *run(): AsyncGenerator<SessionEvent> {
    let attempt = 0;
    let lostSince: number | undefined;
    let retakes = 0;
    try {
      while (!this.closed) {
        let reason: string;
        try {
          for await (const event of this.subscribeOnce()) {
            if (event.type === "SUBSCRIBED") {
              attempt = 0;
              lostSince = undefined;
            }
            yield event;
            if (event.type === "UPDATE" && this.autoAcknowledge)
              await this.acknowledgeQuietly(event.update.status);
          }
          reason = "the master closed the event stream";
        } catch (error) {
          if (this.closed) return;
          const retake =
            error instanceof FailedOverError && retakes < this.retakeFailovers && (await this.mayRetake());
          if (!retake && !isRetryable(error)) throw error;
          if (retake) retakes += 1;
          reason = error instanceof Error ? error.message : String(error);
        } finally {
          this.dropSubscription();
        }
        if (this.closed) return;
        lostSince ??= this.now();
        if (this.now() - lostSince > this.timings.reconnectDeadlineMs) {
          throw new SubscriptionLostError(
            `could not re-subscribe for ${formatMs(this.timings.reconnectDeadlineMs)}: ${reason}`,
            "check the masters; the framework keeps its tasks until its failover timeout",
          );
        }
        const delayMs = backoffDelay(
          attempt,
          { initialMs: this.timings.backoffInitialMs, maxMs: this.timings.backoffMaxMs },
          this.random,
        );
        attempt += 1;
        this.log(`scheduler: subscription lost (${reason}); re-subscribing in ${formatMs(delayMs)}`);
        yield { type: "RECONNECTING", reason, attempt, delayMs };
        await sleep(delayMs, this.lifetime.signal);
      }
    } finally {
      this.dropSubscription();
      this.iterating = false;
    }
  }

  /** One subscription: SUBSCRIBE, then the events of its stream until it ends. */
  private async *subscribeOnce(): AsyncGenerator<SchedulerEvent> {
    const stream = await this.openSubscription();
    const decoder = new RecordIODecoder(this.timings.maxRecordBytes);
    let first = true;
    for await (const chunk of stream.chunks) {
      for (const record of decoder.push(chunk)) {
        const parsed = parseSchedulerEvent(record);
        if (parsed.kind === "unknown") {
          this.log(`scheduler: skipping unknown event type ${parsed.type}`);
          continue;
        }
        const event = parsed.event;
        if (first && event.type !== "SUBSCRIBED" && event.type !== "ERROR") {
          throw new BadResponseError(`event stream did not start with SUBSCRIBED but ${event.type}`, {
            status: 200,
          });
        }
        const opening = first;
        first = false;
        this.track(event, stream, opening);
        yield event;
      }
    }
    if (!decoder.atBoundary) {
      throw new ConnectionError(
        `the event stream from ${stream.url.origin} was cut off in the middle of a record`,
        "the connection to the master dropped",
      );
    }
  }

  /** `opening`: the stream's first event, which is SUBSCRIBED, or ERROR when the master refuses the subscription. */
  private track(event: SchedulerEvent, stream: HttpStream, opening: boolean): void {
    switch (event.type) {
      case "SUBSCRIBED": {
        const id = event.subscribed.framework_id;
        this.framework = { ...this.framework, id: { value: id.value } };
        const interval = event.subscribed.heartbeat_interval_seconds ?? 15;
        stream.setIdleTimeout(Math.max(1, Math.round(interval * 1000 * this.timings.missedHeartbeats)));
        return;
      }
      case "OFFERS":
        for (const offer of event.offers.offers ?? []) this.offers.add(offer.id.value);
        return;
      case "RESCIND":
        this.offers.delete(event.rescind.offer_id.value);
        return;
      case "ERROR":
        throw errorFromMaster(event.error.message, opening);
      default:
        return;
    }
  }

  private async openSubscription(): Promise<HttpStream> {
    const body = JSON.stringify(subscribeCall(this.framework));
    const transport = this.cluster.transport;
    const stream = await this.cluster.send(
      SCHEDULER_PATH,
      (url) =>
        transport.open({
          method: "POST",
          url,
          headers: JSON_HEADERS,
          body,
          deadlineMs: this.timings.subscribeDeadlineMs,
          idleTimeoutMs: this.timings.subscribeDeadlineMs,
          label: "SUBSCRIBE",
          signal: this.lifetime.signal,
        }),
      (response) => response.close(),
      { vouchedOnly: true },
    );
    if (stream.status !== 200) {
      const excerpt = await readSome(stream, 4096);
      stream.close();
      const error = errorForStatus(stream, excerpt, {
        what: "SUBSCRIBE",
        credentialsSent: transport.sendsCredentialsTo(stream.url),
      });
      if (stream.status === 404) this.cluster.forgetLeader();
      throw error;
    }
    const type = stream.contentType.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      const excerpt = sanitizeExcerpt((await readSome(stream, 4096)).toString("utf8"));
      stream.close();
      throw new BadResponseError(
        `SUBSCRIBE: ${stream.url.origin} answered ${statusLine(200)} with ${type || "no content type"} instead of a JSON event stream${excerpt === "" ? "" : `: "${excerpt}"`}`,
        { status: 200 },
      );
    }
    const streamId = stream.headers["mesos-stream-id"];
    if (streamId === undefined || streamId === "") {
      stream.close();
      throw new BadResponseError(`SUBSCRIBE: ${stream.url.origin} answered without a Mesos-Stream-Id`, {
        status: 200,
      });
    }
    this.stream = stream;
    this.streamId = streamId;
    this.master = new URL(stream.url.origin);
    return stream;
  }

  private dropSubscription(): void {
    this.stream?.close();
    this.stream = undefined;
    this.streamId = undefined;
    this.offers.clear();
  }

  private requireFrameworkId(): FrameworkID {
    const id = this.framework.id;
    if (id === undefined || this.streamId === undefined) {
      throw new SubscriptionLostError(
        "not subscribed to a Mesos master right now",
        "wait for SUBSCRIBED and retry",
      );
    }
    return id;
  }

  /** Sends a call on the current subscription (with its Mesos-Stream-Id, to the master that holds it). */
  async send(call: SessionCall): Promise<void> {
    const master = this.master;
    const streamId = this.streamId;
    if (master === undefined || streamId === undefined) {
      throw new SubscriptionLostError(
        `cannot send ${call.type}: not subscribed`,
        "wait for SUBSCRIBED and retry",
      );
    }
    const transport = this.cluster.transport;
    const url = new URL(SCHEDULER_PATH, master);
    const response = await transport.fetch({
      method: "POST",
      url,
      headers: { ...JSON_HEADERS, "mesos-stream-id": streamId },
      body: JSON.stringify(call),
      deadlineMs: this.timings.callDeadlineMs,
      maxBytes: 64 * 1024,
      label: call.type,
      signal: AbortSignal.any([this.lifetime.signal, this.inFlight.signal]),
    });
    // A master answers every call titan sends on a subscription 202 Accepted with an empty body (only SUBSCRIBE
    // and UPDATE_FRAMEWORK, which titan does not send here, answer 200).
    const expected = 202;
    if (response.status === expected) return;
    if (response.status >= 200 && response.status < 300) {
      // A master answers each call with one status; any other success (a proxy's 200 login page) is not the
      // master's: the call may never have reached it, so it must not count as sent.
      const type = response.contentType.split(";")[0]?.trim().toLowerCase() ?? "";
      const excerpt = sanitizeExcerpt(response.body.subarray(0, 4096).toString("utf8"));
      throw new BadResponseError(
        `${call.type}: ${url.origin} answered ${statusLine(response.status)}${type === "" ? "" : ` with ${type}`} instead of ${statusLine(expected)}${excerpt === "" ? "" : `: "${excerpt}"`}`,
        { status: response.status },
      );
    }
    if (response.status === 403 && /not subscribed/i.test(response.body.toString("utf8"))) {
      throw new SubscriptionLostError(`${call.type}: the master says the framework is not subscribed`);
    }
    throw errorForStatus(response, response.body, {
      what: call.type,
      credentialsSent: transport.sendsCredentialsTo(url),
    });
  }

  accept(
    offerIds: readonly string[],
    operations: readonly OfferOperation[],
    refuseSeconds?: number,
  ): Promise<void> {
    const call = acceptCall(this.requireFrameworkId(), offerIds, operations, refuseSeconds);
    for (const id of offerIds) this.offers.delete(id);
    return this.send(call);
  }

  /** ACCEPT with one LAUNCH of `tasks`; the unused rest of the offers is refused for `refuseSeconds`. */
  async launch(
    offerIds: readonly string[],
    tasks: readonly TaskInfo[],
    refuseSeconds?: number,
  ): Promise<void> {
    return this.accept(offerIds, [launchOperation(tasks)], refuseSeconds);
  }

  async decline(offerIds: readonly string[], refuseSeconds?: number): Promise<void> {
    const call = declineCall(this.requireFrameworkId(), offerIds, refuseSeconds);
    for (const id of offerIds) this.offers.delete(id);
    return this.send(call);
  }

  /** Answers inverse offers: ACCEPT once the agents can go, DECLINE while they cannot yet. */
  async answerInverseOffers(
    answer: "ACCEPT" | "DECLINE",
    inverseOfferIds: readonly string[],
    refuseSeconds?: number,
  ): Promise<void> {
    if (inverseOfferIds.length === 0) return;
    return this.send(inverseOffersCall(this.requireFrameworkId(), answer, inverseOfferIds, refuseSeconds));
  }

  async kill(taskId: string, options: { agentId?: string; gracePeriodMs?: number } = {}): Promise<void> {
    return this.send(killCall(this.requireFrameworkId(), { taskId, ...options }));
  }

  /** Acknowledges an update if it carries a uuid; returns whether an ACKNOWLEDGE was sent. */
  async acknowledge(status: TaskStatus): Promise<boolean> {
    const call = acknowledgeCall(this.requireFrameworkId(), status);
    if (call === undefined) return false;
    await this.send(call);
    return true;
  }

  async reconcile(tasks: ReadonlyArray<{ taskId: string; agentId?: string }> = []): Promise<void> {
    return this.send(reconcileCall(this.requireFrameworkId(), tasks));
  }

  async suppress(roles: readonly string[] = this.framework.roles ?? []): Promise<void> {
    return this.send(suppressCall(this.requireFrameworkId(), roles));
  }

  async revive(roles: readonly string[] = this.framework.roles ?? []): Promise<void> {
    return this.send(reviveCall(this.requireFrameworkId(), roles));
  }

  /** Removes the framework from Mesos (all its tasks are killed) and ends the session. */
  async teardown(): Promise<void> {
    await this.send(teardownCall(this.requireFrameworkId()));
    this.close();
  }

  /** Ends the session without tearing the framework down: Mesos keeps the tasks for the failover timeout. */
  close(): void {
    this.lifetime.abort();
    this.dropSubscription();
  }

  private async acknowledgeQuietly(status: TaskStatus): Promise<void> {
    if (status.uuid === undefined || this.streamId === undefined) return;
    try {
      await this.acknowledge(status);
    } catch (error) {
      // Mesos resends an unacknowledged update, so a failed ACK is retried by the next delivery.
      this.log(
        `scheduler: acknowledging ${status.task_id.value} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

async function readSome(stream: HttpStream, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream.chunks) {
      parts.push(Buffer.from(chunk));
      size += chunk.length;
      if (size >= maxBytes) break;
    }
  } catch {
    // The excerpt is best effort; the status line alone still explains the failure.
  }
  return Buffer.concat(parts).subarray(0, maxBytes);
}
