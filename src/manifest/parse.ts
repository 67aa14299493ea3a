/** From manifest texts to a validated Manifest: one app per file, or `apps:` with shared `defaults:`. */
import type { Diagnostic } from "../cli/errors.js";
import { ValidationError } from "../cli/errors.js";
import { didYouMean } from "../cli/suggest.js";
import type { RepairJudge } from "../cli/yaml-structure.js";
import type { Constraint } from "../placement/types.js";
import { fetchUri, toAppSpec } from "./build.js";
import { checkApp } from "./checks.js";
import { readsAgentDisk } from "./fetch-uri.js";
import { appShape, appType, type FetchEntry } from "./fields.js";
import type { Ctx } from "./kit.js";
import {
  describeKind,
  entryOf,
  joinPath,
  locate,
  type MapEntry,
  type MapNode,
  type PNode,
  type Pos,
} from "./node.js";
import type { AppSpec, Manifest } from "./types.js";
import { type ParsedYaml, parsesCleanly, parseYaml } from "./yaml.js";

export interface ManifestSource {
  /** How the file is named in messages: the path as the user gave it, or `-` for stdin. */
  file: string;
  text: string;
  /** The absolute directory of the file, for relative `fetch` paths; absent for stdin. */
  baseDir?: string;
}

const app = appType(checkApp);
/** Sections merged key by key from `defaults:`; every other key is taken whole when the app does not set it. */
const MERGED_SECTIONS = new Set(["env", "labels", "resources", "update", "restart"]);
const APPS_FILE_KEYS = ["apps", "defaults"];

interface Named {
  name: string;
  file: string;
  pos: Pos;
  path: string;
}

/**
 * How many problems a re-indented text that parses would have as a manifest (see yaml-structure.ts). It parses,
 * so validating it never tries re-indenting again.
 */
function problemsLeft(source: ManifestSource): number {
  try {
    parseManifests([source]);
    return 0;
  } catch (error) {
    if (error instanceof ValidationError) return error.diagnostics.length;
    throw error;
  }
}

/**
 * Validates every source and returns all apps, or throws one ValidationError listing every problem. `readYaml` is
 * how each text becomes a tree (the benchmark compares the YAML library's parse with the default).
 */
export function parseManifests(
  sources: readonly ManifestSource[],
  readYaml: (file: string, text: string, judge: RepairJudge) => ParsedYaml = parseYaml,
): Manifest {
  const diagnostics: Diagnostic[][] = [];
  const warnings: Diagnostic[] = [];
  const apps: AppSpec[] = [];
  const names: Named[] = [];
  for (const source of sources) {
    const found: Diagnostic[] = [];
    diagnostics.push(found);
    const ctx = collector(source.file, found);
    const parsed = readYaml(source.file, source.text, {
      parses: parsesCleanly,
      problems: (text) => problemsLeft({ ...source, text }),
    });
    found.push(...parsed.diagnostics);
    if (!parsed.root) continue;
    for (const { node, path } of appNodes(parsed.root, ctx)) {
      const name = entryOf(node, "name")?.value;
      if (name?.kind === "scalar" && typeof name.value === "string") {
        names.push({ name: name.value, file: source.file, pos: name.pos, path: joinPath(path, "name") });
      }
      const fields = app.read(node, path, ctx);
      if (!fields) continue;
      checkFetch(fields.fetch, node, path, source, ctx, collector(source.file, warnings));
      checkHostnameSpelling(fields.constraints, node, path, collector(source.file, warnings));
      apps.push(
        toAppSpec(
          fields,
          { file: source.file, line: node.pos.line, col: node.pos.col, path },
          source.baseDir,
        ),
      );
    }
  }
  const duplicates = duplicateNames(names);
  const all = [...diagnostics.flatMap((list) => sortByPosition(dedupe(list))), ...duplicates];
  if (all.length > 0) throw new ValidationError(all);
  return { apps, files: sources.map((s) => s.file), warnings: dedupe(warnings) };
}

/** What the field types cannot see alone: the base directory. */
function checkFetch(
  entries: readonly FetchEntry[],
  node: MapNode,
  path: string,
  source: ManifestSource,
  ctx: Ctx,
  warn: Ctx,
): void {
  entries.forEach((entry, i) => {
    const where = locate(node, path, ["fetch", i]);
    if (fetchUri(entry.uri, source.baseDir) === undefined) {
      ctx.report(
        where.pos,
        where.path,
        `relative fetch path "${entry.uri}" needs a manifest file to be relative to`,
        "use an absolute path or a URL when the manifest comes from stdin",
      );
    }
    if (readsAgentDisk(entry.uri)) {
      warn.report(
        where.pos,
        where.path,
        `"${entry.uri}" is read from each agent's own disk, not from this machine`,
        "that works for paths every agent has; to ship a file, serve it over https:// or use a path next to the manifest with the local cluster",
      );
    }
  });
}

/** The YAML key each kind of constraint names its attribute under. */
const ATTRIBUTE_KEY: Record<Constraint["kind"], string> = {
  unique: "unique",
  balance: "balance",
  attribute: "attribute",
  max_per: "max_per",
};

/**
 * Any attribute name is valid (agents carry what their operators give them), but one a letter away from
 * `hostname`, the attribute every agent has, is almost always that misspelt: a warning, as the enums' errors say.
 */
function checkHostnameSpelling(
  constraints: readonly Constraint[],
  node: MapNode,
  path: string,
  warn: Ctx,
): void {
  constraints.forEach((constraint, i) => {
    const name = constraint.attribute;
    if (name === "hostname" || didYouMean(name, ["hostname"]) === undefined) return;
    const where = locate(node, path, ["constraints", i, ATTRIBUTE_KEY[constraint.kind]]);
    warn.report(
      where.pos,
      where.path,
      `no agent carries \`${name}\` unless its operator gave it that attribute`,
      "did you mean `hostname`, which every agent has?",
    );
  });
}

function collector(file: string, into: Diagnostic[]): Ctx {
  return {
    report(pos, path, message, hint) {
      into.push({
        file,
        line: pos.line,
        col: pos.col,
        path,
        message,
        ...(hint === undefined ? {} : { hint }),
      });
    },
    get count() {
      return into.length;
    },
  };
}

function appNodes(root: PNode, ctx: Ctx): Array<{ node: MapNode; path: string }> {
  if (root.kind !== "map") {
    ctx.report(
      root.pos,
      "",
      `the top level must be a mapping (an app's fields, or \`apps:\`), got ${describeKind(root)}`,
      root.kind === "seq"
        ? "for several apps, write `apps:` and indent the list under it"
        : "start with `name: my-app`",
    );
    return [];
  }
  const appsEntry = entryOf(root, "apps");
  if (!appsEntry) return [{ node: root, path: "" }];

  for (const entry of root.entries) {
    if (APPS_FILE_KEYS.includes(entry.key)) continue;
    const near = didYouMean(entry.key, APPS_FILE_KEYS);
    ctx.report(
      entry.keyPos,
      joinPath("", entry.key),
      `unknown key \`${entry.key}\` beside \`apps\``,
      Object.hasOwn(appShape, entry.key)
        ? "in a file with `apps:`, app fields go inside each app, or under `defaults:` for all of them"
        : near
          ? `did you mean \`${near}\`?`
          : "a file with `apps:` holds only `apps` and `defaults`",
    );
  }
  const defaults = readDefaults(root, ctx);
  const list = appsEntry.value;
  if (list.kind !== "seq") {
    ctx.report(
      list.pos,
      "apps",
      `expected a list of apps, got ${describeKind(list)}`,
      "write each app as `- name: ...`",
    );
    return [];
  }
  if (list.items.length === 0) {
    ctx.report(list.pos, "apps", "apps is empty", "add at least one app: `- name: my-app`");
    return [];
  }
  const nodes: Array<{ node: MapNode; path: string }> = [];
  list.items.forEach((item, i) => {
    const path = joinPath("apps", i);
    if (item.kind !== "map") {
      ctx.report(
        item.pos,
        path,
        `expected an app (a mapping), got ${describeKind(item)}`,
        "write each app as `- name: ...`",
      );
      return;
    }
    nodes.push({ node: defaults ? withDefaults(defaults, item) : item, path });
  });
  return nodes;
}

function readDefaults(root: MapNode, ctx: Ctx): MapNode | undefined {
  const entry = entryOf(root, "defaults");
  if (!entry) return undefined;
  if (entry.value.kind !== "map") {
    ctx.report(
      entry.value.pos,
      "defaults",
      `expected a mapping of app fields, got ${describeKind(entry.value)}`,
    );
    return undefined;
  }
  const name = entryOf(entry.value, "name");
  if (name) {
    ctx.report(name.keyPos, "defaults.name", "defaults cannot set `name`", "give each app its own name");
  }
  return entry.value;
}

/** The app with every key it does not set taken from `defaults:`; diagnostics in those point at the defaults. */
function withDefaults(defaults: MapNode, appNode: MapNode): MapNode {
  const entries: MapEntry[] = [...appNode.entries];
  for (const fallback of defaults.entries) {
    if (fallback.key === "name") continue;
    const origin = joinPath("defaults", fallback.key);
    const index = entries.findIndex((e) => e.key === fallback.key);
    const own = entries[index];
    if (!own) {
      entries.push({ ...fallback, origin });
    } else if (
      MERGED_SECTIONS.has(fallback.key) &&
      own.value.kind === "map" &&
      fallback.value.kind === "map"
    ) {
      const inner: MapEntry[] = [...own.value.entries];
      for (const f of fallback.value.entries) {
        if (!inner.some((e) => e.key === f.key)) inner.push({ ...f, origin: joinPath(origin, f.key) });
      }
      entries[index] = { ...own, value: { kind: "map", entries: inner, pos: own.value.pos } };
    }
  }
  return { kind: "map", entries, pos: appNode.pos };
}

function duplicateNames(names: readonly Named[]): Diagnostic[] {
  const first = new Map<string, Named>();
  const out: Diagnostic[] = [];
  for (const n of names) {
    const earlier = first.get(n.name);
    if (!earlier) {
      first.set(n.name, n);
      continue;
    }
    out.push({
      file: n.file,
      line: n.pos.line,
      col: n.pos.col,
      path: n.path,
      message: `app name \`${n.name}\` is already used at ${earlier.file}:${earlier.pos.line}:${earlier.pos.col} (${earlier.path})`,
      hint: "app names must be unique across all loaded manifests; rename one of them",
    });
  }
  return out;
}

/** Settings shared through `defaults:` are checked once per app; report each problem once. */
function dedupe(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.line}:${d.col}:${d.path}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortByPosition(list: Diagnostic[]): Diagnostic[] {
  return list.sort((a, b) => a.line - b.line || a.col - b.col);
}
