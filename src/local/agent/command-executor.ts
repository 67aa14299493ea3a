import { randomBytes } from "node:crypto";
import { appendFileSync, chownSync, closeSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { healthCheckError } from "../common-validation.js";
import { mesosDuration } from "../mesos-duration.js";
import type {
  AgentStatus,
  ContainerStatusJson,
  FrameworkInfoJson,
  TaskInfoJson,
  TaskStateName,
} from "./api.js";
import {
  type CommandLine,
  commandLine,
  InvalidCommandError,
  taskEnvironment,
  withCommandEnvironment,
} from "./command-line.js";
import {
  bridgeRefusal,
  containerTaskEnv,
  type ImageContainers,
  mesosImageOf,
  type ProvisionedContainer,
  provisionImage,
} from "./container-image-containers.js";
import { dockerImageOf, dockerRunCommand } from "./docker.js";
import { fetchUris, type UriJson } from "./fetcher.js";
import { HealthChecker } from "./health-checker.js";
import { type HealthVerdict, healthCheckTimings } from "./health-policy.js";
import { healthProbe } from "./health-probes.js";
import { groupAlive, signalGroup, spawnGroupLeader, trackGroup, untrackGroup } from "./process-group.js";
import { createSandbox, type OpenedSandbox, type Sandbox } from "./sandbox.js";
import { secretResolutionFailure } from "./secrets.js";
import { isTerminalState } from "./task-states.js";
import { lookupAccount, type TaskAccount, taskUser } from "./task-user.js";
import { containerWaitStatus, describeWaitStatus } from "./wait-status.js";

/** The command executor's kill grace period when neither the task nor the kill names one. */
export const DEFAULT_KILL_GRACE_MS = 3000;

/** A Mesos agent's --executor_registration_timeout default. */
export const DEFAULT_EXECUTOR_REGISTRATION_TIMEOUT_MS = 60_000;

/** What a command executor needs from its agent. */
export interface ExecutorHost {
  agentId: string;
  /** host:port of the agent's HTTP server (MESOS_AGENT_ENDPOINT). */
  agentEndpoint: string;
  workDir: string;
  /** The docker CLI when a Docker engine is usable. */
  dockerCli: string | undefined;
  /** The Mesos containerizer's image support (runc); image tasks fail without it. */
  containers?: ImageContainers;
  inheritedEnv: Readonly<Record<string, string | undefined>>;
  /** Run tasks as their user (uid/gid) and chown their sandboxes, as an agent started with --switch_user as root. */
  switchUser: boolean;
  /** The passwd file users are looked up in (tests point it elsewhere). */
  passwdPath?: string;
  /** How long provisioning and fetching may take before the container is destroyed (--executor_registration_timeout). */
  registrationTimeoutMs: number;
  emit(status: AgentStatus): void;
}

/** A random (version 4) UUID in the 16 raw bytes Mesos puts on the wire, base64-encoded in JSON. */
export function newStatusUuid(): string {
  const bytes = randomBytes(16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes.toString("base64");
}

/**
 * One command task, run the way Mesos' built-in command executor runs it: TASK_STARTING, fork, TASK_RUNNING, health
 * checks, SIGTERM-then-SIGKILL escalation on kill, and a terminal update worded from the wait status.
 */
export class CommandExecutor {
  readonly executorId: string;
  state: TaskStateName = "TASK_STAGING";
  healthy: boolean | undefined;
  pid: number | undefined;
  sandbox: Sandbox | undefined;
  /** Every update this executor sent, oldest first. */
  readonly statuses: AgentStatus[] = [];
  /** Resolves once the task reached a terminal state. */
  readonly terminated: Promise<void>;

  private resolveTerminated: () => void = () => undefined;
  private lastStatus: AgentStatus | undefined;
  private killed = false;
  /** Set while the fetcher runs; aborting it kills the task before it started. */
  private fetching: AbortController | undefined;
  private killedByHealthCheck = false;
  private killStartedAt = 0;
  private killDeadline = 0;
  private killTimer: NodeJS.Timeout | undefined;
  private healthChecker: HealthChecker | undefined;
  /** The runc container of an image task, once provisioned. */
  private container: ProvisionedContainer | undefined;
  /** The account the task runs as when the agent switches users. */
  private account: TaskAccount | undefined;
  /** Runs from the container's launch until its executor starts the task. */
  private registrationTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly frameworkId: string,
    readonly taskInfo: TaskInfoJson,
    readonly framework: FrameworkInfoJson | undefined,
    private readonly host: ExecutorHost,
  ) {
    // A command task's executor is named after the task.
    this.executorId = taskInfo.task_id.value;
    this.terminated = new Promise((resolve) => {
      this.resolveTerminated = resolve;
    });
  }

  get taskId(): string {
    return this.taskInfo.task_id.value;
  }

  get isTerminal(): boolean {
    return isTerminalState(this.state);
  }

  /**
   * ContainerStatus.executor_pid. The command executor runs inside the agent's own process, so that is the
   * executor's pid; it is known once the container has a process, as the launcher knows it from the fork on
   * (src/slave/containerizer/mesos/launcher.cpp `SubprocessLauncher::status`).
   */
  get executorPid(): number | undefined {
    return this.pid === undefined ? undefined : process.pid;
  }

  launch(): void {
    // An image task's too: looked up on this machine, before the container's rootfs is entered (launch.cpp).
    const user = taskUser(this.taskInfo.command?.user, this.framework?.user);
    let opened: OpenedSandbox;
    try {
      if (user !== undefined) {
        this.account = lookupAccount(user, this.host.passwdPath);
        if (this.account === undefined) {
          this.dropBeforeLaunch(`Failed to chown directory to '${user}': No such user '${user}'`);
          return;
        }
      }
      opened = createSandbox(this.host.workDir, this.host.agentId, this.frameworkId, this.executorId);
    } catch (error) {
      this.forward(
        this.status("TASK_FAILED", "SOURCE_AGENT", {
          reason: "REASON_CONTAINER_LAUNCH_FAILED",
          message: `Failed to create sandbox: ${errorMessage(error)}`,
        }),
      );
      return;
    }
    this.sandbox = opened.sandbox;
    if (!this.chownSandbox(opened, user)) return;
    const bridge = bridgeRefusal(this.taskInfo.container);
    if (bridge !== undefined) {
      this.failOpenedLaunch(opened, bridge);
      return;
    }
    // The Mesos containerizer's environment_secret isolator; the Docker containerizer resolves nothing (docker.ts).
    const secretFailure =
      dockerImageOf(this.taskInfo.container) === undefined
        ? secretResolutionFailure(this.taskInfo.command?.environment)
        : undefined;
    if (secretFailure !== undefined) {
      this.failOpenedLaunch(opened, secretFailure);
      return;
    }
    const uris = this.taskInfo.command?.uris ?? [];
    const image = mesosImageOf(this.taskInfo.container);
    if (image !== undefined || uris.length > 0) this.awaitRegistration();
    if (image !== undefined) {
      this.provisionThenStart(opened, image, uris).catch((error: unknown) => {
        if (!this.isTerminal) this.failLaunch(`Failed to provision the container: ${errorMessage(error)}`);
      });
      return;
    }
    if (uris.length > 0) {
      this.fetchThenStart(opened, uris).catch((error: unknown) => {
        if (!this.isTerminal) this.failLaunch(`Failed to fetch: ${errorMessage(error)}`);
      });
      return;
    }
    this.startInSandbox(opened);
  }

  /**
   * Slave::registerExecutorTimeout: an executor that has not registered when --executor_registration_timeout runs
   * out (a pull or a fetch that stalls) has its container destroyed, and its task fails with
   * REASON_EXECUTOR_REGISTRATION_TIMEOUT. The command executor registers as soon as it runs, which here is when the
   * task's process is started.
   */
  private awaitRegistration(): void {
    const timeoutMs = this.host.registrationTimeoutMs;
    this.registrationTimer = setTimeout(() => {
      this.registrationTimer = undefined;
      if (this.isTerminal || this.pid !== undefined) return;
      this.fetching?.abort();
      this.forward(
        this.status("TASK_FAILED", "SOURCE_AGENT", {
          reason: "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
          message: `Executor did not register within ${mesosDuration(timeoutMs)}`,
        }),
      );
    }, timeoutMs);
  }

  /** A launch that ended (registration timeout) while the provisioner or fetcher still ran: only clean up. */
  private abandoned(opened: OpenedSandbox): boolean {
    if (!this.isTerminal) return false;
    closeSync(opened.stdoutFd);
    closeSync(opened.stderrFd);
    return true;
  }

  private startInSandbox(opened: OpenedSandbox): void {
    if (this.registrationTimer !== undefined) clearTimeout(this.registrationTimer);
    this.registrationTimer = undefined;
    try {
      this.forward(this.status("TASK_STARTING", "SOURCE_EXECUTOR", {}));
      this.start(opened);
    } finally {
      // The task holds its own copies of the descriptors.
      closeSync(opened.stdoutFd);
      closeSync(opened.stderrFd);
    }
  }

  /**
   * An image task: the provisioner pulls and unpacks the image before the fetcher and the executor run, as the
   * Mesos containerizer does (MesosContainerizerProcess::launch → provision → fetch → exec). The task stays
   * TASK_STAGING meanwhile.
   */
  private async provisionThenStart(
    opened: OpenedSandbox,
    image: string,
    uris: readonly UriJson[],
  ): Promise<void> {
    this.fetching = new AbortController();
    const command = this.taskInfo.command ?? {};
    try {
      this.container = await provisionImage(this.host.containers, {
        image,
        containerId: opened.sandbox.containerId,
        command,
        taskEnv: containerTaskEnv(this.executorEnvironment(opened.sandbox), command),
        sandbox: opened.sandbox.directory,
        account: this.host.switchUser ? this.account : undefined,
        log: (line) => this.log(line),
        signal: this.fetching.signal,
      });
    } catch (error) {
      const killed = this.fetching.signal.aborted;
      this.fetching = undefined;
      if (this.abandoned(opened)) return;
      if (this.host.containers?.missing !== undefined) this.log(this.host.containers.missing);
      if (!killed) return this.failOpenedLaunch(opened, errorMessage(error));
      closeSync(opened.stdoutFd);
      closeSync(opened.stderrFd);
      this.forward(
        this.status("TASK_KILLED", "SOURCE_AGENT", {
          message: "Container destroyed while provisioning images",
        }),
      );
      return;
    }
    this.fetching = undefined;
    if (this.abandoned(opened)) return this.destroyContainer();
    if (uris.length > 0) await this.fetchThenStart(opened, uris);
    else this.startInSandbox(opened);
  }

  /** As failLaunch, once the sandbox's output files are open. */
  private failOpenedLaunch(opened: OpenedSandbox, reason: string): void {
    closeSync(opened.stdoutFd);
    closeSync(opened.stderrFd);
    this.failLaunch(reason);
  }

  /** The fetcher runs before the executor, as in Mesos: a failure fails the container launch. */
  private async fetchThenStart(opened: OpenedSandbox, uris: readonly UriJson[]): Promise<void> {
    const fetching = new AbortController();
    this.fetching = fetching;
    let failure: string | undefined;
    try {
      await fetchUris(uris, opened.sandbox.directory, fetching.signal);
    } catch (error) {
      failure = errorMessage(error);
    }
    this.fetching = undefined;
    if (this.abandoned(opened)) return this.destroyContainer();
    // The Mesos fetcher runs as the task user: what it fetched belongs to that user.
    if (failure === undefined && this.host.switchUser && this.account !== undefined)
      chownTree(opened.sandbox.directory, this.account);
    if (failure === undefined && !fetching.signal.aborted) return this.startInSandbox(opened);
    closeSync(opened.stdoutFd);
    closeSync(opened.stderrFd);
    await this.destroyContainer();
    if (failure !== undefined) this.log(failure);
    this.forward(
      fetching.signal.aborted
        ? this.status("TASK_KILLED", "SOURCE_AGENT", { message: "Container destroyed while fetching" })
        : this.status("TASK_FAILED", "SOURCE_AGENT", {
            reason: "REASON_CONTAINER_LAUNCH_FAILED",
            message: `Failed to launch container: Failed to fetch all URIs for container '${opened.sandbox.containerId}': ${failure}`,
          }),
    );
  }

  /** Removes an image task's container that never ran (its rootfs and bundle). */
  private async destroyContainer(): Promise<void> {
    const container = this.container;
    this.container = undefined;
    await container?.destroy();
  }

  private start({ sandbox, stdoutFd, stderrFd }: OpenedSandbox): void {
    const command = this.taskInfo.command;
    if (command === undefined) {
      this.failBeforeFork(`Expecting task '${this.taskId}' to have a command`);
      return;
    }
    const env = withCommandEnvironment(this.executorEnvironment(sandbox), command.environment);
    const image = dockerImageOf(this.taskInfo.container);
    let line: CommandLine;
    let runningMessage: string | undefined;
    try {
      line = this.container?.line ?? commandLine(command);
      if (this.container !== undefined) {
        // runc runs the image's process; the launch command was checked when it was provisioned.
      } else if (image !== undefined && this.host.dockerCli !== undefined) {
        line = dockerRunCommand({
          cli: this.host.dockerCli,
          image,
          containerName: `mesos-${sandbox.containerId}`,
          sandbox: sandbox.directory,
          command,
          env,
        });
      } else if (image !== undefined) {
        runningMessage = `No Docker engine available: running the command directly on the host instead of in image '${image}'`;
      }
    } catch (error) {
      if (!(error instanceof InvalidCommandError)) throw error;
      this.failBeforeFork(error.message);
      return;
    }
    const unsafe = nulProblem(line, env);
    if (unsafe !== undefined) {
      this.failLaunch(unsafe);
      return;
    }
    // runc itself runs as the agent; the container's process takes the task user from its config (provision).
    const switched = this.host.switchUser && this.container === undefined ? this.account : undefined;
    let child: ReturnType<typeof spawnGroupLeader>;
    try {
      child = spawnGroupLeader(line.file, line.args, {
        argv0: line.argv0,
        cwd: sandbox.directory,
        env,
        stdoutFd,
        stderrFd,
        ...(switched ? { uid: switched.uid, gid: switched.gid } : {}),
      });
    } catch (error) {
      // Input from a framework must never crash the agent: whatever spawn refuses fails this task only.
      this.failLaunch(`Failed to fork the command (${(error as NodeJS.ErrnoException).code ?? "error"})`);
      return;
    }
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (this.pid !== undefined) return;
      const message = `Failed to execute command: ${describeSpawnError(error)}`;
      this.log(message);
      this.forward(this.status("TASK_FAILED", "SOURCE_EXECUTOR", { message }));
    });
    if (child.pid === undefined) return;
    this.pid = child.pid;
    trackGroup(child.pid);
    child.once("exit", (code, signal) => this.reaped(code, signal));
    this.startHealthChecks(env);
    this.forward(
      this.status("TASK_RUNNING", "SOURCE_EXECUTOR", {
        message: runningMessage,
        containerStatus: this.containerStatus(),
      }),
    );
  }

  /**
   * Kills the task: TASK_KILLING (when the framework has TASK_KILLING_STATE), SIGTERM to the process group, SIGKILL
   * after the grace period. A repeated kill can only shorten the remaining grace, never extend it.
   */
  kill(gracePeriodMs?: number): void {
    if (this.fetching !== undefined && !this.isTerminal) {
      this.fetching.abort();
      return;
    }
    if (this.isTerminal || this.pid === undefined) return;
    const policyGrace = this.taskInfo.kill_policy?.grace_period?.nanoseconds;
    const grace =
      gracePeriodMs ?? (policyGrace !== undefined ? Number(policyGrace) / 1e6 : DEFAULT_KILL_GRACE_MS);
    const now = Date.now();
    if (this.killed) {
      if (this.killStartedAt + grace > this.killDeadline) return;
      this.scheduleEscalation(Math.max(0, this.killStartedAt + grace - now), this.killStartedAt + grace);
      return;
    }
    if (this.frameworkCapable("TASK_KILLING_STATE")) {
      this.forward(this.status("TASK_KILLING", "SOURCE_EXECUTOR", {}));
    }
    this.healthChecker?.stop();
    this.killed = true;
    this.killStartedAt = now;
    signalGroup(this.pid, "SIGTERM");
    void this.container?.kill("TERM");
    this.scheduleEscalation(grace, now + grace);
  }

  private scheduleEscalation(delayMs: number, deadline: number): void {
    if (this.killTimer !== undefined) clearTimeout(this.killTimer);
    this.killDeadline = deadline;
    this.killTimer = setTimeout(() => {
      this.killTimer = undefined;
      if (this.pid === undefined || this.isTerminal) return;
      const pid = this.pid;
      // runc cannot pass SIGKILL on: the container's init gets it through runc kill, then runc itself.
      if (this.container !== undefined)
        void this.container.kill("KILL").then(() => signalGroup(pid, "SIGKILL"));
      else signalGroup(pid, "SIGKILL");
    }, delayMs);
  }

  private reaped(code: number | null, signal: NodeJS.Signals | null): void {
    this.healthChecker?.stop();
    if (this.killTimer !== undefined) clearTimeout(this.killTimer);
    this.killTimer = undefined;
    if (this.pid !== undefined) {
      // The container ends with its leader: whatever the task left running in its group goes too.
      if (groupAlive(this.pid)) signalGroup(this.pid, "SIGKILL");
      untrackGroup(this.pid);
    }
    const state: TaskStateName = this.killed ? "TASK_KILLED" : code === 0 ? "TASK_FINISHED" : "TASK_FAILED";
    const container = this.container;
    this.container = undefined;
    if (container !== undefined) {
      const status = containerWaitStatus(code, signal);
      void container.destroy().then(() => this.reaped(status.code, status.signal));
      return;
    }
    this.forward(
      this.status(state, "SOURCE_EXECUTOR", {
        message: `Command ${describeWaitStatus(code, signal)}`,
        healthy: this.killed && this.killedByHealthCheck ? false : undefined,
      }),
    );
  }

  private executorEnvironment(sandbox: Sandbox): Record<string, string> {
    return taskEnvironment({
      inherited: this.host.inheritedEnv,
      sandbox: sandbox.directory,
      agentId: this.host.agentId,
      agentEndpoint: this.host.agentEndpoint,
      frameworkId: this.frameworkId,
      executorId: this.executorId,
      taskId: this.taskId,
      containerId: sandbox.containerId,
      checkpoint: this.framework?.checkpoint ?? false,
      allocationRole: this.taskInfo.resources[0]?.allocation_info?.role,
    });
  }

  private startHealthChecks(env: Readonly<Record<string, string>>): void {
    const check = this.taskInfo.health_check;
    const sandbox = this.sandbox;
    if (check === undefined || sandbox === undefined) return;
    const problem = healthCheckError(check);
    if (problem !== undefined) {
      this.log(`Failed to create health checker: ${problem}`);
      return;
    }
    const outputFd = openSync(sandbox.stderrPath, "a");
    const checker = new HealthChecker({
      timings: healthCheckTimings(check),
      probe: healthProbe(this.container?.checkInside(check) ?? check, {
        cwd: sandbox.directory,
        env,
        outputFd,
      }),
      onVerdict: (verdict) => this.healthUpdated(verdict),
      log: (line) => this.log(line),
      name: `${check.type} health check`,
      taskId: this.taskInfo.task_id.value,
    });
    this.terminated.then(() => closeSync(outputFd));
    this.healthChecker = checker;
    checker.start();
  }

  private healthUpdated(verdict: HealthVerdict): void {
    if (this.killed || this.isTerminal || this.lastStatus === undefined) return;
    this.forward({
      ...this.lastStatus,
      uuid: newStatusUuid(),
      timestamp: Date.now() / 1000,
      reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
      healthy: verdict.healthy,
    });
    if (verdict.killTask) {
      this.killedByHealthCheck = true;
      this.kill();
    }
  }

  /**
   * The sandbox belongs to the task user (src/slave/paths.cpp `createExecutorDirectory`: chown, else the launch
   * fails). Returns false after dropping the task when the chown fails.
   */
  private chownSandbox(opened: OpenedSandbox, user: string | undefined): boolean {
    const account = this.account;
    if (!this.host.switchUser || account === undefined || user === undefined) return true;
    try {
      for (const path of [opened.sandbox.directory, opened.sandbox.stdoutPath, opened.sandbox.stderrPath])
        chownSync(path, account.uid, account.gid);
      return true;
    } catch (error) {
      closeSync(opened.stdoutFd);
      closeSync(opened.stderrFd);
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      this.dropBeforeLaunch(`Failed to chown directory to '${user}': ${ERRNO_TEXT[code] ?? code}`);
      return false;
    }
  }

  /**
   * The executor could not be added, so the task never started: TASK_DROPPED (TASK_LOST for frameworks that are not
   * PARTITION_AWARE) with REASON_EXECUTOR_TERMINATED, as src/slave/slave.cpp `Slave::__run` sends it when
   * `Framework::addExecutor` fails.
   */
  private dropBeforeLaunch(message: string): void {
    const state = this.frameworkCapable("PARTITION_AWARE") ? "TASK_DROPPED" : "TASK_LOST";
    this.forward(this.status(state, "SOURCE_AGENT", { reason: "REASON_EXECUTOR_TERMINATED", message }));
  }

  /** The container could not be launched: TASK_FAILED with the reason, never the offending value. */
  private failLaunch(reason: string): void {
    this.log(reason);
    this.forward(
      this.status("TASK_FAILED", "SOURCE_AGENT", {
        reason: "REASON_CONTAINER_LAUNCH_FAILED",
        message: `Failed to launch container: ${reason}`,
      }),
    );
  }

  /** The executor could not start the command at all: Mesos' executor aborts and the agent reports the task failed. */
  private failBeforeFork(reason: string): void {
    this.log(reason);
    this.forward(
      this.status("TASK_FAILED", "SOURCE_AGENT", {
        reason: "REASON_EXECUTOR_TERMINATED",
        message: `Executor terminated: ${reason}`,
      }),
    );
  }

  private frameworkCapable(capability: string): boolean {
    return this.framework?.capabilities?.some((c) => c.type === capability) ?? false;
  }

  private containerStatus(): ContainerStatusJson | undefined {
    if (this.sandbox === undefined) return undefined;
    return {
      container_id: { value: this.sandbox.containerId },
      network_infos: [{ ip_addresses: [{ protocol: "IPv4", ip_address: "127.0.0.1" }] }],
      executor_pid: this.executorPid ?? process.pid,
    };
  }

  private status(
    state: TaskStateName,
    source: AgentStatus["source"],
    extra: { reason?: string; message?: string; healthy?: boolean; containerStatus?: ContainerStatusJson },
  ): AgentStatus {
    const status: AgentStatus = {
      frameworkId: this.frameworkId,
      taskId: this.taskId,
      state,
      source,
      timestamp: Date.now() / 1000,
      executorId: this.executorId,
      uuid: newStatusUuid(),
    };
    if (extra.reason !== undefined) status.reason = extra.reason;
    if (extra.message !== undefined) status.message = extra.message;
    if (extra.healthy !== undefined) status.healthy = extra.healthy;
    if (extra.containerStatus !== undefined) status.containerStatus = extra.containerStatus;
    return status;
  }

  private forward(status: AgentStatus): void {
    this.lastStatus = status;
    this.state = status.state;
    if (status.healthy !== undefined) this.healthy = status.healthy;
    this.statuses.push(status);
    this.host.emit(status);
    if (!this.isTerminal) return;
    if (this.registrationTimer !== undefined) clearTimeout(this.registrationTimer);
    this.registrationTimer = undefined;
    this.resolveTerminated();
  }

  /** The executor's own diagnostics go to the sandbox's stderr, where Mesos' executor logs them too. */
  private log(line: string): void {
    if (this.sandbox === undefined) return;
    try {
      appendFileSync(this.sandbox.stderrPath, `${line}\n`);
    } catch {
      // the sandbox may already have been removed
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  ENOEXEC: "Exec format error",
  ENOTDIR: "Not a directory",
  EPERM: "Operation not permitted",
  E2BIG: "Argument list too long",
};

function describeSpawnError(error: NodeJS.ErrnoException): string {
  return (error.code !== undefined ? ERRNO_TEXT[error.code] : undefined) ?? error.message;
}

/** A NUL byte cannot reach exec(2): names which part of the launch has one, never its value. */
function nulProblem(line: CommandLine, env: Readonly<Record<string, string>>): string | undefined {
  if ([line.file, line.argv0, ...line.args].some((part) => part.includes("\0")))
    return "the command contains a NUL byte";
  for (const [name, value] of Object.entries(env)) {
    if (name.includes("\0") || value.includes("\0"))
      return `environment variable '${name.replaceAll("\0", "\\0")}' contains a NUL byte`;
  }
  return undefined;
}

/** chown -R, best effort: a file that vanished meanwhile is no reason to fail the launch. */
function chownTree(path: string, account: TaskAccount): void {
  try {
    chownSync(path, account.uid, account.gid);
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) chownTree(join(path, entry.name), account);
      else if (!entry.isSymbolicLink()) chownSync(join(path, entry.name), account.uid, account.gid);
    }
  } catch {
    // ignored: see above
  }
}
