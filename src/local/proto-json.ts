import { isObject, type JsonObject, parseJson } from "./json.js";

/**
 * JSON read into a proto2 message as a Mesos master reads a call body (3rdparty/stout/include/stout/protobuf.hpp,
 * `protobuf::parse`), so that titan local keeps exactly what a real master keeps:
 * - keys the message does not have are dropped, and `null` is unset;
 * - a field's JSON type must suit it ("Not expecting a JSON number for field 'value'"), except that a string may
 *   hold a number or a boolean (`"8080"`, `"Infinity"`, `"true"`) and a repeated field may hold a single value;
 * - a value name an enum does not have is dropped from an optional or repeated field and fails a required one;
 * - numbers are cut to the field's integer type as C++ casts them (-1 in a uint32 is 4294967295); an integer past
 *   2^53 (a bigint from `parseJson`, or a string holding one) is kept exact in an int64 or uint64 field, as a bigint
 *   when a double cannot hold it, except in the messages given as computed with (`inexact`: port ranges, file
 *   offsets), which titan local reads as doubles;
 * - then every required field must be set: "Missing required fields: a.b, c[0].d", in protobuf's order (a
 *   message's own fields first, in declaration order, then those of the messages it holds, by field number).
 * Object keys are read in sorted order (stout keeps them in a std::map), so the first error is the one a master
 * reports. Values come back normalised: numbers as numbers, repeated fields as arrays, maps as objects.
 */

type Scalar = "string" | "bytes" | "bool" | "double" | "float" | "int32" | "uint32" | "int64" | "uint64";

type FieldType =
  | { kind: "scalar"; scalar: Scalar }
  | { kind: "enum"; values: ReadonlySet<string> }
  | { kind: "message"; message: string }
  | { kind: "map"; key: FieldType; value: FieldType };

interface Field {
  name: string;
  number: number;
  required: boolean;
  repeated: boolean;
  type: FieldType;
  /** A 64-bit integer field kept exact (a bigint past 2^53). */
  exact: boolean;
}

interface Message {
  fields: ReadonlyMap<string, Field>;
  /** Declaration order: how protobuf lists a message's own missing fields. */
  declared: readonly Field[];
  /** Field-number order: how protobuf walks the messages a message holds. */
  byNumber: readonly Field[];
}

const SCALARS: Readonly<Record<string, Scalar>> = {
  string: "string",
  bytes: "bytes",
  bool: "bool",
  double: "double",
  float: "float",
  int32: "int32",
  sint32: "int32",
  sfixed32: "int32",
  uint32: "uint32",
  fixed32: "uint32",
  int64: "int64",
  sint64: "int64",
  sfixed64: "int64",
  uint64: "uint64",
  fixed64: "uint64",
};

/** A set of message descriptors, read from the compact text of scheduler-proto.ts. */
export class ProtoSchema {
  private readonly messages = new Map<string, Message>();

  constructor(
    messages: Readonly<Record<string, string>>,
    private readonly enums: Readonly<Record<string, string>>,
    /** Messages whose 64-bit integers are read as doubles: titan local computes with them as numbers. */
    inexact: ReadonlySet<string> = new Set(),
  ) {
    for (const [name, text] of Object.entries(messages)) {
      const declared =
        text === "" ? [] : text.split(" ").map((spec) => this.field(spec, messages, !inexact.has(name)));
      this.messages.set(name, {
        fields: new Map(declared.map((f) => [f.name, f])),
        declared,
        byNumber: [...declared].sort((a, b) => a.number - b.number),
      });
    }
  }

  message(name: string): Message {
    const message = this.messages.get(name);
    if (message === undefined) throw new Error(`unknown message ${name}`);
    return message;
  }

  private field(spec: string, messages: Readonly<Record<string, string>>, exactMessage: boolean): Field {
    const match = /^(\w+)#(\d+)([!*]?)(.+)$/.exec(spec);
    if (match === null) throw new Error(`bad field ${spec}`);
    const [, name = "", number = "", label = "", type = ""] = match;
    const fieldType = this.type(type, messages);
    const wide =
      fieldType.kind === "scalar" && (fieldType.scalar === "int64" || fieldType.scalar === "uint64");
    return {
      name,
      number: Number(number),
      required: label === "!",
      repeated: label === "*",
      type: fieldType,
      exact: wide && exactMessage,
    };
  }

  private type(text: string, messages: Readonly<Record<string, string>>): FieldType {
    const map = /^map<(.+),(.+)>$/.exec(text);
    if (map !== null)
      return {
        kind: "map",
        key: this.type(map[1] ?? "", messages),
        value: this.type(map[2] ?? "", messages),
      };
    const scalar = SCALARS[text];
    if (scalar !== undefined) return { kind: "scalar", scalar };
    const values = this.enums[text];
    if (values !== undefined) return { kind: "enum", values: new Set(values.split(" ")) };
    if (messages[text] !== undefined) return { kind: "message", message: text };
    throw new Error(`unknown type ${text}`);
  }
}

export type ProtoParse = { ok: true; value: JsonObject } | { ok: false; error: string };

class ParseError extends Error {}

/** `json` read as the message `name` of `schema`, or the error text a master gives. */
export function parseProtoJson(schema: ProtoSchema, name: string, json: unknown): ProtoParse {
  if (!isObject(json)) return { ok: false, error: "Expecting a JSON object" };
  const message = schema.message(name);
  let value: JsonObject;
  try {
    value = readMessage(schema, message, json);
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, error: error.message };
    throw error;
  }
  const missing: string[] = [];
  findMissing(schema, message, value, "", missing);
  if (missing.length > 0) return { ok: false, error: `Missing required fields: ${missing.join(", ")}` };
  return { ok: true, value };
}

function readMessage(schema: ProtoSchema, message: Message, json: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(json).sort()) {
    const field = message.fields.get(key);
    if (field !== undefined) readField(schema, field, json[key], out);
  }
  return out;
}

/** One JSON value into `out[field.name]`: set, or appended for a repeated field. */
function readField(schema: ProtoSchema, field: Field, value: unknown, out: JsonObject): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    // A map is a repeated field of entries: an array of objects adds each object's members.
    if (!field.repeated && field.type.kind !== "map")
      throw new ParseError(`Not expecting a JSON array for field '${field.name}'`);
    for (const item of value) readField(schema, field, item, out);
    return;
  }
  const read = readValue(schema, field, field.type, value);
  if (read === undefined) return;
  if (field.type.kind === "map") {
    out[field.name] = {
      ...(isObject(out[field.name]) ? (out[field.name] as JsonObject) : {}),
      ...(read as JsonObject),
    };
  } else if (field.repeated) {
    const list = Array.isArray(out[field.name]) ? (out[field.name] as unknown[]) : [];
    list.push(read);
    out[field.name] = list;
  } else {
    out[field.name] = read;
  }
}

/** A non-null, non-array JSON value as `type`; undefined when it is dropped (an enum name the enum lacks). */
function readValue(schema: ProtoSchema, field: Field, type: FieldType, value: unknown): unknown {
  const name = field.name;
  if (isObject(value)) {
    if (type.kind === "message") return readMessage(schema, schema.message(type.message), value);
    if (type.kind === "map") return readMap(schema, field, type, value);
    throw new ParseError(`Not expecting a JSON object for field '${name}'`);
  }
  if (typeof value === "string") return readString(field, type, value);
  if (typeof value === "number" || typeof value === "bigint") {
    if (
      type.kind === "scalar" &&
      type.scalar !== "string" &&
      type.scalar !== "bytes" &&
      type.scalar !== "bool"
    )
      return castNumber(type.scalar, value, field.exact);
    throw new ParseError(`Not expecting a JSON number for field '${name}'`);
  }
  if (typeof value === "boolean") {
    if (type.kind === "scalar" && type.scalar === "bool") return value;
    throw new ParseError(`Not expecting a JSON boolean for field '${name}'`);
  }
  return undefined;
}

/** A map field: each member an entry whose key and value are read as the entry's fields `key` and `value`. */
function readMap(
  schema: ProtoSchema,
  field: Field,
  type: Extract<FieldType, { kind: "map" }>,
  value: JsonObject,
): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) {
    const entryKey = readString({ ...field, name: "key" }, type.key, key);
    const member = value[key];
    if (member === null || member === undefined) continue;
    if (Array.isArray(member)) throw new ParseError("Not expecting a JSON array for field 'value'");
    const read = readValue(schema, { ...field, name: "value", repeated: false }, type.value, member);
    if (read !== undefined) out[String(entryKey)] = read;
  }
  return out;
}

function readString(field: Field, type: FieldType, text: string): unknown {
  const name = field.name;
  if (type.kind === "enum") {
    if (type.values.has(text)) return text;
    if (field.required) throw new ParseError(`Failed to find enum for '${text}'`);
    return undefined;
  }
  if (type.kind !== "scalar") throw new ParseError(`Not expecting a JSON string for field '${name}'`);
  switch (type.scalar) {
    case "string":
      return text;
    case "bytes": {
      const invalid = invalidBase64Character(text);
      if (invalid !== undefined)
        throw new ParseError(`Failed to base64 decode bytes field '${name}': Invalid character '${invalid}'`);
      return text;
    }
    case "bool": {
      const parsed = jsonOf(text, name, "boolean");
      if (typeof parsed !== "boolean") throw new ParseError(unexpected(text, name, "boolean"));
      return parsed;
    }
    case "double":
    case "float":
      if (text === "Infinity") return Number.POSITIVE_INFINITY;
      if (text === "-Infinity") return Number.NEGATIVE_INFINITY;
      return castNumber(type.scalar, numberOf(text, name), field.exact);
    default:
      return castNumber(type.scalar, numberOf(text, name), field.exact);
  }
}

function numberOf(text: string, name: string): number | bigint {
  const parsed = jsonOf(text, name, "number");
  if (typeof parsed !== "number" && typeof parsed !== "bigint")
    throw new ParseError(unexpected(text, name, "number"));
  return parsed;
}

/** A string's content parsed as JSON, as stout does before reading it as a number or boolean. */
function jsonOf(text: string, name: string, what: string): unknown {
  try {
    return parseJson(text);
  } catch {
    throw new ParseError(`Failed to parse '${text}' as a JSON ${what} for field '${name}': syntax error`);
  }
}

function unexpected(text: string, name: string, what: string): string {
  return `Failed to parse '${text}' as a JSON ${what} for field '${name}': Unexpected JSON type parsed`;
}

/**
 * What a C++ cast of the JSON number to the field's type keeps (truncated, and wrapped for 32-bit fields). A bigint
 * is an int64 the parser read exactly: cast from it bit for bit, and kept exact in an `exact` 64-bit field.
 */
function castNumber(scalar: Scalar, n: number | bigint, exact: boolean): number | bigint {
  if (typeof n === "bigint") return castInt64(scalar, n, exact);
  if (scalar === "double" || !Number.isFinite(n)) return n;
  if (scalar === "float") return Math.fround(n);
  const whole = Math.trunc(n);
  if (scalar === "int32") return whole | 0;
  if (scalar === "uint32") return whole >>> 0;
  if (scalar === "uint64" && whole < 0)
    return exact && Number.isSafeInteger(whole) ? castInt64(scalar, BigInt(whole), true) : whole + 2 ** 64;
  return whole;
}

function castInt64(scalar: Scalar, n: bigint, exact: boolean): number | bigint {
  switch (scalar) {
    case "double":
      return Number(n);
    case "float":
      return Math.fround(Number(n));
    case "int32":
      return Number(BigInt.asIntN(32, n));
    case "uint32":
      return Number(BigInt.asUintN(32, n));
    default: {
      const wide = scalar === "uint64" ? BigInt.asUintN(64, n) : BigInt.asIntN(64, n);
      const near = Number(wide);
      return exact && BigInt(near) !== wide ? wide : near;
    }
  }
}

/**
 * The bytes of base64 text as stout decodes it (3rdparty/stout/include/stout/base64.hpp): whitespace skipped, the
 * first `=` ends the text, padding optional. The text must already have passed `invalidBase64Character`.
 */
export function bytesOfBase64(text: string): Buffer {
  const end = text.indexOf("=");
  return Buffer.from((end === -1 ? text : text.slice(0, end)).replace(/\s/g, ""), "base64");
}

/** stout's base64 decoding: whitespace skipped, `=` ends the text, anything else outside the alphabet fails. */
function invalidBase64Character(text: string): string | undefined {
  for (const c of text) {
    if (c === "=") return undefined;
    if (/\s/.test(c)) continue;
    if (!/[A-Za-z0-9+/]/.test(c)) return c;
  }
  return undefined;
}

/** protobuf's FindInitializationErrors: own required fields, then those of each message held, by field number. */
function findMissing(
  schema: ProtoSchema,
  message: Message,
  value: JsonObject,
  prefix: string,
  out: string[],
): void {
  for (const field of message.declared)
    if (field.required && value[field.name] === undefined) out.push(prefix + field.name);
  for (const field of message.byNumber) {
    const held = value[field.name];
    if (held === undefined) continue;
    if (field.type.kind === "map") {
      const valueType = field.type.value;
      if (valueType.kind !== "message" || !isObject(held)) continue;
      const entryMessage = schema.message(valueType.message);
      let index = 0;
      for (const key of Object.keys(held)) {
        const entry = held[key];
        if (isObject(entry))
          findMissing(schema, entryMessage, entry, `${prefix}${field.name}[${index}].value.`, out);
        index++;
      }
      continue;
    }
    if (field.type.kind !== "message") continue;
    const sub = schema.message(field.type.message);
    if (field.repeated && Array.isArray(held)) {
      held.forEach((item, i) => {
        if (isObject(item)) findMissing(schema, sub, item, `${prefix}${field.name}[${i}].`, out);
      });
    } else if (isObject(held)) {
      findMissing(schema, sub, held, `${prefix}${field.name}.`, out);
    }
  }
}
