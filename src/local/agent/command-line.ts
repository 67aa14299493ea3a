import type { CommandInfoJson, EnvironmentJson } from "./api.js";
import { resolvedSecretValue } from "./secrets.js";

/** What to exec for a CommandInfo, as the Mesos launcher does it. */
export interface CommandLine {
  file: string;
  args: string[];
  /** argv[0] the program sees. */
  argv0: string;
}

/** Thrown for a CommandInfo Mesos would refuse to run (its executor aborts with this text). */
export class InvalidCommandError extends Error {}

/**
 * shell=true (the default) runs `/bin/sh -c value` and ignores `arguments`; shell=false execs `value` with `arguments`
 * as the complete argv, argv[0] included (an empty `arguments` gives the program an empty argv[0] slot filled with
 * `value`, as execvp callers conventionally do).
 */
export function commandLine(command: CommandInfoJson): CommandLine {
  const value = command.value;
  if (command.shell ?? true) {
    if (value === undefined) throw new InvalidCommandError("Shell command of task is not specified");
    return { file: "/bin/sh", args: ["-c", value], argv0: "sh" };
  }
  if (value === undefined) throw new InvalidCommandError("Executable of task is not specified");
  const argv = command.arguments ?? [];
  return { file: value, args: argv.slice(1), argv0: argv[0] ?? value };
}

/**
 * Applies CommandInfo.environment over `base`. A SECRET variable gets the value the default resolver gives it (a
 * VALUE secret's bytes); a REFERENCE never gets here, since it fails the launch first (secrets.ts).
 */
export function withCommandEnvironment(
  base: Readonly<Record<string, string>>,
  environment: EnvironmentJson | undefined,
): Record<string, string> {
  const merged: Record<string, string> = { ...base };
  for (const variable of environment?.variables ?? []) {
    if (variable.type === "SECRET") {
      const value = resolvedSecretValue(variable);
      if (value !== undefined) merged[variable.name] = value;
      continue;
    }
    merged[variable.name] = variable.value ?? "";
  }
  return merged;
}

/** The executor-side variables a Mesos agent gives a command task (mesos containerizer + command executor). */
export interface TaskEnvironmentInput {
  inherited: Readonly<Record<string, string | undefined>>;
  sandbox: string;
  agentId: string;
  agentEndpoint: string;
  frameworkId: string;
  executorId: string;
  taskId: string;
  containerId: string;
  checkpoint: boolean;
  allocationRole?: string;
}

export function taskEnvironment(input: TaskEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.inherited)) {
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    MESOS_FRAMEWORK_ID: input.frameworkId,
    MESOS_EXECUTOR_ID: input.executorId,
    MESOS_TASK_ID: input.taskId,
    MESOS_DIRECTORY: input.sandbox,
    MESOS_SANDBOX: input.sandbox,
    MESOS_CHECKPOINT: input.checkpoint ? "1" : "0",
    MESOS_AGENT_ENDPOINT: input.agentEndpoint,
    MESOS_SLAVE_ID: input.agentId,
    MESOS_CONTAINER_NAME: `mesos-${input.containerId}`,
  });
  if (input.allocationRole !== undefined) env.MESOS_ALLOCATION_ROLE = input.allocationRole;
  return env;
}
