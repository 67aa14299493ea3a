import { type ChildProcess, spawn } from "node:child_process";
import { Socket } from "node:net";

/**
 * Task processes run in their own session and process group (setsid, as the Mesos launcher does), so a signal to the
 * group reaches every child a task forks. The groups still alive are killed when this Node process exits: on a normal
 * exit by an 'exit' hook, and on a hard kill (SIGKILL) by a small detached watchdog that notices the end of its stdin
 * pipe and kills the groups it was told about. A container's init is in a session of its own that `runc run` leaves
 * behind when it dies, so the watchdog also deletes (`runc delete --force`) the containers it was told about.
 */

const liveGroups = new Set<number>();
/** Containers not yet destroyed, as `root id` (their runc state dir and id). */
const liveContainers = new Set<string>();
/** Directories to remove if this process is killed outright (a cluster's temporary work directory). */
const liveDirectories = new Set<string>();
let exitHookInstalled = false;
let watchdog: ChildProcess | undefined;

/**
 * Reads "+ pgid" / "- pgid" lines, "r RUNC" (the runc binary), "c ID ROOT" / "C ID ROOT" (a container and its
 * runc state dir, then its end) and "d DIR" / "D DIR" (a directory to remove, then not); when its stdin ends (the
 * agent process is gone) it SIGKILLs the groups left, deletes the containers left, then removes the directories.
 */
export const WATCHDOG_SCRIPT = [
  'groups=" "',
  'containers=" "',
  'dirs=" "',
  'runc=""',
  "while read op arg root; do",
  '  case "$op" in',
  '    +) groups="$groups$arg " ;;',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JavaScript template
  '    -) case "$groups" in *" $arg "*) groups="${groups%% $arg *} ${groups#* $arg }" ;; esac ;;',
  '    r) runc="$arg" ;;',
  '    c) containers="$containers$arg@$root " ;;',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JavaScript template
  '    C) c="$arg@$root"; case "$containers" in *" $c "*) containers="${containers%% $c *} ${containers#* $c }" ;; esac ;;',
  '    d) dirs="$dirs$arg " ;;',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JavaScript template
  '    D) case "$dirs" in *" $arg "*) dirs="${dirs%% $arg *} ${dirs#* $arg }" ;; esac ;;',
  "  esac",
  "done",
  "for g in $groups; do kill -s KILL -- -$g 2>/dev/null; done",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JavaScript template
  'for c in $containers; do "$runc" --root "${c#*@}" delete --force "${c%%@*}" >/dev/null 2>&1; done',
  'for d in $dirs; do rm -rf -- "$d"; done',
].join("\n");

/** Sends `signal` to the whole process group led by `pid`; false when the group no longer exists. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killAllGroups(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
}

function tellWatchdog(line: string): void {
  if (watchdog === undefined) {
    const child = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    child.on("error", () => undefined);
    child.stdin?.on("error", () => undefined);
    child.unref();
    if (child.stdin instanceof Socket) child.stdin.unref();
    watchdog = child;
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** Registers a task's process group for cleanup when this process exits. */
export function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    process.on("exit", killAllGroups);
    exitHookInstalled = true;
  }
  liveGroups.add(pid);
  tellWatchdog(`+ ${pid}`);
}

/** Forgets a group whose processes are all gone; the watchdog exits once nothing is left to guard. */
export function untrackGroup(pid: number): void {
  if (!liveGroups.delete(pid)) return;
  tellWatchdog(`- ${pid}`);
  endIdleWatchdog();
}

/**
 * Registers a runc container for deletion if this process is killed outright. Its id and state dir go on one line
 * of words, so one with white space or `@` in them is not guarded (titan local's own never has).
 */
export function trackContainer(runc: string, root: string, id: string): void {
  if (/[\s@]/.test(`${runc}${root}${id}`)) return;
  liveContainers.add(`${root} ${id}`);
  tellWatchdog(`r ${runc}`);
  tellWatchdog(`c ${id} ${root}`);
}

/** Forgets a container that was deleted. */
export function untrackContainer(root: string, id: string): void {
  if (!liveContainers.delete(`${root} ${id}`)) return;
  tellWatchdog(`C ${id} ${root}`);
  endIdleWatchdog();
}

/**
 * Registers a directory to remove if this process is killed outright: a cluster's temporary work directory, with
 * the rootfs of every container in it. One with white space in its path is not guarded.
 */
export function trackDirectory(dir: string): void {
  if (/\s/.test(dir)) return;
  liveDirectories.add(dir);
  tellWatchdog(`d ${dir}`);
}

/** Forgets a directory that was removed. */
export function untrackDirectory(dir: string): void {
  if (!liveDirectories.delete(dir)) return;
  tellWatchdog(`D ${dir}`);
  endIdleWatchdog();
}

function endIdleWatchdog(): void {
  const idle = liveGroups.size === 0 && liveContainers.size === 0 && liveDirectories.size === 0;
  if (idle && watchdog !== undefined) {
    watchdog.stdin?.end();
    watchdog = undefined;
  }
}

export interface GroupSpawnOptions {
  argv0: string;
  cwd: string;
  env: Record<string, string>;
  stdoutFd: number | "ignore";
  stderrFd: number | "ignore";
  /** Run as this user and group (needs root), as an agent with --switch_user does. */
  uid?: number;
  gid?: number;
}

/** Spawns `file` as the leader of a new session/process group with stdin from /dev/null. */
export function spawnGroupLeader(
  file: string,
  args: readonly string[],
  options: GroupSpawnOptions,
): ChildProcess {
  return spawn(file, args, {
    argv0: options.argv0,
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", options.stdoutFd, options.stderrFd],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
}
