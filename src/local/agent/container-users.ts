import { readFile } from "node:fs/promises";
import { join } from "node:path";

export class UnknownUserError extends Error {}

/**
 * The uid, gid and supplementary groups of a user inside the rootfs, from its /etc/passwd and /etc/group (the
 * launcher switches user after entering the container's root). Numeric `uid[:gid]` needs no lookup.
 */
export async function containerUser(
  rootfs: string,
  user: string,
): Promise<{ uid: number; gid: number; additionalGids: number[] }> {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
  if (numeric !== null) {
    const uid = Number(numeric[1]);
    return { uid, gid: numeric[2] === undefined ? uid : Number(numeric[2]), additionalGids: [] };
  }
  const passwd = await readLines(join(rootfs, "etc", "passwd"));
  const entry = passwd.map((line) => line.split(":")).find((fields) => fields[0] === user);
  if (entry === undefined) {
    if (user === "root") return { uid: 0, gid: 0, additionalGids: [] };
    throw new UnknownUserError(
      `Failed to get user information for '${user}': no such user in the container image`,
    );
  }
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  const groups = await readLines(join(rootfs, "etc", "group"));
  const additionalGids = groups
    .map((line) => line.split(":"))
    .filter((fields) => (fields[3] ?? "").split(",").includes(user))
    .map((fields) => Number(fields[2]))
    .filter((g) => Number.isInteger(g) && g !== gid);
  return { uid, gid, additionalGids };
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, "utf8")).split("\n").filter((line) => line !== "" && !line.startsWith("#"));
  } catch {
    return [];
  }
}
