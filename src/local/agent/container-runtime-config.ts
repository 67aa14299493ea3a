import type { CommandInfoJson } from "./api.js";
import type { ImageConfig } from "./container-puller.js";

/** Where the sandbox appears inside the container (the agent's --sandbox_directory default). */
export const CONTAINER_SANDBOX = "/mnt/mesos/sandbox";
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class LaunchCommandError extends Error {}

/**
 * The argv a docker/runtime isolator launches (src/slave/containerizer/mesos/isolators/docker/runtime.cpp,
 * getLaunchCommand): shell=true runs `/bin/sh -c value`; shell=false with a value runs it and ignores the image;
 * without a value the image's Entrypoint runs with the task's arguments, or with Cmd when there are none; without
 * an Entrypoint Cmd[0] runs with the task's arguments, or with the rest of Cmd.
 */
export function launchArgv(command: CommandInfoJson, image: ImageConfig): string[] {
  if (command.shell ?? true) {
    if (command.value === undefined)
      throw new LaunchCommandError("Shell specified but no command value provided");
    return ["/bin/sh", "-c", command.value];
  }
  const argv = command.arguments ?? [];
  if (command.value !== undefined) return [command.value, ...argv.slice(1)];
  const entrypoint = image.Entrypoint ?? [];
  const cmd = image.Cmd ?? [];
  if (entrypoint.length > 0) return [...entrypoint, ...(argv.length > 0 ? argv : cmd)];
  if (cmd.length > 0) return [cmd[0] ?? "", ...(argv.length > 0 ? argv : cmd.slice(1))];
  throw new LaunchCommandError("No executable is found");
}

/** Image Env first, then the executor's variables and the task's on top (the containerizer's merge order). */
export function containerEnvironment(
  image: ImageConfig,
  task: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of image.Env ?? []) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  Object.assign(env, task);
  env.MESOS_SANDBOX = CONTAINER_SANDBOX;
  env.PATH ??= DEFAULT_PATH;
  return env;
}

export interface RuntimeSpecInput {
  rootfs: string;
  sandbox: string;
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
}

const CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/**
 * An OCI runtime config for runc: own PID, mount, IPC and UTS-less host network (no network namespace, as the
 * agent's host networking), the image's rootfs, the sandbox bound at /mnt/mesos/sandbox, the host's resolv.conf
 * and hosts read-only, and the usual masked and read-only /proc paths.
 */
export function runtimeSpec(input: RuntimeSpecInput): Record<string, unknown> {
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: input.user,
      args: [...input.argv],
      env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
      cwd: input.cwd,
      capabilities: { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES },
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: false },
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
      },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
      },
      {
        destination: "/dev/mqueue",
        type: "mqueue",
        source: "mqueue",
        options: ["nosuid", "noexec", "nodev"],
      },
      {
        destination: "/sys",
        type: "none",
        source: "/sys",
        options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
      },
      { destination: CONTAINER_SANDBOX, type: "bind", source: input.sandbox, options: ["rbind", "rw"] },
      { destination: "/etc/resolv.conf", type: "bind", source: "/etc/resolv.conf", options: ["bind", "ro"] },
      { destination: "/etc/hosts", type: "bind", source: "/etc/hosts", options: ["bind", "ro"] },
    ],
    linux: {
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "mount" }],
      resources: { devices: [{ allow: false, access: "rwm" }] },
      maskedPaths: [
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/sched_debug",
        "/sys/firmware",
      ],
      readonlyPaths: [
        "/proc/asound",
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
      ],
    },
  };
}
