import type { Node } from "yaml";
import { urlForMessage } from "../cli/url-text.js";
import { isMap } from "../cli/yaml-library.js";
import { parseSecretRef } from "./secret-ref.js";
import type { ClusterConfig } from "./types.js";

/** What parsing reports through; the config loader's checker satisfies it. */
export interface RegistryChecker {
  report(node: Node | null | undefined, path: string, message: string, hint?: string): void;
  string(node: Node | null, path: string): string | undefined;
  map(node: Node | null, path: string): import("yaml").YAMLMap | undefined;
  entries(
    map: import("yaml").YAMLMap,
    path: string,
    known: readonly string[] | undefined,
  ): Array<[string, Node | null]>;
}

const REGISTRY_KEYS = ["url", "username", "password"] as const;
const REGISTRY_URL = /^(https?:\/\/)?[A-Za-z0-9.-]+(:\d+)?\/?$/;
const HINT =
  'e.g. registry: registry.example.com, or { url: https://registry.example.com, username: ci, password: "env:REGISTRY_PASSWORD" }';

/**
 * The cluster's `registry`: a host (the default for image references without one) or a map that adds credentials
 * titan sends to that host only. The password is a secret reference, resolved when an image is resolved.
 */
export function parseRegistry(
  check: RegistryChecker,
  value: Node | null,
  at: string,
  cluster: ClusterConfig,
): void {
  if (!isMap(value)) {
    const text = check.string(value, at);
    if (text === undefined) return;
    if (!REGISTRY_URL.test(text))
      check.report(value, at, `"${urlForMessage(text)}" is not a registry host or URL`, HINT);
    else cluster.registry = text.replace(/\/$/, "");
    return;
  }
  const map = check.map(value, at);
  if (!map) return;
  let url: string | undefined;
  let username: string | undefined;
  let password: string | undefined;
  let passwordNode: Node | null = null;
  for (const [key, node] of check.entries(map, at, REGISTRY_KEYS)) {
    const text = check.string(node, `${at}.${key}`);
    if (key === "url") url = text;
    else if (key === "username") username = text;
    else {
      password = text;
      passwordNode = node;
    }
  }
  if (url === undefined || !REGISTRY_URL.test(url)) {
    check.report(value, at, "registry needs a url (a host or http(s)://host[:port])", HINT);
    return;
  }
  cluster.registry = url.replace(/\/$/, "");
  if (username === undefined && password === undefined) return;
  if (username === undefined || password === undefined) {
    check.report(value, at, "registry credentials need both username and password", HINT);
    return;
  }
  const secret = parseSecretRef(password);
  if (typeof secret === "string")
    check.report(passwordNode, `${at}.password`, secret, 'write "env:NAME" or "file:/path"');
  else cluster.registryAuth = { username, password: secret };
}

export function parseContainerizer(
  check: RegistryChecker,
  value: Node | null,
  at: string,
  cluster: ClusterConfig,
): void {
  const choice = oneOf(check, value, at, ["mesos", "docker"] as const, {
    what: "containerizer",
    hint: "mesos: the agents' Mesos containerizer runs images (host network); docker: the Docker containerizer (bridge network, port mappings)",
  });
  if (choice !== undefined) cluster.containerizer = choice;
}

export function parseSecrets(
  check: RegistryChecker,
  value: Node | null,
  at: string,
  cluster: ClusterConfig,
): void {
  const choice = oneOf(check, value, at, ["mesos", "none"] as const, {
    what: "secrets",
    hint: 'mesos: the agents run a secret resolver module, and env values written "mesos:NAME" go to them as references; none (the default): they do not',
  });
  if (choice !== undefined) cluster.secrets = choice;
}

/** The value when it is one of `choices`; otherwise reported (`<what> "x" is not a or b`) and undefined. */
function oneOf<const C extends string>(
  check: RegistryChecker,
  value: Node | null,
  at: string,
  choices: readonly C[],
  message: { what: string; hint: string },
): C | undefined {
  const text = check.string(value, at);
  if (text === undefined) return undefined;
  const choice = choices.find((c) => c === text);
  if (choice === undefined)
    check.report(value, at, `${message.what} "${text}" is not ${choices.join(" or ")}`, message.hint);
  return choice;
}
