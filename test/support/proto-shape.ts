/**
 * Shape checks for Mesos v1 JSON against the real `.proto` files in fixtures/mesos/proto.
 *
 * The rules are those of Mesos' own JSON <-> protobuf converter (not proto3 canonical JSON):
 *   - keys are the exact snake_case field names; a key the proto does not have is a violation
 *     (the real master silently drops it, which is almost always a bug in the sender);
 *   - messages are objects, repeated fields are arrays, map fields are objects of values;
 *   - enums are their value names as strings and must be values of that enum;
 *   - bool is a JSON boolean, string a JSON string, bytes a padded standard base64 string;
 *   - 32-bit integers are JSON integers in range; int64/uint64 (and the other 64-bit kinds) may be
 *     integers or decimal strings; double/float are numbers, numeric strings, "Infinity" or "-Infinity";
 *   - null means "unset"; every `required` field must be set; at most one member of a oneof is set.
 *
 * API:
 *   checkShape(json, "mesos.v1.scheduler.Call")  -> string[]  violations as "$.path: problem", [] when clean.
 *   loadProtoSchema(root?, entryFiles?)           -> ProtoSchema  all messages/enums by full name (cached).
 *   parseProtoFile(source, fileName)              -> ParsedProtoFile  one parsed .proto (package, imports, types).
 * Message types are full names: "mesos.v1.scheduler.Event", "mesos.v1.master.Response", "mesos.v1.TaskInfo".
 * Imports are followed relative to the proto root; google/protobuf/duration.proto is built in.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type FieldLabel = "optional" | "required" | "repeated";

export interface ProtoField {
  readonly name: string;
  readonly number: number;
  readonly label: FieldLabel;
  /** Scalar name, or the type name as written in the .proto (resolved lazily against `scope`). */
  readonly type: string;
  /** Set for `map<K, V>` fields: `type` is then V. */
  readonly mapKey?: string;
  readonly oneof?: string;
  readonly deprecated: boolean;
  readonly defaultValue?: string;
  /** Full name of the message that declares the field: the starting scope for type resolution. */
  readonly scope: string;
}

export interface ProtoMessage {
  readonly fullName: string;
  readonly fields: ReadonlyMap<string, ProtoField>;
}

export interface ProtoEnum {
  readonly fullName: string;
  readonly values: ReadonlySet<string>;
}

export interface ParsedProtoFile {
  readonly fileName: string;
  readonly packageName: string;
  readonly imports: readonly string[];
  readonly messages: readonly ProtoMessage[];
  readonly enums: readonly ProtoEnum[];
}

export interface ProtoSchema {
  readonly messages: ReadonlyMap<string, ProtoMessage>;
  readonly enums: ReadonlyMap<string, ProtoEnum>;
  /** Resolves a type name written inside `scope` to a full message/enum name, or a scalar name. */
  resolve(typeName: string, scope: string): string;
}

const SCALARS = new Set([
  "double",
  "float",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "bool",
  "string",
  "bytes",
]);

const INT64_KINDS = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const UNSIGNED_KINDS = new Set(["uint32", "uint64", "fixed32", "fixed64"]);

const DURATION_PROTO = `syntax = "proto3"; package google.protobuf;
message Duration { int64 seconds = 1; int32 nanos = 2; }`;

// ---------------------------------------------------------------------------------------------------------
// Tokenizer and parser

function tokenize(source: string, fileName: string): string[] {
  const tokens: string[] = [];
  const pattern =
    /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_][\w.]*|\.[A-Za-z_][\w.]*|-?[0-9][\w.+-]*|[{}=;<>,[\]()-]/y;
  let index = 0;
  while (index < source.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(source);
    if (match === null)
      throw new Error(`${fileName}: cannot tokenize near ${JSON.stringify(source.slice(index, index + 20))}`);
    const text = match[0];
    index += text.length;
    if (/^\s/.test(text) || text.startsWith("//") || text.startsWith("/*")) continue;
    tokens.push(text);
  }
  return tokens;
}

class ProtoParser {
  private position = 0;
  private packageName = "";
  private readonly imports: string[] = [];
  private readonly messages: ProtoMessage[] = [];
  private readonly enums: ProtoEnum[] = [];

  constructor(
    private readonly tokens: readonly string[],
    private readonly fileName: string,
  ) {}

  parse(): ParsedProtoFile {
    while (!this.atEnd()) {
      const token = this.next();
      switch (token) {
        case "syntax":
        case "option":
          this.skipStatement();
          break;
        case "package":
          this.packageName = this.next();
          this.expect(";");
          break;
        case "import": {
          let path = this.next();
          if (path === "public" || path === "weak") path = this.next();
          this.imports.push(unquote(path));
          this.expect(";");
          break;
        }
        case "message":
          this.parseMessage(this.packageName);
          break;
        case "enum":
          this.parseEnum(this.packageName);
          break;
        case "extend":
        case "service":
          this.next();
          this.skipBlock();
          break;
        case ";":
          break;
        default:
          this.fail(`unexpected ${token}`);
      }
    }
    return {
      fileName: this.fileName,
      packageName: this.packageName,
      imports: this.imports,
      messages: this.messages,
      enums: this.enums,
    };
  }

  private parseMessage(parentScope: string): void {
    const fullName = qualify(parentScope, this.next());
    const fields = new Map<string, ProtoField>();
    this.messages.push({ fullName, fields });
    this.expect("{");
    this.parseMessageBody(fullName, fields, undefined);
  }

  /** Reads declarations up to and including the closing brace of a message or oneof body. */
  private parseMessageBody(scope: string, fields: Map<string, ProtoField>, oneof: string | undefined): void {
    for (;;) {
      const token = this.next();
      switch (token) {
        case "}":
          return;
        case ";":
          break;
        case "message":
          this.parseMessage(scope);
          break;
        case "enum":
          this.parseEnum(scope);
          break;
        case "oneof": {
          const name = this.next();
          this.expect("{");
          this.parseMessageBody(scope, fields, name);
          break;
        }
        case "option":
        case "reserved":
        case "extensions":
          this.skipStatement();
          break;
        case "extend":
          this.next();
          this.skipBlock();
          break;
        default:
          this.parseField(token, scope, fields, oneof);
      }
    }
  }

  private parseField(
    first: string,
    scope: string,
    fields: Map<string, ProtoField>,
    oneof: string | undefined,
  ): void {
    let label: FieldLabel = "optional";
    let typeToken = first;
    if (first === "optional" || first === "required" || first === "repeated") {
      label = first;
      typeToken = this.next();
    }
    let mapKey: string | undefined;
    let type = typeToken;
    if (typeToken === "map") {
      this.expect("<");
      mapKey = this.next();
      this.expect(",");
      type = this.next();
      this.expect(">");
    }
    const name = this.next();
    this.expect("=");
    const number = Number(this.next());
    let deprecated = false;
    let defaultValue: string | undefined;
    if (this.peek() === "[") {
      this.next();
      for (;;) {
        const option = this.next();
        if (option === "]") break;
        if (option === ",") continue;
        this.expect("=");
        let value = this.next();
        if (value === "-") value = `-${this.next()}`;
        if (option === "deprecated") deprecated = value === "true";
        if (option === "default") defaultValue = unquote(value);
      }
    }
    this.expect(";");
    fields.set(name, {
      name,
      number,
      label,
      type,
      scope,
      deprecated,
      ...(mapKey === undefined ? {} : { mapKey }),
      ...(oneof === undefined ? {} : { oneof }),
      ...(defaultValue === undefined ? {} : { defaultValue }),
    });
  }

  private parseEnum(parentScope: string): void {
    const fullName = qualify(parentScope, this.next());
    const values = new Set<string>();
    this.expect("{");
    for (;;) {
      const token = this.next();
      if (token === "}") break;
      if (token === ";") continue;
      if (token === "option" || token === "reserved") {
        this.skipStatement();
        continue;
      }
      values.add(token);
      this.skipStatement();
    }
    this.enums.push({ fullName, values });
  }

  private skipStatement(): void {
    let depth = 0;
    for (;;) {
      const token = this.next();
      if (token === "[" || token === "{") depth += 1;
      else if (token === "]" || token === "}") depth -= 1;
      else if (token === ";" && depth === 0) return;
    }
  }

  private skipBlock(): void {
    this.expect("{");
    let depth = 1;
    while (depth > 0) {
      const token = this.next();
      if (token === "{") depth += 1;
      else if (token === "}") depth -= 1;
    }
  }

  private atEnd(): boolean {
    return this.position >= this.tokens.length;
  }

  private peek(): string | undefined {
    return this.tokens[this.position];
  }

  private next(): string {
    const token = this.tokens[this.position];
    if (token === undefined) this.fail("unexpected end of file");
    this.position += 1;
    return token;
  }

  private expect(token: string): void {
    const actual = this.next();
    if (actual !== token) this.fail(`expected ${token}, got ${actual}`);
  }

  private fail(message: string): never {
    throw new Error(`${this.fileName}: ${message} (token ${this.position})`);
  }
}

function qualify(scope: string, name: string): string {
  return scope === "" ? name : `${scope}.${name}`;
}

function unquote(token: string): string {
  return /^["']/.test(token) ? token.slice(1, -1) : token;
}

export function parseProtoFile(source: string, fileName: string): ParsedProtoFile {
  return new ProtoParser(tokenize(source, fileName), fileName).parse();
}

// ---------------------------------------------------------------------------------------------------------
// Schema

export const DEFAULT_PROTO_ROOT = fileURLToPath(new URL("../../fixtures/mesos/proto/", import.meta.url));

const ENTRY_FILES = [
  "mesos/v1/mesos.proto",
  "mesos/v1/scheduler/scheduler.proto",
  "mesos/v1/master/master.proto",
  "mesos/v1/agent/agent.proto",
];

const schemaCache = new Map<string, ProtoSchema>();

export function loadProtoSchema(
  root: string = DEFAULT_PROTO_ROOT,
  entryFiles: readonly string[] = ENTRY_FILES,
): ProtoSchema {
  const cacheKey = `${root}\0${entryFiles.join("\0")}`;
  const cached = schemaCache.get(cacheKey);
  if (cached) return cached;
  const messages = new Map<string, ProtoMessage>();
  const enums = new Map<string, ProtoEnum>();
  const loaded = new Set<string>();
  const load = (file: string): void => {
    if (loaded.has(file)) return;
    loaded.add(file);
    const source =
      file === "google/protobuf/duration.proto" ? DURATION_PROTO : readFileSync(join(root, file), "utf8");
    const parsed = parseProtoFile(source, file);
    for (const message of parsed.messages) messages.set(message.fullName, message);
    for (const protoEnum of parsed.enums) enums.set(protoEnum.fullName, protoEnum);
    for (const imported of parsed.imports) load(imported);
  };
  for (const file of entryFiles) load(file);

  const resolve = (typeName: string, scope: string): string => {
    if (SCALARS.has(typeName)) return typeName;
    if (typeName.startsWith(".")) {
      const absolute = typeName.slice(1);
      if (messages.has(absolute) || enums.has(absolute)) return absolute;
      throw new Error(`unknown type ${typeName}`);
    }
    const parts = scope.split(".");
    while (parts.length > 0) {
      const candidate = `${parts.join(".")}.${typeName}`;
      if (messages.has(candidate) || enums.has(candidate)) return candidate;
      parts.pop();
    }
    if (messages.has(typeName) || enums.has(typeName)) return typeName;
    throw new Error(`cannot resolve type ${typeName} in ${scope}`);
  };

  const schema: ProtoSchema = { messages, enums, resolve };
  schemaCache.set(cacheKey, schema);
  return schema;
}

// ---------------------------------------------------------------------------------------------------------
// Checking

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

class ShapeChecker {
  readonly violations: string[] = [];

  constructor(private readonly schema: ProtoSchema) {}

  checkMessage(fullName: string, value: unknown, path: string): void {
    const message = this.schema.messages.get(fullName);
    if (!message) throw new Error(`unknown message type ${fullName}`);
    if (!isPlainObject(value)) {
      this.report(path, `expected an object (${fullName}), got ${kindOf(value)}`);
      return;
    }
    const oneofsSeen = new Map<string, string>();
    for (const [key, fieldValue] of Object.entries(value)) {
      const field = message.fields.get(key);
      const fieldPath = `${path}.${key}`;
      if (!field) {
        this.report(fieldPath, `unknown key "${key}" in ${fullName} (Mesos silently drops it)`);
        continue;
      }
      if (fieldValue === null) continue;
      if (field.oneof !== undefined) {
        const other = oneofsSeen.get(field.oneof);
        if (other !== undefined) this.report(fieldPath, `oneof ${field.oneof} already set by "${other}"`);
        else oneofsSeen.set(field.oneof, key);
      }
      this.checkField(field, fieldValue, fieldPath);
    }
    for (const field of message.fields.values()) {
      if (field.label === "required" && (value[field.name] === undefined || value[field.name] === null)) {
        this.report(`${path}.${field.name}`, `required field missing in ${fullName}`);
      }
    }
  }

  private checkField(field: ProtoField, value: unknown, path: string): void {
    const type = this.schema.resolve(field.type, field.scope);
    if (field.mapKey !== undefined) {
      if (!isPlainObject(value)) {
        this.report(path, `map field must be an object, got ${kindOf(value)}`);
        return;
      }
      for (const [key, entry] of Object.entries(value))
        this.checkSingle(type, entry, `${path}[${JSON.stringify(key)}]`);
      return;
    }
    if (field.label === "repeated") {
      if (!Array.isArray(value)) {
        this.report(path, `repeated field must be an array, got ${kindOf(value)}`);
        return;
      }
      value.forEach((entry, index) => {
        this.checkSingle(type, entry, `${path}[${index}]`);
      });
      return;
    }
    if (Array.isArray(value)) {
      this.report(path, "singular field must not be an array");
      return;
    }
    this.checkSingle(type, value, path);
  }

  checkSingle(type: string, value: unknown, path: string): void {
    if (value === null) return;
    if (this.schema.messages.has(type)) {
      this.checkMessage(type, value, path);
      return;
    }
    const protoEnum = this.schema.enums.get(type);
    if (protoEnum) {
      if (typeof value !== "string")
        this.report(path, `enum ${type} must be a string name, got ${kindOf(value)}`);
      else if (!protoEnum.values.has(value)) this.report(path, `"${value}" is not a value of enum ${type}`);
      return;
    }
    this.checkScalar(type, value, path);
  }

  private checkScalar(type: string, value: unknown, path: string): void {
    switch (type) {
      case "bool":
        if (typeof value !== "boolean") this.report(path, `expected a boolean, got ${kindOf(value)}`);
        return;
      case "string":
        if (typeof value !== "string") this.report(path, `expected a string, got ${kindOf(value)}`);
        return;
      case "bytes":
        if (typeof value !== "string") this.report(path, `expected a base64 string, got ${kindOf(value)}`);
        else if (!BASE64.test(value))
          this.report(path, `not padded standard base64: ${JSON.stringify(value)}`);
        return;
      case "double":
      case "float":
        if (typeof value === "number") return;
        if (typeof value === "string" && /^(?:-?Infinity|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$/.test(value))
          return;
        this.report(path, `expected a number, got ${kindOf(value)}`);
        return;
      default:
        this.checkInteger(type, value, path);
    }
  }

  private checkInteger(type: string, value: unknown, path: string): void {
    const wide = INT64_KINDS.has(type);
    const unsigned = UNSIGNED_KINDS.has(type);
    let asBig: bigint;
    if (typeof value === "number") {
      if (!Number.isInteger(value)) {
        this.report(path, `expected an integer (${type}), got ${value}`);
        return;
      }
      asBig = BigInt(value);
    } else if (typeof value === "string" && wide && /^-?\d+$/.test(value)) {
      asBig = BigInt(value);
    } else {
      this.report(
        path,
        `expected ${wide ? "an integer or a decimal string" : "an integer"} (${type}), got ${kindOf(value)}`,
      );
      return;
    }
    const bits = wide ? 64n : 32n;
    const min = unsigned ? 0n : -(1n << (bits - 1n));
    const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
    if (asBig < min || asBig > max) this.report(path, `${String(value)} is out of range for ${type}`);
  }

  private report(path: string, problem: string): void {
    this.violations.push(`${path}: ${problem}`);
  }
}

/** Violations of `json` against the message `messageType` (full name); empty when the value is clean. */
export function checkShape(
  json: unknown,
  messageType: string,
  schema: ProtoSchema = loadProtoSchema(),
): string[] {
  if (!schema.messages.has(messageType)) throw new Error(`unknown message type ${messageType}`);
  const checker = new ShapeChecker(schema);
  checker.checkMessage(messageType, json, "$");
  return checker.violations;
}
