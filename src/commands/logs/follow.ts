import { setMaxListeners } from "node:events";
import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { FileFollower, SandboxGoneError } from "../../mesos/index.js";
import { sleep } from "../../observe/sleep.js";
import { describeSource, flushSource, type LogPrinter, readInitial } from "./reader.js";
import type { Discovery, LogSource } from "./sources.js";

export interface FollowTimings {
  /** Poll delay after a poll of a file that brought output. */
  minPollMs: number;
  /** The delay doubles on quiet (or failed) polls of that file up to this. */
  maxPollMs: number;
  /** How long after one look for new task runs the master is asked again (instances started by a deploy). */
  discoverMs: number;
  /**
   * Deadline of each `/files/read` request while following: an agent that stops answering is noted and retried
   * after this, not after the 30 s a one-off read waits. The other files are polled meanwhile whatever it is.
   */
  readDeadlineMs: number;
}

export const DEFAULT_FOLLOW_TIMINGS: FollowTimings = {
  minPollMs: 250,
  maxPollMs: 2000,
  discoverMs: 3000,
  readDeadlineMs: 10_000,
};

export interface RunFinder {
  discover(signal?: AbortSignal): Promise<Discovery>;
}

/**
 * Follows every source until Ctrl-C (or the reader of stdout going away). Each source has a loop of its own: its
 * first read (the last `tail` lines; the whole file for a run found later), then polls with its own backoff,
 * notes for truncation/rotation, a vanished sandbox or an unreachable agent, and, once its run ended and a poll
 * brings nothing new, its final partial line before it is dropped. Looking for new task runs is a loop of its
 * own too, which starts a source's loop for each one it finds. So an agent or a master that stops answering holds
 * up only what is waiting for it: every other source keeps printing, each its own lines in order, whole lines only.
 * Returns when every loop has ended; an unexpected error in one stops the others and is thrown.
 */
export async function follow(
  env: Env,
  finder: RunFinder,
  initial: readonly LogSource[],
  tail: number | undefined,
  printer: LogPrinter,
  timings: FollowTimings,
): Promise<void> {
  const stop = new AbortController();
  // One listener per loop and per request in flight: a follow of many instances holds many at once.
  setMaxListeners(0, stop.signal);
  const onAbort = (): void => stop.abort(env.signal.reason);
  if (env.signal.aborted) onAbort();
  else env.signal.addEventListener("abort", onAbort, { once: true });
  const followed = new Map<LogSource, { loop: Promise<void>; alarm: Alarm }>();
  const loops = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
    stop.abort();
  };
  const start = (source: LogSource, firstRead: number | undefined): void => {
    // The run this one replaces (a restart, a new release's instance) is read to its end first, its final partial
    // line included, so that its last lines do not come after the new run's first ones under the same prefix. An
    // agent that does not answer holds the new run up no longer than one read's deadline.
    const replaced = [...followed].filter(([other]) => other.ended && sameStream(other, source));
    for (const [, { alarm }] of replaced) alarm.wake();
    const alarm = new Alarm();
    const loop: Promise<void> = (async () => {
      if (replaced.length > 0)
        await Promise.race([
          Promise.all(replaced.map(([, other]) => other.loop)),
          sleep(timings.readDeadlineMs, stop.signal),
        ]);
      await followSource(env, source, firstRead, printer, timings, stop.signal, alarm);
    })()
      .catch(fail)
      .finally(() => {
        followed.delete(source);
        loops.delete(loop);
      });
    followed.set(source, { loop, alarm });
    loops.add(loop);
  };
  try {
    for (const source of initial) start(source, tail);
    await discoverLoop(
      finder,
      () => followed.keys(),
      (source) => start(source, undefined),
      printer,
      timings,
      stop.signal,
    ).catch(fail);
    // The discovery loop ends only once `stop` fired; wait for every source's loop to see it too.
    while (loops.size > 0) await Promise.all(loops);
  } finally {
    env.signal.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw failure.error;
}

/** Asks the master for task runs every `discoverMs`: marks the runs that ended, starts following new ones. */
async function discoverLoop(
  finder: RunFinder,
  followed: () => Iterable<LogSource>,
  add: (source: LogSource) => void,
  printer: LogPrinter,
  timings: FollowTimings,
  signal: AbortSignal,
): Promise<void> {
  let masterFailing = false;
  while (await sleep(timings.discoverMs, signal)) {
    let discovery: Discovery;
    try {
      discovery = await finder.discover(signal);
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof TitanError)) throw error;
      if (!masterFailing) printer.note(`cannot look for new instances: ${error.message}; retrying`);
      masterFailing = true;
      continue;
    }
    if (signal.aborted) return;
    masterFailing = false;
    for (const source of followed()) {
      const region = source.origin.region;
      if (region !== undefined && discovery.unanswered.has(region)) continue;
      if (hasEnded(source, discovery)) source.ended = true;
      source.agentLeft = !discovery.agents.has(source.agentId) && !discovery.recovering.has(source.agentId);
    }
    // A run that started after following began: everything it wrote so far is new.
    for (const source of discovery.added) add(source);
  }
}

/**
 * A run the master no longer lists as running has ended — unless its agent is one a master that failed over has not
 * heard from again: until the agent re-registers, that master lists none of its tasks, which keep running.
 */
function hasEnded(source: LogSource, discovery: Discovery): boolean {
  return !discovery.current.has(runOf(source)) && !discovery.recovering.has(source.agentId);
}

/** Whether two sources are the same stream of the same instance (of the same region). */
function sameStream(a: LogSource, b: LogSource): boolean {
  const x = a.origin;
  const y = b.origin;
  return x.app === y.app && x.instance === y.instance && x.stream === y.stream && x.region === y.region;
}

/** A source loop's wait between polls, which `wake` cuts short (or skips, when it comes during a poll). */
class Alarm {
  private rung = false;
  private ring: (() => void) | undefined;

  wake(): void {
    this.rung = true;
    this.ring?.();
  }

  /** False when `signal` aborted. */
  async sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (!this.rung) {
      const woken = new AbortController();
      this.ring = () => woken.abort();
      await sleep(ms, AbortSignal.any([signal, woken.signal]));
      this.ring = undefined;
    }
    this.rung = false;
    return !signal.aborted;
  }
}

function runOf(source: LogSource): string {
  return source.key.slice(0, source.key.lastIndexOf("/"));
}

/**
 * One source's loop: its first read (retried while the agent does not answer; a whole-file read that failed part
 * way goes on from where it stopped), then a poll at a time, each poll's lines printed before the next poll.
 */
async function followSource(
  env: Env,
  source: LogSource,
  firstRead: number | undefined,
  printer: LogPrinter,
  timings: FollowTimings,
  signal: AbortSignal,
  alarm: Alarm,
): Promise<void> {
  source.files = source.files.withDeadline(timings.readDeadlineMs);
  let delay = timings.minPollMs;
  for (;;) {
    let outcome: Awaited<ReturnType<typeof readInitial>>;
    try {
      outcome = await readInitial(env, source, firstRead, printer, { signal });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (outcome === "gone") return;
    if (outcome === "ok" || firstRead === undefined) break;
    if (!(await sleep(delay, signal))) return;
    delay = Math.min(timings.maxPollMs, delay * 2);
  }
  const follower = new FileFollower(source.files, source.path, source.offset, source.before);
  while (await alarm.sleep(delay, signal)) {
    const outcome = await poll(source, follower, printer, signal);
    if (outcome === "drop" || signal.aborted) return;
    delay = outcome === "data" ? timings.minPollMs : Math.min(timings.maxPollMs, delay * 2);
  }
}

/** Reads what the file gained and prints its whole lines; "drop" once the run ended and its file is printed. */
async function poll(
  source: LogSource,
  follower: FileFollower,
  printer: LogPrinter,
  signal: AbortSignal,
): Promise<"data" | "quiet" | "drop"> {
  // Taken before the read: a run seen ended before its file was asked about has written all it ever will.
  const ended = source.ended;
  try {
    const events = await follower.poll(signal);
    if (signal.aborted) return "quiet";
    if (source.failing) printer.note(`${describeSource(source)}: reading again`);
    source.failing = false;
    for (const event of events) {
      if (event.kind === "truncated") {
        printer.note(
          `${describeSource(source)}: the file was truncated or rotated; reading it from the start`,
        );
        source.splitter.reset();
      } else {
        printer.lines(source.origin, source.splitter.push(event.data));
      }
    }
    source.offset = follower.offset;
    if (events.length > 0) return "data";
    if (!ended) return "quiet";
    flushSource(source, printer);
    return "drop";
  } catch (error) {
    if (signal.aborted) return "quiet";
    if (!(error instanceof TitanError)) throw error;
    if (error instanceof SandboxGoneError) {
      printer.note(
        `${describeSource(source)}: the sandbox is gone (garbage-collected); following the others`,
      );
      return "drop";
    }
    if (ended && source.agentLeft) {
      // The run is over and its agent left the cluster: what was read of it is all there will be.
      flushSource(source, printer);
      printer.note(
        `${describeSource(source)}: agent ${source.agentId} has left the cluster (${error.message}); following the others`,
      );
      return "drop";
    }
    if (!source.failing) printer.note(`${describeSource(source)}: ${error.message}; retrying`);
    source.failing = true;
    return "quiet";
  }
}
