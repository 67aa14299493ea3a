import { chmod, chown, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandInfoJson, ContainerInfoJson, HealthCheckJson } from "./api.js";
import type { CommandLine } from "./command-line.js";
import { parsePullTarget } from "./container-image-name.js";
import { unpackRootfs } from "./container-layers.js";
import { ImagePuller } from "./container-puller.js";
import { detectImageSupport, Runc } from "./container-runc.js";
import {
  CONTAINER_SANDBOX,
  containerEnvironment,
  launchArgv,
  runtimeSpec,
} from "./container-runtime-config.js";
import { trackContainer, trackDirectory, untrackContainer, untrackDirectory } from "./process-group.js";
import { resolvedSecretValue } from "./secrets.js";

/** A provisioning failure; the agent reports `Failed to launch container: <message>`. */
export class ContainerLaunchError extends Error {}

/** A container ready to start: its process is `line` (runc in the foreground). */
export interface ProvisionedContainer {
  id: string;
  line: CommandLine;
  /** Signals the container's init through runc (a SIGKILL to runc alone would orphan it). */
  kill(signal: "TERM" | "KILL"): Promise<void>;
  /** Removes runc's state and the rootfs. */
  destroy(): Promise<void>;
  /**
   * A COMMAND health check as it runs for a container: inside it (`runc exec`, the container's process settings
   * with the check's own variables added), as the Mesos executor enters the task's namespaces to run it.
   */
  checkInside(check: HealthCheckJson): HealthCheckJson;
}

export interface ProvisionInput {
  image: string;
  containerId: string;
  command: CommandInfoJson;
  /** The executor's MESOS_* variables and the task's own environment. */
  taskEnv: Readonly<Record<string, string>>;
  sandbox: string;
  /**
   * The task user's host account (CommandInfo.user, else FrameworkInfo.user, looked up on the agent's machine, as
   * `Framework::addExecutor` and launch.cpp do before entering the rootfs); undefined runs the container as the
   * agent's own user (an agent that does not switch users). The image's `User` is not used.
   */
  account: { uid: number; gid: number } | undefined;
  /** Says what a real agent logs (the image's `User` it ignores). */
  log: (line: string) => void;
  signal: AbortSignal;
}

/** The executor's MESOS_* variables with the task's own on top: what a container gets beside its image's Env. */
export function containerTaskEnv(
  executorEnv: Readonly<Record<string, string>>,
  command: CommandInfoJson,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(executorEnv)) if (name.startsWith("MESOS_")) env[name] = value;
  for (const variable of command.environment?.variables ?? []) {
    const value = variable.type === "SECRET" ? resolvedSecretValue(variable) : (variable.value ?? "");
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

/** Provisions on this agent's containerizer; an agent without one has no store for DOCKER images. */
export function provisionImage(
  containers: ImageContainers | undefined,
  input: ProvisionInput,
): Promise<ProvisionedContainer> {
  if (containers === undefined)
    return Promise.reject(new ContainerLaunchError("Unsupported container image type: DOCKER"));
  return containers.provision(input);
}

/** The Docker image a MESOS-containerizer task asks for (ContainerInfo.mesos.image of type DOCKER). */
export function mesosImageOf(container: ContainerInfoJson | undefined): string | undefined {
  if (container?.type !== "MESOS") return undefined;
  const image = container.mesos?.image;
  return image?.type === "DOCKER" ? image.docker?.name : undefined;
}

/**
 * The local cluster does not emulate Docker's bridge network (a network namespace and a port forward per
 * container): a BRIDGE task fails at launch instead of running on the host network with unmapped ports.
 */
export function bridgeRefusal(container: ContainerInfoJson | undefined): string | undefined {
  if (container?.type !== "DOCKER" || container.docker?.network !== "BRIDGE") return undefined;
  return "BRIDGE networking is not supported by titan local agents (no Docker containerizer); run the image with the mesos containerizer, which listens on $PORT_<NAME> on the host network";
}

/**
 * The agent's Mesos containerizer for image tasks, as `--image_providers=docker
 * --isolation=filesystem/linux,docker/runtime` runs them: pull (docker store), a rootfs per container (copy
 * backend), the runtime config from the image and the TaskInfo (docker/runtime isolator), run under runc.
 */
export class ImageContainers {
  readonly missing: string | undefined;
  private readonly runc: Runc | undefined;
  private readonly puller: ImagePuller;

  constructor(
    private readonly workDir: string,
    pathVariable: string | undefined,
    uid: number | undefined,
  ) {
    const support = detectImageSupport(pathVariable, uid);
    this.missing = support.missing;
    this.runc = support.runc === undefined ? undefined : new Runc(support.runc, join(workDir, "runc"));
    this.puller = new ImagePuller(join(workDir, "store", "docker"));
  }

  async provision(input: ProvisionInput): Promise<ProvisionedContainer> {
    const runc = this.runc;
    // An agent without --image_providers=docker has no store for DOCKER images (provisioner.cpp, provision()).
    if (runc === undefined) throw new ContainerLaunchError("Unsupported container image type: DOCKER");
    const bundle = join(this.workDir, "provisioner", "containers", input.containerId);
    const rootfs = join(bundle, "rootfs");
    const destroy = async () => {
      await runc.delete(input.containerId);
      untrackContainer(runc.stateDir, input.containerId);
      await rm(bundle, { recursive: true, force: true });
      untrackDirectory(bundle);
    };
    try {
      const pulled = await this.puller
        .pull(parsePullTarget(input.image), input.signal)
        .catch((error: unknown) => {
          throw new ContainerLaunchError(`Failed to pull image '${input.image}': ${message(error)}`);
        });
      // The bundle's config.json holds the task's environment, secrets included: only root (runc) reads it, as
      // sandboxes are the task user's alone. The container's process never walks this path (it starts inside the
      // rootfs), so the task user needs no access to it.
      await mkdir(bundle, { recursive: true, mode: 0o700 });
      await chmod(bundle, 0o700);
      // An agent killed outright leaves the bundle (a rootfs can be large) to its watchdog, which removes it once
      // the container is deleted, whether or not the work dir itself is temporary.
      trackDirectory(bundle);
      await unpackRootfs(rootfs, pulled.layers, input.signal);
      const argv = launchArgv(input.command, pulled.config);
      // The docker/runtime isolator leaves the image's user aside: "Container user '…' is not supported yet".
      if (pulled.config.User)
        input.log(
          `Container user '${pulled.config.User}' is not supported yet for container ${input.containerId}`,
        );
      const account = input.account ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
      const user = { ...account, additionalGids: [] };
      // The sandbox belongs to the task's user, as the agent chowns it when it switches users (slave.cpp).
      if (user.uid !== 0) await chownSandbox(input.sandbox, user.uid, user.gid);
      const spec = runtimeSpec({
        rootfs,
        sandbox: input.sandbox,
        argv,
        env: containerEnvironment(pulled.config, input.taskEnv),
        cwd: pulled.config.WorkingDir || CONTAINER_SANDBOX,
        user,
      });
      await writeFile(join(bundle, "config.json"), JSON.stringify(spec), { mode: 0o600 });
      // An agent killed outright (SIGKILL) leaves the container's init running: its watchdog deletes it.
      trackContainer(runc.binary, runc.stateDir, input.containerId);
    } catch (error) {
      await destroy();
      if (error instanceof ContainerLaunchError) throw error;
      throw new ContainerLaunchError(message(error));
    }
    return {
      id: input.containerId,
      line: { file: runc.binary, args: runc.runArgs(bundle, input.containerId), argv0: "runc" },
      kill: (signal) => runc.kill(input.containerId, signal),
      destroy,
      checkInside: (check) => checkInside(check, runc, input.containerId),
    };
  }
}

function checkInside(check: HealthCheckJson, runc: Runc, id: string): HealthCheckJson {
  const command = check.command;
  if (check.type !== "COMMAND" || command === undefined) return check;
  const inner =
    (command.shell ?? true)
      ? ["/bin/sh", "-c", command.value ?? ""]
      : [command.value ?? "", ...(command.arguments ?? []).slice(1)];
  const env = (command.environment?.variables ?? [])
    .filter((v) => v.type !== "SECRET")
    .flatMap((v) => ["--env", `${v.name}=${v.value ?? ""}`]);
  const args = ["runc", "--root", runc.stateDir, "exec", ...env, id, ...inner];
  return { ...check, command: { shell: false, value: runc.binary, arguments: args } };
}

async function chownSandbox(sandbox: string, uid: number, gid: number): Promise<void> {
  await chown(sandbox, uid, gid);
  for (const entry of await readdir(sandbox)) await chown(join(sandbox, entry), uid, gid);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
