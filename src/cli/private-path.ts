/**
 * Files titan trusts (the user config, the state store) must be the user's alone: a state root others can
 * write lets them plant a release that `titan rollback` then deploys; a config they can write points titan at
 * their cluster with the user's credentials.
 */
import { stat } from "node:fs/promises";
import { UsageError } from "./errors.js";

/**
 * Refuses `path` when it exists and another user (not root) owns it, or others may write it (group or world
 * write bit).
 * `uid` is the user's; undefined (a platform without uids) skips the check. A missing path is fine: titan
 * creates it private.
 */
export async function checkPrivate(path: string, what: string, uid: number | undefined): Promise<void> {
  if (uid === undefined) return;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    throw new UsageError(
      `cannot check the ${what} ${path} (${code ?? "unreadable"})`,
      "check that every directory on its path is yours and readable",
    );
  }
  const kind = info.isDirectory() ? "directory" : "file";
  // Like ssh's StrictModes: the user's own, or root's (root can change anything anyway).
  if (info.uid !== uid && info.uid !== 0) {
    throw new UsageError(
      `the ${what} ${path} belongs to another user (uid ${info.uid}, you are ${uid}); titan will not trust it`,
      `use a ${kind} of your own, or if it is yours: chown ${uid} ${path}`,
    );
  }
  const mode = Number(info.mode) & 0o777;
  if ((mode & 0o022) !== 0) {
    const who = (mode & 0o002) !== 0 ? "every user" : "its group";
    throw new UsageError(
      `the ${what} ${path} can be written by ${who} (mode ${mode.toString(8).padStart(4, "0")}); titan will not trust it`,
      `make it yours alone: chmod ${kind === "directory" ? "700" : "600"} ${path}`,
    );
  }
}
