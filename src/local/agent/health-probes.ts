import { request as httpRequest, STATUS_CODES } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { CommandInfoJson, HealthCheckJson } from "./api.js";
import { commandLine, withCommandEnvironment } from "./command-line.js";
import { groupAlive, signalGroup, spawnGroupLeader, trackGroup, untrackGroup } from "./process-group.js";
import { describeWaitStatus } from "./wait-status.js";

/** One check attempt: resolves when healthy, rejects with the reason otherwise; aborting it kills what it started. */
export type HealthProbe = (signal: AbortSignal) => Promise<void>;

/** Built-in executors probe the task on the loopback address. */
const CHECK_HOST = "127.0.0.1";
/** curl -L's default redirect limit. */
const MAX_REDIRECTS = 50;

export interface CommandProbeContext {
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** Where the check command's stdout and stderr go (Mesos: the executor's stderr, i.e. the sandbox stderr). */
  outputFd: number | "ignore";
}

export function healthProbe(check: HealthCheckJson, context: CommandProbeContext): HealthProbe {
  if (check.type === "HTTP" && check.http !== undefined) {
    const url = `${check.http.scheme ?? "http"}://${CHECK_HOST}:${check.http.port}${check.http.path ?? ""}`;
    return (signal) => httpProbe(url, signal);
  }
  if (check.type === "TCP" && check.tcp !== undefined) {
    const port = check.tcp.port;
    return (signal) => tcpProbe(port, signal);
  }
  if (check.type === "COMMAND" && check.command !== undefined) {
    const command = check.command;
    return (signal) => commandProbe(command, context, signal);
  }
  throw new Error(`Unsupported health check type ${check.type}`);
}

/** Built-in executors use `curl -L` and count a final 2xx or 3xx response as healthy (HTTPCheckInfo.statuses is ignored). */
export function httpProbe(url: string, signal: AbortSignal, redirectsLeft = MAX_REDIRECTS): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, { method: "GET", signal, rejectUnauthorized: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      const location = res.headers.location;
      if (code >= 300 && code < 400 && location !== undefined && redirectsLeft > 0) {
        httpProbe(new URL(location, target).toString(), signal, redirectsLeft - 1).then(resolve, reject);
        return;
      }
      if (code >= 200 && code < 400) resolve();
      else reject(new Error(`Unexpected HTTP response code: ${code} ${STATUS_CODES[code] ?? ""}`.trimEnd()));
    });
    req.on("error", (error) => reject(new Error(`curl returned an error: ${error.message}`)));
    req.end();
  });
}

/** Healthy when a TCP connection to 127.0.0.1:port can be established (mesos-tcp-connect). */
export function tcpProbe(port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: CHECK_HOST, port, signal });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      socket.destroy();
      reject(new Error(`Failed to connect to ${CHECK_HOST}:${port}: ${error.message}`));
    });
  });
}

/** Runs the check command in the task's environment and sandbox; exit status 0 is healthy. */
export function commandProbe(
  command: CommandInfoJson,
  context: CommandProbeContext,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const line = commandLine(command);
    const child = spawnGroupLeader(line.file, line.args, {
      argv0: line.argv0,
      cwd: context.cwd,
      env: withCommandEnvironment(context.env, command.environment),
      stdoutFd: context.outputFd,
      stderrFd: context.outputFd,
    });
    const pid = child.pid;
    const onAbort = (): void => {
      if (pid !== undefined) signalGroup(pid, "SIGKILL");
    };
    if (pid !== undefined) trackGroup(pid);
    signal.addEventListener("abort", onAbort, { once: true });
    child.once("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(new Error(`Failed to create subprocess: ${error.message}`));
    });
    child.once("exit", (code, exitSignal) => {
      signal.removeEventListener("abort", onAbort);
      if (pid !== undefined) {
        if (groupAlive(pid)) signalGroup(pid, "SIGKILL");
        untrackGroup(pid);
      }
      if (code === 0) resolve();
      else reject(new Error(`Command ${describeWaitStatus(code, exitSignal)}`));
    });
  });
}
