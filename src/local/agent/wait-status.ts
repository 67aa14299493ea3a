import { constants } from "node:os";

/**
 * How Mesos words a process's end in task status messages: "Command " + WSTRINGIFY(status), where a signal is named
 * by strsignal(3) ("Terminated", "Killed"), not by its constant.
 */

const SIGNAL_DESCRIPTIONS: Readonly<Record<string, string>> = {
  SIGHUP: "Hangup",
  SIGINT: "Interrupt",
  SIGQUIT: "Quit",
  SIGILL: "Illegal instruction",
  SIGTRAP: "Trace/breakpoint trap",
  SIGABRT: "Aborted",
  SIGBUS: "Bus error",
  SIGFPE: "Floating point exception",
  SIGKILL: "Killed",
  SIGUSR1: "User defined signal 1",
  SIGSEGV: "Segmentation fault",
  SIGUSR2: "User defined signal 2",
  SIGPIPE: "Broken pipe",
  SIGALRM: "Alarm clock",
  SIGTERM: "Terminated",
  SIGSTKFLT: "Stack fault",
  SIGCHLD: "Child exited",
  SIGCONT: "Continued",
  SIGSTOP: "Stopped (signal)",
  SIGTSTP: "Stopped",
  SIGTTIN: "Stopped (tty input)",
  SIGTTOU: "Stopped (tty output)",
  SIGURG: "Urgent I/O condition",
  SIGXCPU: "CPU time limit exceeded",
  SIGXFSZ: "File size limit exceeded",
  SIGVTALRM: "Virtual timer expired",
  SIGPROF: "Profiling timer expired",
  SIGWINCH: "Window changed",
  SIGIO: "I/O possible",
  SIGPWR: "Power failure",
  SIGSYS: "Bad system call",
};

/** strsignal(3) text for a Node signal name; unknown names are returned as given. */
export function describeSignal(signal: string): string {
  return SIGNAL_DESCRIPTIONS[signal] ?? signal;
}

/** "exited with status N" or "terminated with signal X", as WSTRINGIFY. */
export function describeWaitStatus(code: number | null, signal: string | null): string {
  if (signal !== null) return `terminated with signal ${describeSignal(signal)}`;
  return `exited with status ${code ?? 0}`;
}

const SIGNAL_NAMES: ReadonlyMap<number, NodeJS.Signals> = new Map(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

/**
 * A container's end as its task's wait status. `runc run` exits 128+n when the container's init was killed by
 * signal n, and is itself killed by SIGKILL when a kill escalates: both are the command terminated by that signal,
 * as the Mesos command executor reaps a containerized task's process directly. (An init that exits 128+n on its own
 * reads the same; runc cannot tell them apart.)
 */
export function containerWaitStatus(
  code: number | null,
  signal: NodeJS.Signals | null,
): { code: number | null; signal: NodeJS.Signals | null } {
  if (signal !== null || code === null || code <= 128) return { code, signal };
  const name = SIGNAL_NAMES.get(code - 128);
  return name === undefined ? { code, signal } : { code: null, signal: name };
}
