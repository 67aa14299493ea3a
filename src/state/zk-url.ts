import { UsageError } from "../cli/errors.js";
import type { ZkHost } from "./zk-client.js";

/** A `zk://[user:SECRET-REF@]host:port[,host:port…]/path` URL, as Mesos writes its --zk flag. */
export interface ZkUrl {
  hosts: ZkHost[];
  /** The chroot-like base path, e.g. /titan; never "/" alone. */
  path: string;
  /** Digest user and the secret reference (`env:NAME` or `file:/path`) holding its password. */
  auth?: { user: string; secretRef: string };
  /** The URL without credentials, safe to print. */
  display: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const PATH = /^(\/[A-Za-z0-9_.:-]+)+$/;

export function parseZkUrl(text: string, what = "ZooKeeper URL"): ZkUrl {
  const bad = (why: string, hint: string): UsageError =>
    new UsageError(`${what} ${redact(text)}: ${why}`, hint);
  if (!text.startsWith("zk://"))
    throw bad("must start with zk://", "e.g. zk://zk1:2181,zk2:2181,zk3:2181/titan");
  const rest = text.slice("zk://".length);
  // Hosts and paths never hold "@"; a `file:/…` secret reference may hold "/".
  const at = rest.lastIndexOf("@");
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const afterAuth = at < 0 ? rest : rest.slice(at + 1);
  if (/[?#]/.test(afterAuth))
    throw bad(
      `a ${afterAuth.includes("?") ? "query (?…)" : "fragment (#…)"} is not allowed`,
      "end the URL with the base path, e.g. zk://zk1:2181/titan",
    );
  const slash = afterAuth.indexOf("/");
  const hostList = slash < 0 ? afterAuth : afterAuth.slice(0, slash);
  const path = (slash < 0 ? "" : afterAuth.slice(slash)).replace(/\/+$/, "");
  if (path === "") throw bad("needs a base path", "name the node titan may use, e.g. zk://zk1:2181/titan");
  if (!PATH.test(path)) throw bad(pathProblem(path), PATH_RULE);
  const hosts = hostList.split(",").map((item) => {
    const match = HOST_PORT.exec(item.trim());
    const port = Number(match?.[2] ?? 2181);
    if (!match || port < 1 || port > 65535)
      throw bad(`"${item}" is not host:port`, "list the ensemble as host:port,host:port");
    return { host: (match[1] as string).replace(/^\[|\]$/g, ""), port };
  });
  let auth: ZkUrl["auth"];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    const secretRef = colon < 0 ? "" : userinfo.slice(colon + 1);
    if (user === "" || !/^(env|file):./.test(secretRef))
      throw bad(
        "the digest password must be a secret reference",
        "write zk://USER:env:VAR@host:2181/path (or USER:file:/path); never the password itself",
      );
    auth = { user, secretRef };
  }
  const display = `zk://${auth ? `${auth.user}@` : ""}${hostList}${path}`;
  return { hosts, path, ...(auth ? { auth } : {}), display };
}

const PATH_RULE = "write the base path as /name[/name…], each name of letters, digits, _ . : and -";

/** What is wrong with a base path PATH refused: characters it may not hold, or an empty name (`//`). */
function pathProblem(path: string): string {
  const invalid = [...new Set(path.replace(/[A-Za-z0-9_.:/-]/g, ""))];
  if (invalid.length > 0)
    return `the base path holds invalid characters: ${invalid.map((c) => JSON.stringify(c)).join(" ")}`;
  return "the base path has an empty name (//)";
}

/**
 * The text with anything between zk:// and @ hidden, and any query or fragment left out (either may carry a
 * credential), for messages about URLs that did not parse.
 */
export function redact(text: string): string {
  return text.replace(/^(zk:\/\/).*@/, "$1…@").replace(/[?#].*$/s, "");
}
