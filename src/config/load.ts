import { readFile, stat } from "node:fs/promises";
import { devNull } from "node:os";
import type { Document, LineCounter, Node, YAMLMap } from "yaml";
import { type Diagnostic, TitanError, UsageError, ValidationError } from "../cli/errors.js";
import { checkPrivate } from "../cli/private-path.js";
import { didYouMean } from "../cli/suggest.js";
import { urlForMessage } from "../cli/url-text.js";
import { isMap, isScalar, isSeq, yamlLibrary } from "../cli/yaml-library.js";
import {
  explainYamlError,
  firstStructuralError,
  type RepairJudge,
  STANDALONE_ERRORS,
} from "../cli/yaml-structure.js";
import { FILE_STORE_HINT, fileStoreUrlProblem } from "../state/file-url.js";
import { parseZkUrl } from "../state/zk-url.js";
import { builtinNameTaken, LOCAL } from "./builtin.js";
import { parseContainerizer, parseRegistry, parseSecrets } from "./registry.js";
import { mesosRoleProblem, ROLE_HINT } from "./role.js";
import { parseSecretRef } from "./secret-ref.js";
import type { ClusterConfig, ContextConfig, UserConfig } from "./types.js";

const MAX_CONFIG_BYTES = 1024 * 1024;
const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

const TOP_KEYS = ["current_context", "clusters", "regions", "contexts"] as const;
const CLUSTER_KEYS = [
  "masters",
  "auth",
  "ca_file",
  "state",
  "registry",
  "containerizer",
  "secrets",
  "role",
  "user",
] as const;
const UNIX_USER = /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/;
const AUTH_KEYS = ["principal", "secret"] as const;
const CONTEXT_KEYS = ["cluster", "region", "regions"] as const;

/** A parsed config file: the validated config and the YAML document (kept to edit it without losing comments). */
export interface LoadedConfig {
  config: UserConfig;
  document: Document;
  exists: boolean;
  /** TITAN_CONFIG names the null device: no config, and none to write. */
  nullDevice?: true;
}

/** A config text parsed: the document, where its lines start, and the text (to explain a YAML error in). */
export interface ParsedConfig {
  document: Document;
  lineCounter: LineCounter;
  text: string;
}

export function parseConfigDocument(text: string): ParsedConfig {
  const library = yamlLibrary();
  const lineCounter = new library.LineCounter();
  const document = library.parseDocument(text, {
    lineCounter,
    schema: "core",
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  return { document, lineCounter, text };
}

/** How strictly a config is read. */
export interface LoadOptions {
  /**
   * Reads a `current_context` naming no context as none: for the commands that write the config, so that
   * `titan context use local` can repair it (the file written is checked in full).
   */
  forEdit?: boolean;
}

/** Reads and validates the config file; a missing file is an empty config. */
export async function loadConfig(
  file: string,
  uid = process.getuid?.(),
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  if (await isNullDevice(file)) {
    if (options.forEdit)
      throw new UsageError(
        `TITAN_CONFIG is ${file}: titan reads no config and writes none there`,
        "to change the config, point TITAN_CONFIG at a file (or unset it for the default)",
      );
    return { ...missingConfig(file), nullDevice: true };
  }
  // A config others can write could point titan, with this user's credentials, at their cluster.
  await checkPrivate(
    file,
    {
      what: "config file",
      kind: "file",
      elsewhere: "TITAN_CONFIG must name a file (or /dev/null for no config); unset it for the default",
    },
    uid,
  );
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return missingConfig(file);
    throw new TitanError(`cannot read config ${file} (${code ?? "unreadable"})`, {
      hint: "check the file's permissions, or point TITAN_CONFIG elsewhere",
    });
  }
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new TitanError(`config ${file} is larger than 1 MiB`, {
      hint: "a titan config is a few kilobytes",
    });
  }
  const parsed = parseConfigDocument(text);
  return { config: validateConfig(parsed, file, options), document: parsed.document, exists: true };
}

/** No config file: the built-in `local` context only. */
function missingConfig(file: string): LoadedConfig {
  // Made only for a command that writes the file: the others never load the YAML library.
  let document: Document | undefined;
  return {
    config: emptyConfig(file),
    get document() {
      document ??= parseConfigDocument("").document;
      return document;
    },
    exists: false,
  };
}

/**
 * Whether `file` is the null device: `TITAN_CONFIG=/dev/null` means no config, as `KUBECONFIG=/dev/null` and
 * `GIT_CONFIG_GLOBAL=/dev/null` do, and nothing may ever be written over it.
 */
async function isNullDevice(file: string): Promise<boolean> {
  const [info, nul] = await Promise.all([
    stat(file).catch(() => undefined),
    stat(devNull).catch(() => undefined),
  ]);
  return info !== undefined && nul !== undefined && info.isCharacterDevice() && info.rdev === nul.rdev;
}

export function emptyConfig(file: string): UserConfig {
  return { file, clusters: {}, regions: {}, contexts: {} };
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  report(node: Node | null | undefined, path: string, message: string, hint?: string): void {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    this.diagnostics.push({
      file: this.file,
      line,
      col,
      path,
      message,
      hint,
    });
  }

  /** The map's entries as [key, value node], reporting unknown keys with a did-you-mean hint. */
  entries(map: YAMLMap, path: string, known: readonly string[] | undefined): Array<[string, Node | null]> {
    const out: Array<[string, Node | null]> = [];
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : "";
      const child = join(path, key);
      if (!isScalar(keyNode) || typeof keyNode.value !== "string") {
        this.report(keyNode, child, "keys must be strings");
        continue;
      }
      if (known && !known.includes(key)) {
        const guess = didYouMean(key, known);
        this.report(
          keyNode,
          child,
          `unknown key "${key}"`,
          guess ? `did you mean "${guess}"?` : `known keys: ${known.join(", ")}`,
        );
        continue;
      }
      out.push([key, pair.value as Node | null]);
    }
    return out;
  }

  map(node: Node | null, path: string): YAMLMap | undefined {
    if (isMap(node)) return node;
    this.report(node, path, "expected a mapping");
    return undefined;
  }

  string(node: Node | null, path: string): string | undefined {
    if (isScalar(node) && typeof node.value === "string" && node.value !== "") return node.value;
    this.report(node, path, "expected a non-empty string");
    return undefined;
  }

  name(node: Node | null, path: string, what: string): string | undefined {
    const value = this.string(node, path);
    if (value !== undefined && !NAME.test(value)) {
      this.report(
        node,
        path,
        `"${value}" is not a valid ${what} name`,
        "use lowercase letters, digits, '.', '_' and '-'",
      );
      return undefined;
    }
    return value;
  }
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Checks a master URL: http or https, a host, no path beyond `/`. Returns an error message or undefined. */
export function masterUrlProblem(raw: string): string | undefined {
  if (raw.startsWith("zk://")) {
    const problem = zkMasterProblem(raw);
    // YAML splits `[zk://a:2181,b:2181/mesos]` at the comma.
    return problem?.endsWith("needs a base path")
      ? `${problem} (in a YAML [ ] list, quote a zk:// URL that names several hosts)`
      : problem;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${urlForMessage(raw)}" is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return `"${urlForMessage(raw)}" must use http or https`;
  if (url.username !== "" || url.password !== "") return "credentials do not belong in a master URL";
  if (url.pathname !== "/" && url.pathname !== "")
    return `"${url.origin}" must not have a path (${url.pathname})`;
  if (url.search !== "" || url.hash !== "")
    return `"${url.origin}" must not have a ${url.search !== "" ? "query" : "fragment"}`;
  return undefined;
}

/** A `zk://host:2181,host2:2181/path` URL: checked by the same parser the client uses. */
function zkMasterProblem(raw: string, what = "master"): string | undefined {
  try {
    parseZkUrl(raw, what);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function validateConfig(parsed: ParsedConfig, file: string, options: LoadOptions = {}): UserConfig {
  const { document, lineCounter: lines } = parsed;
  const check = new Checker(file, lines);
  check.diagnostics.push(...yamlErrors(parsed, file));
  yamlLibrary().visit(document, {
    Alias(_key, node) {
      check.report(node, "", "YAML aliases are not allowed in the titan config", "write the value out");
    },
  });
  if (check.diagnostics.length > 0) throw configError(check.diagnostics);

  const config: { -readonly [K in keyof UserConfig]: UserConfig[K] } = emptyConfig(file);
  const clusters: Record<string, ClusterConfig> = {};
  const regions: Record<string, string> = {};
  const contexts: Record<string, ContextConfig> = {};
  const root = document.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) return config;
  const top = check.map(root, "");
  if (!top) throw configError(check.diagnostics);

  const regionNodes: Array<[string, Node | null]> = [];
  const contextNodes: Array<[string, string, Node | null]> = [];
  let currentNode: Node | null = null;
  for (const [key, value] of check.entries(top, "", TOP_KEYS)) {
    if (key === "current_context") {
      currentNode = value;
      const name = check.string(value, key);
      if (name !== undefined) config.currentContext = name;
    } else if (key === "clusters") {
      const map = check.map(value, key);
      for (const [name, node] of map ? check.entries(map, key, undefined) : []) {
        const path = join(key, name);
        if (check.name(nameNode(map, name), path, "cluster") === undefined) continue;
        if (name === LOCAL) {
          const { message, hint } = builtinNameTaken("cluster");
          check.report(nameNode(map, name), path, message, hint);
          continue;
        }
        const cluster = parseCluster(check, node, path, name);
        if (cluster) clusters[name] = cluster;
      }
    } else if (key === "regions") {
      const map = check.map(value, key);
      for (const [name, node] of map ? check.entries(map, key, undefined) : []) {
        if (check.name(nameNode(map, name), join(key, name), "region") === undefined) continue;
        regionNodes.push([name, node]);
      }
    } else if (key === "contexts") {
      const map = check.map(value, key);
      for (const [name, node] of map ? check.entries(map, key, undefined) : []) {
        if (check.name(nameNode(map, name), join(key, name), "context") === undefined) continue;
        if (name === LOCAL) {
          const { message, hint } = builtinNameTaken("context");
          check.report(nameNode(map, name), join(key, name), message, hint);
          continue;
        }
        contextNodes.push([name, join(key, name), node]);
      }
    }
  }

  const knownClusters = ["local", ...Object.keys(clusters)];
  for (const [region, node] of regionNodes) {
    const cluster = check.string(node, join("regions", region));
    if (cluster === undefined) continue;
    if (!knownClusters.includes(cluster)) {
      const guess = didYouMean(cluster, knownClusters);
      check.report(
        node,
        join("regions", region),
        `cluster "${cluster}" is not defined`,
        guess ? `did you mean "${guess}"?` : "define it under clusters:",
      );
      continue;
    }
    regions[region] = cluster;
  }
  for (const [name, path, node] of contextNodes) {
    const map = check.map(node, path);
    if (!map) continue;
    const context: ContextConfig = { name, builtin: false };
    for (const [key, value] of check.entries(map, path, CONTEXT_KEYS)) {
      if (key === "regions") {
        context.regions = contextRegions(check, value, join(path, key), regions);
        continue;
      }
      const text = check.string(value, join(path, key));
      if (text === undefined) continue;
      if (key === "cluster") {
        if (!knownClusters.includes(text)) {
          const guess = didYouMean(text, knownClusters);
          check.report(
            value,
            join(path, key),
            `cluster "${text}" is not defined`,
            guess ? `did you mean "${guess}"?` : "define it under clusters:",
          );
        }
        context.cluster = text;
      } else {
        context.region = text;
      }
    }
    if (context.cluster === undefined && context.region === undefined && context.regions === undefined) {
      check.report(
        node,
        path,
        "a context names a cluster, a region or regions",
        "add `cluster: NAME`, `region: NAME` or `regions: [A, B]`",
      );
    }
    if (
      context.region !== undefined &&
      context.cluster === undefined &&
      regions[context.region] === undefined
    ) {
      check.report(
        node,
        join(path, "region"),
        `region "${context.region}" is not mapped to a cluster`,
        "add it under regions:, or give the context a cluster",
      );
    }
    contexts[name] = context;
  }
  if (
    config.currentContext !== undefined &&
    config.currentContext !== "local" &&
    !(config.currentContext in contexts)
  ) {
    if (options.forEdit) delete config.currentContext;
    else
      check.report(
        currentNode,
        "current_context",
        `context "${config.currentContext}" is not defined`,
        "switch with `titan context use local` (or another context), or define it with `titan config set-context`",
      );
  }
  if (check.diagnostics.length > 0) throw configError(check.diagnostics);
  config.clusters = clusters;
  config.regions = regions;
  config.contexts = contexts;
  return config;
}

/** A context's `regions: [us-east, eu-west]`: each one mapped to a cluster under the top-level `regions:`. */
function contextRegions(
  check: Checker,
  node: Node | null,
  path: string,
  mapped: Readonly<Record<string, string>>,
): string[] {
  const items = isSeq(node) ? (node.items as Array<Node | null>) : [node];
  const names: string[] = [];
  if (items.length === 0)
    check.report(
      node,
      path,
      "the list names no region",
      "name the regions it spans, e.g. [us-east, eu-west]",
    );
  items.forEach((item, i) => {
    const at = isSeq(node) ? `${path}[${i}]` : path;
    const region = check.string(item, at);
    if (region === undefined) return;
    if (mapped[region] === undefined) {
      const guess = didYouMean(region, Object.keys(mapped));
      check.report(
        item,
        at,
        `region "${region}" is not mapped to a cluster`,
        guess ? `did you mean "${guess}"?` : `map it: titan config set-region ${region} --cluster NAME`,
      );
    } else if (!names.includes(region)) names.push(region);
  });
  return names;
}

function nameNode(map: YAMLMap | undefined, name: string): Node | null {
  const pair = map?.items.find((item) => isScalar(item.key) && item.key.value === name);
  return (pair?.key as Node | undefined) ?? null;
}

function parseCluster(
  check: Checker,
  node: Node | null,
  path: string,
  name: string,
): ClusterConfig | undefined {
  const map = check.map(node, path);
  if (!map) return undefined;
  const before = check.diagnostics.length;
  const cluster: ClusterConfig = { name, masters: [], role: "*", builtin: false };
  for (const [key, value] of check.entries(map, path, CLUSTER_KEYS)) {
    const at = join(path, key);
    if (key === "masters") {
      const items = isSeq(value) ? (value.items as Array<Node | null>) : [value];
      const masters: string[] = [];
      items.forEach((item, i) => {
        const url = check.string(item, isSeq(value) ? `${at}[${i}]` : at);
        if (url === undefined) return;
        const problem = masterUrlProblem(url);
        if (problem)
          check.report(
            item,
            isSeq(value) ? `${at}[${i}]` : at,
            problem,
            "e.g. https://mesos-1.example.com:5050",
          );
        else masters.push(url.replace(/\/$/, ""));
      });
      cluster.masters = masters;
    } else if (key === "auth") {
      const auth = check.map(value, at);
      let principal: string | undefined;
      let secretRaw: string | undefined;
      let secretNode: Node | null = null;
      for (const [authKey, authValue] of auth ? check.entries(auth, at, AUTH_KEYS) : []) {
        if (authKey === "principal") principal = check.string(authValue, join(at, authKey));
        else {
          secretNode = authValue;
          secretRaw = check.string(authValue, join(at, authKey));
        }
      }
      if (auth && (principal === undefined || secretRaw === undefined)) {
        check.report(
          value,
          at,
          "auth needs a principal and a secret",
          'e.g. auth: { principal: titan, secret: "env:MESOS_SECRET" }',
        );
      } else if (principal !== undefined && secretRaw !== undefined) {
        const secret = parseSecretRef(secretRaw);
        if (typeof secret === "string")
          check.report(secretNode, join(at, "secret"), secret, 'write "env:NAME" or "file:/path"');
        else cluster.auth = { principal, secret };
      }
    } else if (key === "registry") {
      parseRegistry(check, value, at, cluster);
    } else if (key === "containerizer") {
      parseContainerizer(check, value, at, cluster);
    } else if (key === "secrets") {
      parseSecrets(check, value, at, cluster);
    } else if (key === "state") {
      const state = check.string(value, at);
      const problem = state === undefined ? undefined : stateUrlProblem(state);
      if (state !== undefined && problem !== undefined) {
        check.report(value, at, problem.message, problem.hint);
      } else if (state !== undefined) cluster.state = state;
    } else {
      const text = check.string(value, at);
      if (text === undefined) continue;
      if (key === "ca_file") cluster.caFile = text;
      else if (key === "user") {
        if (UNIX_USER.test(text)) cluster.user = text;
        else
          check.report(
            value,
            at,
            `"${text}" is not a Unix user name`,
            "name a user every agent has, e.g. nobody",
          );
      } else {
        const problem = mesosRoleProblem(text);
        if (problem === undefined) cluster.role = text;
        else check.report(value, at, `"${text}" is not a role a Mesos master accepts: ${problem}`, ROLE_HINT);
      }
    }
  }
  if (cluster.masters.length === 0 && check.diagnostics.length === before) {
    check.report(
      node,
      path,
      "a cluster needs at least one master URL",
      "add `masters: [https://mesos-1.example.com:5050]`",
    );
  }
  return check.diagnostics.length === before ? cluster : undefined;
}

function stateUrlProblem(state: string): { message: string; hint: string } | undefined {
  const hint = "use file:///path or zk://host:2181,host2:2181/titan";
  if (state.startsWith("zk://")) {
    const problem = zkMasterProblem(state, "state store");
    return problem === undefined ? undefined : { message: problem, hint };
  }
  if (!state.startsWith("file://"))
    return { message: `"${urlForMessage(state)}" is not a state store URL`, hint };
  const problem = fileStoreUrlProblem(state);
  return problem === undefined ? undefined : { message: problem, hint: FILE_STORE_HINT };
}

/** Whether a config text parses without a YAML error: how a re-indented line is judged. */
const CONFIG_JUDGE: RepairJudge = {
  parses: (text) => parseConfigDocument(text).document.errors.length === 0,
  problems: () => 0,
};

/**
 * The YAML errors of a config, as the manifest reader gives them: each that stands alone in words, then the first
 * structural one at the line that is off (a tab, a line indented out of step), never the cascade it causes.
 */
function yamlErrors(parsed: ParsedConfig, file: string): Diagnostic[] {
  const { document, lineCounter, text } = parsed;
  const problems = [...document.errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const out: Diagnostic[] = [];
  for (const problem of problems) {
    const standalone = STANDALONE_ERRORS.has(problem.code);
    const { offset, message, hint } = standalone
      ? {
          offset: problem.pos[0],
          ...explainYamlError(problem, text, "a titan config is one document: merge them"),
        }
      : firstStructuralError(problem, problems, text, CONFIG_JUDGE);
    const { line, col } = lineCounter.linePos(offset);
    out.push({ file, line, col, path: "", message, ...(hint === undefined ? {} : { hint }) });
    if (!standalone) break;
  }
  return out;
}

function configError(diagnostics: readonly Diagnostic[]): ValidationError {
  const n = diagnostics.length;
  return new ValidationError(
    diagnostics,
    `${n} error${n === 1 ? "" : "s"} in the titan config`,
    "fix the config file (TITAN_CONFIG or `titan config path`), or edit it with `titan config …`",
  );
}
