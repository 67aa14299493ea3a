import { execFile } from "node:child_process";
import { findOnPath } from "./docker.js";

/** Whether this agent can run image tasks: runc on PATH and root (mount and PID namespaces need it). */
export interface ImageSupport {
  runc?: string;
  /** Why images cannot run here, with how to fix it. */
  missing?: string;
}

export function detectImageSupport(pathVariable: string | undefined, uid: number | undefined): ImageSupport {
  const runc = findOnPath("runc", pathVariable);
  if (runc === undefined)
    return { missing: "runc is not installed (apt-get install runc), so image tasks cannot run" };
  if (uid !== 0)
    return { missing: "titan local is not running as root, which runc needs for mount and PID namespaces" };
  return { runc };
}

/** runc with its state kept under the agent's work dir, so clusters never see each other's containers. */
export class Runc {
  constructor(
    readonly binary: string,
    readonly stateDir: string,
  ) {}

  /** `runc run` in the foreground: the returned argv is the task's process; its stdio are the task's. */
  runArgs(bundle: string, id: string): string[] {
    return ["--root", this.stateDir, "run", "--bundle", bundle, id];
  }

  kill(id: string, signal: "TERM" | "KILL"): Promise<void> {
    return this.quiet(["--root", this.stateDir, "kill", id, signal]);
  }

  delete(id: string): Promise<void> {
    return this.quiet(["--root", this.stateDir, "delete", "--force", id]);
  }

  private quiet(args: string[]): Promise<void> {
    return new Promise((resolve) => {
      execFile(this.binary, args, { timeout: 10_000 }, () => resolve());
    });
  }
}
