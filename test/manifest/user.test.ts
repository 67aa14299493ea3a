import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/cli/errors.js";
import { parseManifests } from "../../src/manifest/index.js";

const app = (extra: string) => `name: web\nshell: "true"\n${extra}`;

function diagnostic(text: string) {
  try {
    parseManifests([{ file: "t.yaml", text }]);
  } catch (error) {
    if (error instanceof ValidationError) return error.diagnostics[0];
    throw error;
  }
  throw new Error("expected the manifest to be invalid");
}

describe("the task user", () => {
  it("is unset unless the app names one", () => {
    expect(parseManifests([{ file: "t.yaml", text: app("") }]).apps[0]?.user).toBeUndefined();
    expect(parseManifests([{ file: "t.yaml", text: app("user: www-data\n") }]).apps[0]?.user).toBe(
      "www-data",
    );
  });

  it("refuses what cannot be a Unix user name, with its position", () => {
    expect(diagnostic(app('user: "a b"\n'))).toMatchObject({
      line: 3,
      col: 7,
      path: "user",
      message: '"a b" is not a Unix user name',
    });
    expect(diagnostic(app("user: 0\n"))?.message).toMatch(/expected a string/);
  });
});
