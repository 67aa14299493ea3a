import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mesosRoleProblem } from "../../src/config/role.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

describe("roles as a Mesos master takes them (roles.cpp)", () => {
  it.each<[string, string | undefined]>([
    ["*", undefined],
    ["titan", undefined],
    ["web/prod", undefined],
    ["db@eu.1", undefined],
    ["", "a role cannot be empty"],
    ["/web", "a role's path cannot start or end with a slash or hold two slashes in a row"],
    ["web/", "a role's path cannot start or end with a slash or hold two slashes in a row"],
    ["web//prod", "a role's path cannot start or end with a slash or hold two slashes in a row"],
    ["web/..", "'..' cannot be a component of a role"],
    ["web/*", "'*' cannot be a component of a role"],
    ["-web", "the component '-web' starts with a dash"],
    ["web prod", "the component 'web prod' holds whitespace"],
  ])("%j: %s", (role, problem) => {
    expect(mesosRoleProblem(role)).toBe(problem);
  });

  it("reports a cluster's role in the config file that no master accepts, with its place", async () => {
    const dir = tempDir();
    const file = join(dir, "config.yaml");
    writeFileSync(file, "clusters:\n  prod:\n    masters: [http://m1:5050]\n    role: -web\n");
    const r = await runCli(["context", "list"], {
      env: { TITAN_CONFIG: file, XDG_DATA_HOME: join(dir, "data") },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `"-web" is not a role a Mesos master accepts: the component '-web' starts with a dash`,
    );
    expect(r.stderr).toContain("config.yaml:4");
  });
});
