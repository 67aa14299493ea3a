import type { LineCounter, Node as YamlNode } from "yaml";
import type { Diagnostic } from "../cli/errors.js";
import { describeCharacter } from "../cli/terminal-text.js";
import { yamlLibrary } from "../cli/yaml-library.js";
import {
  explainYamlError,
  firstStructuralError,
  type RepairJudge,
  STANDALONE_ERRORS,
} from "../cli/yaml-structure.js";
import type { MapEntry, PNode, Pos } from "./node.js";
import { readSimpleYaml } from "./yaml-fast.js";

/** Manifests are small; anything bigger is a mistake or an attack, refused before the parser sees it. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Deeper than any manifest needs; refused without recursing further. */
export const MAX_DEPTH = 32;
/**
 * Unclosed `[`/`{` counted before parsing: the parser itself copes with deep nesting only up to a point, so
 * pathological flow nesting is refused by a linear scan first.
 */
const MAX_FLOW_BRACKETS = 100;

const PARSE_OPTIONS = {
  version: "1.2",
  schema: "core",
  merge: false,
  resolveKnownTags: false,
  uniqueKeys: true,
  strict: true,
  stringKeys: true,
  prettyErrors: false,
} as const;

/** Whether a text parses without a YAML error or warning. */
export function parsesCleanly(text: string): boolean {
  const doc = yamlLibrary().parseDocument(text, PARSE_OPTIONS);
  return doc.errors.length === 0 && doc.warnings.length === 0;
}

/** What a manifest of several YAML documents should be instead. */
const SEVERAL_DOCUMENTS = "list several apps under `apps:` in one document, or pass each file with -f";

const DEFAULT_JUDGE: RepairJudge = { parses: parsesCleanly, problems: () => 0 };

export interface ParsedYaml {
  root: PNode | undefined;
  diagnostics: Diagnostic[];
}

/**
 * Parses one manifest text with the YAML 1.2 core schema and every dangerous feature refused: no aliases or
 * anchors, no merge keys, no tags, no duplicate keys, one document, a size cap and a depth cap.
 */
/** `judge` tells, for a text with a line re-indented, whether it parses and how many problems it leaves. */
export function parseYaml(file: string, text: string, judge: RepairJudge = DEFAULT_JUDGE): ParsedYaml {
  const refused = refuseBeforeParsing(file, text);
  if (refused) return refused;
  const simple = readSimpleYaml(text, MAX_DEPTH);
  if (simple) return { root: simple, diagnostics: [] };
  // The fast reader gives up past MAX_DEPTH on its own; only the library needs runaway nesting refused first.
  return refuseDeepFlow(file, text) ?? parseWithLibrary(file, text, judge);
}

function reporter(file: string, diagnostics: Diagnostic[]): Report {
  return (pos, message, hint) =>
    diagnostics.push({ file, line: pos.line, col: pos.col, path: "", message, ...(hint ? { hint } : {}) });
}

/** Size and raw control characters: refused before any parser runs. */
function refuseBeforeParsing(file: string, text: string): ParsedYaml | undefined {
  const diagnostics: Diagnostic[] = [];
  const report = reporter(file, diagnostics);
  const start = { line: 1, col: 1 };

  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_MANIFEST_BYTES) {
    report(start, `the file is ${bytes} bytes; manifests are limited to 1 MiB (${MAX_MANIFEST_BYTES} bytes)`);
    return { root: undefined, diagnostics };
  }
  const control = rawControlCharacter(text);
  if (control !== undefined) {
    const more = control.count > 1 ? ` (and ${control.count - 1} more)` : "";
    report(
      posAt(text, control.index),
      `the file contains the raw control character ${describeCharacter(control.code)}${more}`,
      "manifests are plain text: remove it (tab and newline are the only control characters allowed)",
    );
    return { root: undefined, diagnostics };
  }
  return undefined;
}

/** Runaway flow nesting, refused by a linear scan before the library parses the text. */
function refuseDeepFlow(file: string, text: string): ParsedYaml | undefined {
  const tooDeep = flowBracketOverflow(text);
  if (tooDeep === undefined) return undefined;
  const diagnostics: Diagnostic[] = [];
  reporter(file, diagnostics)(
    posAt(text, tooDeep),
    `nesting deeper than ${MAX_FLOW_BRACKETS} levels`,
    "flatten the structure",
  );
  return { root: undefined, diagnostics };
}

/**
 * The YAML library's parse, with positions: what every text the fast reader gives up on goes through, so every
 * diagnostic of a broken file comes from here.
 */
export function parseWithLibrary(file: string, text: string, judge: RepairJudge = DEFAULT_JUDGE): ParsedYaml {
  const diagnostics: Diagnostic[] = [];
  const report = reporter(file, diagnostics);
  const start = { line: 1, col: 1 };
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter });
  const problems = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  if (problems.length > 0) {
    for (const problem of problems) {
      if (!STANDALONE_ERRORS.has(problem.code)) {
        // The parser's later complaints follow from this one: report it once, where the text is off.
        const first = firstStructuralError(problem, problems, text, judge);
        report(posAt(text, first.offset), first.message, first.hint);
        break;
      }
      const { message, hint } = explainYamlError(problem, text, SEVERAL_DOCUMENTS);
      report(toPos(lineCounter, problem.pos[0]), message, hint);
    }
    return { root: undefined, diagnostics };
  }
  const version = doc.directives?.yaml;
  if (version?.explicit && version.version !== "1.2") {
    report(
      start,
      `\`%YAML ${version.version}\` is not supported: titan reads YAML 1.2`,
      "remove the %YAML line",
    );
    return { root: undefined, diagnostics };
  }
  if (doc.contents === null) {
    report(start, "the file is empty", "start from `titan init`, or see `titan schema` for the fields");
    return { root: undefined, diagnostics };
  }
  const root = convert(doc.contents, 0, lineCounter, report);
  return { root: diagnostics.length === 0 ? root : undefined, diagnostics };
}

function toPos(lineCounter: LineCounter, offset: number): Pos {
  const { line, col } = lineCounter.linePos(offset);
  return { line, col };
}

function posAt(text: string, offset: number): Pos {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, col: offset - lineStart + 1 };
}

/** C0 but tab, newline and carriage return; DEL; C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it looks for.
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Raw control characters other than tab, newline and carriage return (YAML 1.2 allows none of them). */
function rawControlCharacter(text: string): { index: number; code: number; count: number } | undefined {
  // One native scan for the usual file without any; the loop below finds, counts and names them.
  if (!RAW_CONTROL.test(text)) return undefined;
  let first: { index: number; code: number } | undefined;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f) continue;
    const control =
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f);
    if (!control) continue;
    first ??= { index: i, code };
    count++;
  }
  return first === undefined ? undefined : { ...first, count };
}

function flowBracketOverflow(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5b || ch === 0x7b) {
      depth++;
      if (depth > MAX_FLOW_BRACKETS) return i;
    } else if ((ch === 0x5d || ch === 0x7d) && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

type Report = (pos: Pos, message: string, hint?: string) => void;

function convert(node: unknown, depth: number, lc: LineCounter, report: Report): PNode {
  const { isAlias, isMap, isScalar, isSeq } = yamlLibrary();
  const pos = toPos(lc, rangeStart(node));
  const empty: PNode = { kind: "scalar", value: null, text: "", pos };
  if (depth > MAX_DEPTH) {
    report(pos, `nesting deeper than ${MAX_DEPTH} levels`, "flatten the structure");
    return empty;
  }
  if (isAlias(node)) {
    report(
      pos,
      `aliases (*${node.source}) are not supported`,
      "repeat the value, or share settings between apps with `defaults:`",
    );
    return empty;
  }
  if (!isMap(node) && !isSeq(node) && !isScalar(node)) {
    return empty;
  }
  const yamlNode: YamlNode = node;
  if (yamlNode.anchor) {
    report(
      pos,
      `anchors (&${yamlNode.anchor}) are not supported`,
      "repeat the value, or share settings between apps with `defaults:`",
    );
  }
  if (yamlNode.tag) {
    report(pos, "YAML tags are not supported", "remove the `!tag`; quote the value if it must be text");
  }
  if (isScalar(node)) {
    const value = node.value;
    const scalar =
      typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : null;
    const text = node.source ?? (scalar === null ? "" : String(scalar));
    return { kind: "scalar", value: scalar, text, pos };
  }
  if (isSeq(node)) {
    return { kind: "seq", items: node.items.map((item) => convert(item, depth + 1, lc, report)), pos };
  }
  const entries: MapEntry[] = [];
  for (const pair of node.items) {
    const keyNode = pair.key;
    const keyPos = toPos(lc, rangeStart(keyNode));
    const key = isScalar(keyNode) ? String(keyNode.source ?? keyNode.value) : "";
    if (key === "<<") {
      report(
        keyPos,
        "merge keys (<<) are not supported",
        "share settings between apps with `defaults:` in an `apps:` file",
      );
      continue;
    }
    const value =
      pair.value === null
        ? { kind: "scalar" as const, value: null, text: "", pos: keyPos }
        : convert(pair.value, depth + 1, lc, report);
    entries.push({ key, keyPos, value });
  }
  return { kind: "map", entries, pos };
}

function rangeStart(node: unknown): number {
  const { isAlias, isMap, isScalar, isSeq } = yamlLibrary();
  if (isAlias(node) || isMap(node) || isSeq(node) || isScalar(node)) return node.range?.[0] ?? 0;
  return 0;
}
