import { describe, expect, it } from "vitest";
import { TitanError } from "../../src/cli/errors.js";
import { isAppName } from "../../src/manifest/app-name.js";
import { parseLogTarget } from "../../src/observe/log-selection.js";
import { checkAppName } from "../../src/release/app-release.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { tempDir } from "../support/tmp.js";

const store = new FileStateStore(`file://${tempDir()}`, { clock: { now: () => 0 }, hostname: "h" });

async function storeTakes(name: string): Promise<boolean> {
  try {
    await store.releases(name);
    return true;
  } catch (error) {
    if (error instanceof TitanError) return false;
    throw error;
  }
}

function commandTakes(name: string): boolean {
  try {
    checkAppName(name);
    return true;
  } catch {
    return false;
  }
}

describe("one app-name rule", () => {
  it.each([
    ["api", true],
    ["a", true],
    ["web-2", true],
    ["x".repeat(63), true],
    ["x".repeat(64), false],
    ["2web", false],
    ["web-", false],
    ["Web", false],
    ["web_2", false],
    ["", false],
  ])("%j: %s for the manifest, the commands, the state store and logs alike", async (name, valid) => {
    expect(isAppName(name)).toBe(valid);
    expect(commandTakes(name)).toBe(valid);
    expect(await storeTakes(name)).toBe(valid);
    expect(typeof parseLogTarget(name) === "object").toBe(valid);
  });
});
