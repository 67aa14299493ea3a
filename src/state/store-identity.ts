import { realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseZkUrl } from "./zk-url.js";

/**
 * What a state store URL names, however it is spelt: each string is one place the store's records live, and two
 * URLs that share one name one store. A `file://` URL names its directory resolved absolute, through symbolic
 * links as far as it exists (`file:///x/store/`, `file:////x/store` and a link to it are one); a `zk://` URL
 * names its base path on each ensemble member, host in lower case with its port (2181 when left out), so host
 * order, a member left out and a trailing slash do not make another store. Any other URL names itself.
 */
export function storePlaces(url: string): string[] {
  if (url.startsWith("file://")) return [`file://${realDirectory(resolve(fileURLToPath(url)))}`];
  if (url.startsWith("zk://")) {
    const { hosts, path } = parseZkUrl(url, "state store");
    return hosts.map(({ host, port }) => `zk://${hostPort(host.toLowerCase(), port)}${path}`);
  }
  return [url];
}

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The path with the links of its longest existing ancestor resolved; the rest, not created yet, as written. */
function realDirectory(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realDirectory(parent), basename(path));
  }
}
