import { readFileSync } from "node:fs";

/** A Unix account the agent can run a task as. */
export interface TaskAccount {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The account of `user` from the passwd file, or undefined when the machine has no such user. The wording of the
 * error is stout's `os::getuid` (3rdparty/stout/include/stout/posix/os.hpp): "No such user '<user>'".
 */
export function lookupAccount(user: string, passwdPath = "/etc/passwd"): TaskAccount | undefined {
  let text: string;
  try {
    text = readFileSync(passwdPath, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name !== user || uid === undefined || gid === undefined) continue;
    const account = { name, uid: Number(uid), gid: Number(gid) };
    if (Number.isInteger(account.uid) && Number.isInteger(account.gid)) return account;
  }
  return undefined;
}

/**
 * The user a command task runs as: `CommandInfo.user` when set, else `FrameworkInfo.user`
 * (src/slave/slave.cpp `Framework::addExecutor`, with --switch_user).
 */
export function taskUser(
  commandUser: string | undefined,
  frameworkUser: string | undefined,
): string | undefined {
  if (commandUser !== undefined && commandUser !== "") return commandUser;
  return frameworkUser === "" ? undefined : frameworkUser;
}
