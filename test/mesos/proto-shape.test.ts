import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkShape, loadProtoSchema, parseProtoFile } from "../support/proto-shape.js";
import { tempDir } from "../support/tmp.js";

const SMALL_PROTO = `
// header comment
syntax = "proto2";
import "other/dep.proto";
package demo.v1;
option java_package = "x";

/* block
   comment */
message Outer {
  enum Kind { UNKNOWN = 0; A = 1 [deprecated = true]; B = 2; }
  message Inner { required string value = 1; }
  required Inner id = 1;
  optional Kind kind = 2 [default = A];
  repeated Inner items = 3;
  map<string, Inner> by_name = 4;
  optional int64 big = 5;
  optional int32 small = 6;
  optional uint32 unsigned_small = 7;
  optional bytes blob = 8;
  optional double ratio = 9 [default = -1.5];
  optional bool flag = 10;
  oneof choice {
    string left = 11;
    Inner right = 12;
  }
  reserved 20 to 30;
  extensions 100 to max;
}
`;

const DEP_PROTO = `syntax = "proto2"; package other; message Dep { optional string note = 1; }`;

function smallSchema() {
  const root = tempDir();
  mkdirSync(join(root, "demo"), { recursive: true });
  mkdirSync(join(root, "other"), { recursive: true });
  writeFileSync(join(root, "demo/outer.proto"), SMALL_PROTO);
  writeFileSync(join(root, "other/dep.proto"), DEP_PROTO);
  return loadProtoSchema(root, ["demo/outer.proto"]);
}

describe("parseProtoFile", () => {
  it("reads the package, imports, nested messages, enums, labels, maps, oneofs and options", () => {
    const file = parseProtoFile(SMALL_PROTO, "outer.proto");
    expect(file.packageName).toBe("demo.v1");
    expect(file.imports).toEqual(["other/dep.proto"]);
    expect(file.messages.map((m) => m.fullName).sort()).toEqual(["demo.v1.Outer", "demo.v1.Outer.Inner"]);
    expect([...(file.enums[0]?.values ?? [])]).toEqual(["UNKNOWN", "A", "B"]);
    const outer = file.messages.find((m) => m.fullName === "demo.v1.Outer");
    expect(outer?.fields.get("id")?.label).toBe("required");
    expect(outer?.fields.get("items")?.label).toBe("repeated");
    expect(outer?.fields.get("by_name")).toMatchObject({ mapKey: "string", type: "Inner" });
    expect(outer?.fields.get("kind")).toMatchObject({ defaultValue: "A", deprecated: false });
    expect(outer?.fields.get("ratio")?.defaultValue).toBe("-1.5");
    expect(outer?.fields.get("left")?.oneof).toBe("choice");
    expect(outer?.fields.get("right")?.oneof).toBe("choice");
    expect(outer?.fields.get("flag")?.oneof).toBeUndefined();
  });

  it("follows imports and resolves nested type names from the inside out", () => {
    const schema = smallSchema();
    expect(schema.messages.has("other.Dep")).toBe(true);
    expect(schema.resolve("Inner", "demo.v1.Outer")).toBe("demo.v1.Outer.Inner");
    expect(schema.resolve("Outer.Kind", "demo.v1.Outer.Inner")).toBe("demo.v1.Outer.Kind");
    expect(() => schema.resolve("Missing", "demo.v1.Outer")).toThrow(/cannot resolve/);
  });
});

describe("checkShape on a small schema", () => {
  const valid = { id: { value: "x" } };

  it("accepts a minimal valid value and null as unset", () => {
    const schema = smallSchema();
    expect(checkShape(valid, "demo.v1.Outer", schema)).toEqual([]);
    expect(checkShape({ ...valid, kind: null, items: null }, "demo.v1.Outer", schema)).toEqual([]);
  });

  it("reports each kind of violation with its path", () => {
    const schema = smallSchema();
    const bad = {
      items: { value: "not-an-array" },
      by_name: { a: "flat" },
      big: "12x",
      small: "7",
      unsigned_small: -1,
      blob: "not base64!",
      ratio: "fast",
      flag: "true",
      kind: "C",
      left: "l",
      right: { value: "r" },
      extra: 1,
    };
    expect(checkShape(bad, "demo.v1.Outer", schema)).toEqual([
      "$.items: repeated field must be an array, got object",
      '$.by_name["a"]: expected an object (demo.v1.Outer.Inner), got string',
      "$.big: expected an integer or a decimal string (int64), got string",
      "$.small: expected an integer (int32), got string",
      "$.unsigned_small: -1 is out of range for uint32",
      '$.blob: not padded standard base64: "not base64!"',
      "$.ratio: expected a number, got string",
      "$.flag: expected a boolean, got string",
      '$.kind: "C" is not a value of enum demo.v1.Outer.Kind',
      '$.right: oneof choice already set by "left"',
      '$.extra: unknown key "extra" in demo.v1.Outer (Mesos silently drops it)',
      "$.id: required field missing in demo.v1.Outer",
    ]);
  });

  it("accepts 64-bit integers as decimal strings and doubles as Infinity", () => {
    const schema = smallSchema();
    const value = { ...valid, big: "18446744073709551", ratio: "Infinity", blob: "AAECAw==" };
    expect(checkShape(value, "demo.v1.Outer", schema)).toEqual([]);
  });
});

describe("checkShape on the Mesos v1 protos", () => {
  const subscribe = {
    type: "SUBSCRIBE",
    subscribe: { framework_info: { user: "root", name: "titan", roles: ["titan"] } },
  };

  it("accepts a correct SUBSCRIBE call", () => {
    expect(checkShape(subscribe, "mesos.v1.scheduler.Call")).toEqual([]);
  });

  it("catches camelCase keys, which the master would silently drop", () => {
    const camel = { type: "SUBSCRIBE", subscribe: { frameworkInfo: { user: "root", name: "titan" } } };
    expect(checkShape(camel, "mesos.v1.scheduler.Call")).toEqual([
      '$.subscribe.frameworkInfo: unknown key "frameworkInfo" in mesos.v1.scheduler.Call.Subscribe (Mesos silently drops it)',
      "$.subscribe.framework_info: required field missing in mesos.v1.scheduler.Call.Subscribe",
    ]);
  });

  it("catches bad enum values and a singular role where roles is repeated", () => {
    const bad = {
      type: "SUBSCRIBE",
      subscribe: {
        framework_info: {
          user: "root",
          name: "titan",
          roles: "titan",
          capabilities: [{ type: "MULTIROLE" }],
        },
      },
    };
    expect(checkShape(bad, "mesos.v1.scheduler.Call")).toEqual([
      "$.subscribe.framework_info.roles: repeated field must be an array, got string",
      '$.subscribe.framework_info.capabilities[0].type: "MULTIROLE" is not a value of enum mesos.v1.FrameworkInfo.Capability.Type',
    ]);
    expect(checkShape({ type: "SUBSCRIBES" }, "mesos.v1.scheduler.Call")).toEqual([
      '$.type: "SUBSCRIBES" is not a value of enum mesos.v1.scheduler.Call.Type',
    ]);
  });

  it("catches the documentation's single-nested OFFERS and top-level ERROR message", () => {
    expect(checkShape({ type: "OFFERS", offers: [] }, "mesos.v1.scheduler.Event")).toEqual([
      "$.offers: singular field must not be an array",
    ]);
    expect(checkShape({ type: "ERROR", message: "boom" }, "mesos.v1.scheduler.Event")).toEqual([
      "$.message: expected an object (mesos.v1.scheduler.Event.Message), got string",
    ]);
  });

  it("checks map values (TaskInfo.limits values are Value.Scalar objects)", () => {
    const task = {
      name: "t",
      task_id: { value: "t" },
      agent_id: { value: "a" },
      limits: { cpus: { value: "Infinity" }, mem: 512 },
    };
    expect(checkShape(task, "mesos.v1.TaskInfo")).toEqual([
      '$.limits["mem"]: expected an object (mesos.v1.Value.Scalar), got number',
    ]);
  });

  it("knows the operator API and google.protobuf.Duration", () => {
    expect(
      checkShape({ type: "GET_HEALTH", get_health: { healthy: true } }, "mesos.v1.master.Response"),
    ).toEqual([]);
    expect(checkShape({ type: "GET_STATE" }, "mesos.v1.agent.Call")).toEqual([]);
    expect(checkShape({ seconds: "5", nanos: 1 }, "google.protobuf.Duration")).toEqual([]);
  });

  it("rejects an unknown root type loudly", () => {
    expect(() => checkShape({}, "mesos.v1.NoSuchThing")).toThrow(/unknown message type/);
  });
});
