import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { FileFollower, SandboxGoneError } from "../../mesos/index.js";
import { sleep } from "../../observe/sleep.js";
import { describeSource, flushSource, type LogPrinter, readInitial } from "./reader.js";
import type { Discovery, LogSource } from "./sources.js";

export interface FollowTimings {
  /** Poll delay after a round that brought output. */
  minPollMs: number;
  /** The delay doubles on quiet rounds up to this. */
  maxPollMs: number;
  /** How often the master is asked for new task runs (instances started by a deploy in progress). */
  discoverMs: number;
}

export const DEFAULT_FOLLOW_TIMINGS: FollowTimings = { minPollMs: 250, maxPollMs: 2000, discoverMs: 3000 };

interface Followed {
  source: LogSource;
  follower: FileFollower;
}

type PollResult = { source: LogSource; lines: string[]; drop: boolean };

/**
 * Follows every source until Ctrl-C: polls each file with backoff, re-discovers task runs periodically (new
 * ones are read from their start), reports truncation/rotation and vanished sandboxes as notes, and drains and
 * drops the runs that ended. Lines of one poll round are printed source by source, whole lines only.
 */
export async function follow(
  env: Env,
  finder: { discover(): Promise<Discovery> },
  initial: readonly LogSource[],
  printer: LogPrinter,
  timings: FollowTimings,
): Promise<void> {
  const followed: Followed[] = initial.map((source) => ({
    source,
    follower: new FileFollower(source.files, source.path, source.offset),
  }));
  let delay = timings.minPollMs;
  let lastDiscovery = env.clock.now();
  let masterFailing = false;
  while (await sleep(delay, env.signal)) {
    if (env.clock.now() - lastDiscovery >= timings.discoverMs) {
      lastDiscovery = env.clock.now();
      try {
        const discovery = await finder.discover();
        masterFailing = false;
        for (const entry of followed)
          if (!discovery.current.has(runOf(entry.source))) entry.source.ended = true;
        for (const source of discovery.added) {
          // A run that started after following began: everything it wrote so far is new.
          const outcome = await readInitial(env, source, undefined, printer);
          if (outcome !== "gone")
            followed.push({ source, follower: new FileFollower(source.files, source.path, source.offset) });
        }
      } catch (error) {
        if (env.signal.aborted) return;
        if (!(error instanceof TitanError)) throw error;
        if (!masterFailing) printer.note(`cannot look for new instances: ${error.message}; retrying`);
        masterFailing = true;
      }
    }
    const results = await Promise.all(followed.map((entry) => poll(env, entry, printer)));
    if (env.signal.aborted) return;
    let anyData = false;
    for (const result of results) {
      if (result.lines.length > 0) anyData = true;
      printer.lines(result.source.origin, result.lines);
    }
    for (const result of results) {
      if (!result.drop) continue;
      const index = followed.findIndex((entry) => entry.source === result.source);
      if (index >= 0) followed.splice(index, 1);
    }
    delay = anyData ? timings.minPollMs : Math.min(timings.maxPollMs, delay * 2);
  }
}

function runOf(source: LogSource): string {
  return source.key.slice(0, source.key.lastIndexOf("/"));
}

async function poll(env: Env, entry: Followed, printer: LogPrinter): Promise<PollResult> {
  const { source, follower } = entry;
  const lines: string[] = [];
  try {
    const events = await follower.poll(env.signal);
    if (source.failing) printer.note(`${describeSource(source)}: reading again`);
    source.failing = false;
    for (const event of events) {
      if (event.kind === "truncated") {
        printer.note(
          `${describeSource(source)}: the file was truncated or rotated; reading it from the start`,
        );
        source.splitter.reset();
      } else {
        lines.push(...source.splitter.push(event.data));
      }
    }
    source.offset = follower.offset;
    if (source.ended && events.length === 0) {
      flushSource(source, printer);
      return { source, lines, drop: true };
    }
    return { source, lines, drop: false };
  } catch (error) {
    if (env.signal.aborted || !(error instanceof TitanError)) {
      if (env.signal.aborted) return { source, lines, drop: false };
      throw error;
    }
    if (error instanceof SandboxGoneError) {
      printer.note(
        `${describeSource(source)}: the sandbox is gone (garbage-collected); following the others`,
      );
      return { source, lines, drop: true };
    }
    if (!source.failing) printer.note(`${describeSource(source)}: ${error.message}; retrying`);
    source.failing = true;
    return { source, lines, drop: false };
  }
}
