import { describe, expect, it } from "vitest";
import { roleError } from "../../src/local/common-validation.js";
import type { JsonObject } from "../../src/local/json.js";
import {
  allocatorOptionsError,
  capabilitiesOf,
  frameworkUpdateError,
  rolesOf,
  streamedDouble,
} from "../../src/local/master/framework-info.js";
import { refuseSecondsOf } from "../../src/local/master/refuse-filter.js";

const MULTI_ROLE = { capabilities: [{ type: "MULTI_ROLE" }] };

function roles(info: JsonObject, removed: string[] = []) {
  return rolesOf(info, capabilitiesOf(info), (id) => removed.includes(id));
}

describe("a FrameworkInfo as validation.cpp framework::validate sees it", () => {
  it.each<[string, JsonObject, { roles: string[] } | { error: string }]>([
    ["no role", { user: "u", name: "n" }, { roles: ["*"] }],
    ["one role", { role: "web" }, { roles: ["web"] }],
    [
      "roles without MULTI_ROLE",
      { roles: ["a"] },
      { error: "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable" },
    ],
    [
      "role with MULTI_ROLE",
      { ...MULTI_ROLE, role: "a" },
      { error: "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable" },
    ],
    ["MULTI_ROLE roles", { ...MULTI_ROLE, roles: ["a", "b/c"] }, { roles: ["a", "b/c"] }],
    [
      "duplicate roles",
      { ...MULTI_ROLE, roles: ["b", "a", "b", "a"] },
      { error: "'FrameworkInfo.roles' contains duplicate items: { a, b }" },
    ],
    [
      "an invalid role among roles",
      { ...MULTI_ROLE, roles: ["a", "-b"] },
      {
        error:
          "'FrameworkInfo.roles' contains invalid role: Role component '-b' is invalid because it starts with a dash",
      },
    ],
    [
      "an empty role",
      { role: "" },
      { error: "'FrameworkInfo.role' is not a valid role: Role names cannot be the empty string" },
    ],
    ["a framework id with a slash", { id: { value: "a/b" } }, { error: "'a/b' contains invalid characters" }],
    [
      "a failover timeout beyond an int64 of nanoseconds",
      { failover_timeout: 1e10 },
      { error: "The framework failover_timeout (1e+10) is invalid" },
    ],
    [
      "an infinite failover timeout",
      { failover_timeout: Number.POSITIVE_INFINITY },
      { error: "The framework failover_timeout (inf) is invalid" },
    ],
    ["a week of failover timeout", { failover_timeout: 604800 }, { roles: ["*"] }],
    [
      "an empty offer filter",
      { offer_filters: { "*": { min_allocatable_resources: { quantities: [{ quantities: {} }] } } } },
      { error: "Resource quantities must contain at least one quantity" },
    ],
    [
      "a negative offer filter",
      {
        offer_filters: {
          "*": { min_allocatable_resources: { quantities: [{ quantities: { cpus: { value: -1 } } }] } },
        },
      },
      { error: "Invalid resource quantity for 'cpus': Negative values not supported" },
    ],
    ["a removed framework", { id: { value: "F1" } }, { error: "Framework has been removed" }],
  ])("%s", (_desc, info, expected) => {
    expect(roles(info, ["F1"])).toEqual(expected);
  });

  it.each<[string, string | undefined]>([
    ["*", undefined],
    ["web/prod", undefined],
    ["db@eu", undefined],
    ["/a", "Role '/a' cannot start with a slash"],
    ["a/", "Role 'a/' cannot end with a slash"],
    ["a//b", "Role 'a//b' cannot contain two adjacent slashes"],
    ["a/./b", "Role 'a/./b' cannot include '.' as a component"],
    ["..", "Role '..' cannot include '..' as a component"],
    ["a/*", "Role 'a/*' cannot include '*' as a component"],
    ["a b", "Role component 'a b' is invalid because it contains backspace or whitespace"],
  ])("role %j: %s (roles.cpp)", (role, error) => {
    expect(roleError(role)).toBe(error);
  });

  it("lets suppressed roles and offer constraints name only the framework's roles", () => {
    expect(allocatorOptionsError(["a"], { suppressed_roles: ["a"] })).toBeUndefined();
    expect(allocatorOptionsError(["a"], { suppressed_roles: ["c", "b", "a"] })).toBe(
      "Suppressed roles { b, c } are not contained in the set of roles",
    );
    expect(
      allocatorOptionsError(["a"], { offer_constraints: { role_constraints: { x: { groups: [] } } } }),
    ).toBe("Offer constraints specify `role_constraints` for a role 'x'not contained in the set of roles");
  });

  it("refuses an update of the principal, the user or checkpointing, in that order", () => {
    const before = { user: "u", name: "n", principal: "p", checkpoint: true };
    expect(frameworkUpdateError(before, { ...before, name: "renamed" })).toBeUndefined();
    expect(frameworkUpdateError(before, { ...before, principal: "q", user: "v" })).toBe(
      "Changing framework's principal is not allowed.",
    );
    expect(frameworkUpdateError(before, { ...before, user: "v", checkpoint: false })).toBe(
      "Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'u' to 'v'",
    );
    expect(frameworkUpdateError(before, { user: "u", name: "n", principal: "p" })).toBe(
      "Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from 'true' to 'false'",
    );
  });

  it.each([
    [1e10, "1e+10"],
    [9.3e9, "9.3e+09"],
    [604800, "604800"],
    [1234567, "1.23457e+06"],
    [0.5, "0.5"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [-2.5e-7, "-2.5e-07"],
    [0, "0"],
    [Number.NEGATIVE_INFINITY, "-inf"],
  ])("writes %d as std::ostream does: %s", (n, text) => {
    expect(streamedDouble(n)).toBe(text);
  });
});

describe("refuse_seconds as the hierarchical allocator reads it", () => {
  it.each([
    [undefined, 5],
    [{}, 5],
    [{ refuse_seconds: 0 }, 0],
    [{ refuse_seconds: 2.5 }, 2.5],
    [{ refuse_seconds: -1 }, 5],
    [{ refuse_seconds: Number.NaN }, 5],
    [{ refuse_seconds: 1e12 }, 31_536_000],
    [{ refuse_seconds: Number.POSITIVE_INFINITY }, 31_536_000],
  ])("%j: %d s", (filters, seconds) => {
    expect(refuseSecondsOf(filters)).toBe(seconds);
  });
});
