import type { Writable } from "node:stream";
import type { ChalkInstance } from "chalk";
import { writeLine } from "../cli/io.js";
import { escapeTerminal } from "../cli/terminal-text.js";
import { writeEvent } from "./event-line.js";
import type { DeployEvent } from "./events.js";

/** Where deploy events go: NDJSON on stdout, timestamped lines on stderr, or a live spinner on a terminal. */
export interface ProgressView {
  /** `region`: set by a multi-region deploy, which shows every region's events in one view. */
  event(event: DeployEvent, region?: string): void;
  /** Ends the live view (if any) before the summary is printed. */
  stop(): void;
}

/** One line of text per event, for people. Returns undefined for events not worth a line of their own. */
export function describeEvent(event: DeployEvent): string | undefined {
  const text = describeRaw(event);
  // Host names and task messages come from the cluster: shown as data, never as terminal control.
  return text === undefined ? undefined : escapeTerminal(text);
}

function describeRaw(event: DeployEvent): string | undefined {
  const who = "instance" in event ? `${event.app}[${event.instance}]` : event.app;
  switch (event.type) {
    case "release":
      return `${event.app}: ${event.reused ? "resuming" : "deploying"} release ${event.release}`;
    case "resume":
      return `release ${event.release} of ${event.app} did not finish; resuming it under its number to finish it and record the outcome`;
    case "supersede":
      return event.because === "count"
        ? `release ${event.release} of ${event.app} did not finish and asks for ${event.instances ?? "other"} instance(s); release ${event.by} supersedes it`
        : `release ${event.release} of ${event.app} did not finish and carries another spec; release ${event.by} supersedes it`;
    case "existing": {
      // A task the app's record names that the cluster state did not show (a launch written ahead, or a task of an
      // agent yet to re-register after a master failover): the master has not been asked about it yet.
      const state =
        event.state === "LAUNCHING"
          ? "named by the app's record but not listed by the master; asking the master about it"
          : event.state.replace(/^TASK_/, "").toLowerCase();
      return `${who} ${event.task} is ${state}${event.current ? "" : " (older release)"}`;
    }
    case "launch": {
      const ports = Object.entries(event.ports).map(([name, port]) => `${name}=${port}`);
      return `${who} launching ${event.task} on ${event.host}${ports.length > 0 ? ` (${ports.join(", ")})` : ""}`;
    }
    case "running":
      return `${who} ${event.task} running`;
    case "healthy":
      return `${who} ${event.task} healthy`;
    case "unhealthy":
      return `${who} ${event.task} failing its health check`;
    case "unreachable":
      return `${who} ${event.task} unreachable (its agent is out of contact; it may still run)`;
    case "killing":
      return `${who} stopping ${event.task} (${event.reason})`;
    case "lost":
      // The master's answer for a task it has no record of (a restarted cluster, or a launch that never arrived).
      if (event.message?.startsWith("Reconciliation: Task is unknown") === true)
        return `${who} ${event.task} is gone: the master has no record of it (${event.message})`;
      return `${who} ${event.task} ${event.type}${event.message ? `: ${event.message}` : ""}`;
    case "killed":
    case "finished":
    case "failed":
      return `${who} ${event.task} ${event.type}${event.message ? `: ${event.message}` : ""}`;
    case "check_output":
      return `${who} ${event.task}: ${event.output}`;
    case "rollback":
      return `${event.app}: release ${event.from} failed (${event.reason}); rolling back to release ${event.to}`;
    case "reconnecting":
      return `${event.app}: connection to the master lost (${event.reason}); reconnecting until ${event.until.slice(11, 19)} UTC, then giving up`;
    case "replan":
      return `${event.app}: re-planned because ${event.reason}: ${event.changes.map((c) => `${event.app}[${c.instance}] ${c.from} → ${c.to ?? "any offer"}`).join(", ")}`;
    case "waiting":
      return `${event.app}: waiting for ${event.for}`;
    case "evacuate":
      return `${event.app}: moving its instances off ${event.agent}${event.until ? ` (maintenance from ${event.until})` : ""}`;
    case "inverse_offer":
      return `${event.app}: ${event.answer === "ACCEPT" ? "accepted" : "declined"} the master's request to free ${event.agent}`;
    case "done":
      return undefined;
  }
}

export function jsonView(out: Writable, now: () => number): ProgressView {
  return {
    event(event, region) {
      writeEvent(out, event, now(), region);
    },
    stop() {},
  };
}

export function lineView(err: Writable, color: ChalkInstance, now: () => number): ProgressView {
  return {
    event(event, region) {
      const text = describeEvent(event);
      if (text === undefined) return;
      const time = new Date(now()).toISOString().slice(11, 19);
      writeLine(err, `${color.dim(time)} ${regionPrefix(region, color)}${paint(event, text, color)}`);
    },
    stop() {},
  };
}

function regionPrefix(region: string | undefined, color: ChalkInstance): string {
  return region === undefined ? "" : `${color.cyan(region)} `;
}

function paint(event: DeployEvent, text: string, color: ChalkInstance): string {
  if (
    event.type === "failed" ||
    event.type === "rollback" ||
    event.type === "unhealthy" ||
    event.type === "check_output"
  )
    return color.red(text);
  if (event.type === "healthy") return color.green(text);
  return text;
}

/** Per instance, the latest thing that happened to it: the live view of a terminal. */
export class InstanceBoard {
  private readonly states = new Map<string, Map<number, string>>();

  apply(event: DeployEvent, region?: string): void {
    if (!("instance" in event)) return;
    const key = region === undefined ? event.app : `${region}/${event.app}`;
    const app = this.states.get(key) ?? new Map<number, string>();
    this.states.set(key, app);
    const state: Record<string, string> = {
      existing: "existing",
      launch: "launching",
      running: "running",
      healthy: "healthy",
      unhealthy: "unhealthy",
      unreachable: "unreachable",
      killing: "stopping",
      killed: "stopped",
      finished: "finished",
      failed: "failed",
      lost: "lost",
    };
    const label = state[event.type];
    if (label !== undefined) app.set(event.instance, label);
  }

  render(): string {
    return [...this.states]
      .map(([app, instances]) => {
        const cells = [...instances]
          .sort((a, b) => a[0] - b[0])
          .map(([i, s]) => `${i}:${s}`)
          .join(" ");
        return `${app} ${cells}`;
      })
      .join("  ");
  }
}

/**
 * The stream as the spinner sees it, with a size of 0 read as unknown (80×24). Some ptys, CI runners and container
 * ttys report `rows 0; columns 0`; a spinner dividing by that clears an infinite number of lines in one synchronous
 * loop that starves every timer and signal handler. Read on every access, so a later resize to 0 is covered too.
 */
export function withKnownSize(stream: Writable): Writable {
  return new Proxy(stream, {
    get(target, property) {
      if (property === "columns" || property === "rows") {
        const size = Reflect.get(target, property, target) as unknown;
        const fallback = property === "columns" ? 80 : 24;
        return typeof size === "number" && Number.isFinite(size) && size > 0 ? size : fallback;
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** An ora spinner whose text is the per-instance board; notable events are printed above it. */
export async function ttyView(err: Writable, color: ChalkInstance): Promise<ProgressView> {
  const { default: ora } = await import("ora");
  // ora colours its frame with its own chalk, which looks at stdout and the environment, not at `color`.
  const spinner = ora({
    stream: withKnownSize(err),
    text: "subscribing",
    color: color.level > 0 ? "cyan" : false,
  }).start();
  const board = new InstanceBoard();
  return {
    event(event, region) {
      board.apply(event, region);
      const text = describeEvent(event);
      if (text !== undefined && event.type !== "running" && event.type !== "existing") {
        spinner.clear();
        writeLine(err, `${regionPrefix(region, color)}${paint(event, text, color)}`);
      }
      spinner.text = board.render() || "waiting for offers";
      spinner.render();
    },
    stop() {
      spinner.stop();
    },
  };
}
