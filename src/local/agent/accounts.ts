import { readFileSync } from "node:fs";

/** Maps numeric user/group ids to names from /etc/passwd and /etc/group, as `ls -l` and Mesos' file listing do. */
export class AccountNames {
  private users: Map<number, string> | undefined;
  private groups: Map<number, string> | undefined;

  constructor(
    private readonly passwdPath = "/etc/passwd",
    private readonly groupPath = "/etc/group",
  ) {}

  user(uid: number): string {
    this.users ??= readIdTable(this.passwdPath);
    return this.users.get(uid) ?? String(uid);
  }

  group(gid: number): string {
    this.groups ??= readIdTable(this.groupPath);
    return this.groups.get(gid) ?? String(gid);
  }
}

/** name:x:id:... lines; an unreadable file yields an empty table (ids then show as numbers). */
export function readIdTable(path: string): Map<number, string> {
  const table = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return table;
  }
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name === undefined || name === "" || id === undefined) continue;
    const numeric = Number(id);
    if (Number.isInteger(numeric) && !table.has(numeric)) table.set(numeric, name);
  }
  return table;
}
