import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/errors.js";
import { parseManifests, selectApps } from "../../src/manifest/index.js";

function manifestOf(names: readonly string[]) {
  const text = `defaults:\n  command: ["sleep", "60"]\napps:\n${names.map((n) => `  - name: ${n}\n`).join("")}`;
  return parseManifests([{ file: "shop.yaml", text }]);
}

function refusal(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a usage error");
}

describe("selectApps (--app)", () => {
  it("keeps every app when none is named, and the named ones in the manifests' order otherwise", () => {
    const manifest = manifestOf(["web", "api", "worker"]);
    expect(selectApps(manifest, [])).toBe(manifest);
    const picked = selectApps(manifest, ["worker", "web", "worker"]);
    expect(picked.apps.map((a) => a.name)).toEqual(["web", "worker"]);
    expect(picked.files).toEqual(["shop.yaml"]);
  });

  it("refuses a name the manifests do not have, suggesting the near one or listing them", () => {
    const manifest = manifestOf(["web", "api"]);
    const typo = refusal(() => selectApps(manifest, ["wbe"]));
    expect(typo.message).toBe("--app wbe: the manifests (shop.yaml) name no app wbe");
    expect(typo.hint).toBe("did you mean --app web?");
    expect(refusal(() => selectApps(manifest, ["billing"])).hint).toBe("they name: web, api");
  });

  it("lists the first ten names of a big manifest, not all of them", () => {
    const names = Array.from({ length: 25 }, (_, k) => `app-${k}`);
    const hint = refusal(() => selectApps(manifestOf(names), ["billing"])).hint ?? "";
    expect(hint).toBe(
      `they name: ${names.slice(0, 10).join(", ")} … (25 in all; \`titan validate\` lists them)`,
    );
  });
});
