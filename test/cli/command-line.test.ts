import { describe, expect, it } from "vitest";
import { commandLine } from "../../src/cli/command-line.js";

describe("commandLine", () => {
  it("leaves plain words alone and single-quotes the rest, so the line pastes into a shell", () => {
    expect(commandLine(["titan", "deploy", "-f", "apps/web.yaml", "--master", "http://10.0.0.5:5050"])).toBe(
      "titan deploy -f apps/web.yaml --master http://10.0.0.5:5050",
    );
    expect(commandLine(["titan", "deploy", "--plan", "my plan.json"])).toBe(
      "titan deploy --plan 'my plan.json'",
    );
    expect(commandLine(["-f", "it's.yaml", "$HOME", ""])).toBe(`-f 'it'\\''s.yaml' '$HOME' ''`);
  });
});
