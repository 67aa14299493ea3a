import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { parseProcStat } from "./agent/proc-usage.js";
import { isAlive } from "./control.js";
import { IDENTITY_PATH, identityProof } from "./instance-proof.js";

/**
 * Whether the process a local cluster's record names is still that cluster. A record outlives its cluster when the
 * cluster was killed outright (kill -9, the OOM killer) or the machine restarted, and the system hands the pid to
 * another process: `titan local down` must never signal that one, nor titan send the cluster's credentials to
 * whatever now listens on its port. On Linux the process's start time (in ticks since a boot, with the boot's id)
 * tells the process the record names from any later one with its pid; elsewhere the cluster's master must prove
 * it holds the record's instance token (instance-proof.ts). What cannot be proven is not the cluster.
 */

/** What the record of a running cluster holds to recognise its process. */
export interface ClusterIdentity {
  pid: number;
  url: string;
  /** The process's start, `<boot id>/<start time in clock ticks>` (Linux). */
  processStart?: string;
  instance?: string;
  /** The record's own file, which the daemon's command line names (its config): how a record of an older titan,
   * holding neither of the above, is told to be its cluster's. */
  recordFile?: string;
}

/** `ours` proven to be the cluster; `gone` no process has the pid; `reused` another process has it now. */
export type Ownership = "ours" | "gone" | "reused" | "unproven";

/** When the process `pid` started, from /proc; undefined where there is no /proc or no such process. */
export function processStartOf(pid: number): string | undefined {
  try {
    const ticks = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"))?.startTicks;
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return ticks !== undefined && boot !== "" ? `${boot}/${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process `identity` names is that cluster's. */
export async function clusterOwnership(
  identity: ClusterIdentity,
  readStart: (pid: number) => string | undefined = processStartOf,
  readCommandLine: (pid: number) => string[] | undefined = commandLineOf,
): Promise<Ownership> {
  if (!isAlive(identity.pid)) return "gone";
  const start = readStart(identity.pid);
  if (start !== undefined && identity.processStart !== undefined)
    return start === identity.processStart ? "ours" : "reused";
  if (identity.instance !== undefined && (await answersAs(identity, identity.instance))) return "ours";
  if (
    identity.processStart === undefined &&
    identity.instance === undefined &&
    identity.recordFile !== undefined
  ) {
    const line = readCommandLine(identity.pid);
    if (line !== undefined) return runsDaemonOf(line, identity.recordFile) ? "ours" : "reused";
  }
  return isAlive(identity.pid) ? "unproven" : "gone";
}

/** The arguments of process `pid`, from /proc; undefined where there is no /proc or no such process. */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
  } catch {
    return undefined;
  }
}

/** `node …/daemon.js '<config>'` whose config's record file is `recordFile`: the cluster that record names. */
function runsDaemonOf(line: readonly string[], recordFile: string): boolean {
  const entry = line.findIndex((arg) => /(^|\/)daemon\.js$/.test(arg));
  if (entry < 0) return false;
  try {
    const config = JSON.parse(line[entry + 1] ?? "") as { stateFile?: unknown };
    return config.stateFile === recordFile;
  } catch {
    return false;
  }
}

/**
 * Whether the process a proven record names is still alive, checked again while waiting for it to stop: once it
 * is gone its pid may be another process's, which must not get the SIGKILL meant for the cluster.
 */
export function stillRunning(
  identity: ClusterIdentity,
  readStart: (pid: number) => string | undefined = processStartOf,
): boolean {
  if (!isAlive(identity.pid)) return false;
  return identity.processStart === undefined || readStart(identity.pid) === identity.processStart;
}

const MAX_ANSWER_BYTES = 1024;

/** Whether the master at the record's URL proves it holds `instance` and runs as the recorded pid. */
function answersAs(identity: ClusterIdentity, instance: string, timeoutMs = 1000): Promise<boolean> {
  const nonce = randomBytes(16).toString("hex");
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ours: boolean): void => {
      if (settled) return;
      settled = true;
      resolve(ours);
    };
    try {
      const request = get(
        `${identity.url}${IDENTITY_PATH}?nonce=${nonce}`,
        { agent: false, signal: AbortSignal.timeout(timeoutMs) },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            body += chunk;
            if (body.length > MAX_ANSWER_BYTES) response.destroy();
          });
          response.on("end", () =>
            settle(response.statusCode === 200 && proves(body, identity.pid, identityProof(instance, nonce))),
          );
          response.on("error", () => settle(false));
          response.on("close", () => settle(false));
        },
      );
      request.on("error", () => settle(false));
    } catch {
      settle(false);
    }
  });
}

function proves(body: string, pid: number, expected: string): boolean {
  try {
    const answer = JSON.parse(body) as { pid?: unknown; proof?: unknown };
    if (answer.pid !== pid || typeof answer.proof !== "string") return false;
    const given = Buffer.from(answer.proof);
    const wanted = Buffer.from(expected);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  } catch {
    return false;
  }
}
