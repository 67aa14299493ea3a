/**
 * Files titan trusts (the user config, the state store) must be the user's alone: a state root others can
 * write lets them plant a release that `titan rollback` then deploys; a config they can write points titan at
 * their cluster with the user's credentials.
 */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "./errors.js";

/** What a trusted path must be, and how the user points titan at another one when it is not. */
export interface TrustedPath {
  /** What it is called in messages: "config file", "state store". */
  what: string;
  kind: "file" | "directory";
  /** The hint for a path of the wrong type: where titan takes it from. */
  elsewhere: string;
}

/**
 * Refuses `path` when it exists and is not of its kind (a directory, a FIFO or a device where a file belongs, a
 * file on its way to it), when another user (not root) owns it, or when others may write it (group or world
 * write bit). The type comes first: the permissions of /tmp or /dev/null are not the user's to change.
 * `uid` is the user's; undefined (a platform without uids) skips the ownership and mode checks. A missing path
 * is fine: titan creates it private.
 */
export async function checkPrivate(
  path: string,
  trusted: TrustedPath,
  uid: number | undefined,
): Promise<void> {
  const { what, kind } = trusted;
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR") {
      const blocker = await fileOnPath(path);
      throw new UsageError(
        `the ${what} ${path} cannot exist: ${blocker} on its path is a file, not a directory`,
        trusted.elsewhere,
      );
    }
    throw new UsageError(
      `cannot check the ${what} ${path} (${code ?? "unreadable"})`,
      "check that every directory on its path is yours and readable",
    );
  }
  const found = typeOf(info);
  if (found !== kind)
    throw new UsageError(
      `the ${what} ${path} is ${found === "file" ? "a file" : `a ${found}`}, not a ${kind}`,
      trusted.elsewhere,
    );
  if (uid === undefined) return;
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

function typeOf(info: Stats): string {
  if (info.isFile()) return "file";
  if (info.isDirectory()) return "directory";
  if (info.isFIFO()) return "FIFO";
  if (info.isSocket()) return "socket";
  if (info.isCharacterDevice()) return "character device";
  if (info.isBlockDevice()) return "block device";
  return "special file";
}

/** The nearest ancestor of `path` that exists and is not a directory: what ENOTDIR stumbled on. */
async function fileOnPath(path: string): Promise<string> {
  for (let at = dirname(path); at !== dirname(at); at = dirname(at)) {
    const info = await stat(at).catch(() => undefined);
    if (info !== undefined && !info.isDirectory()) return at;
  }
  return dirname(path);
}
