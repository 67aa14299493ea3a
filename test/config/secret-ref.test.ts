import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TitanError, ValidationError } from "../../src/cli/errors.js";
import { parseConfigDocument, validateConfig } from "../../src/config/load.js";
import { parseSecretRef, resolveSecretRef } from "../../src/config/secret-ref.js";
import { parseManifests } from "../../src/manifest/index.js";
import { tempDir } from "../support/tmp.js";

/** Whether the manifest takes `raw` as a secret reference. */
function manifestTakes(raw: string): boolean {
  try {
    parseManifests([
      { file: "t.yaml", text: `name: api\nimage: nginx\nenv: { A: { secret: ${JSON.stringify(raw)} } }\n` },
    ]);
    return true;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const tail = raw.slice(raw.indexOf(":") + 1);
    if (tail.length > 3) expect(JSON.stringify(error.diagnostics)).not.toContain(tail);
    return false;
  }
}

/** Whether the user config takes `raw` as a cluster's auth secret. */
function configTakes(raw: string): boolean {
  const text = `clusters:\n  c:\n    masters: [http://127.0.0.1:5050]\n    auth: { principal: p, secret: ${JSON.stringify(raw)} }\n`;
  try {
    validateConfig(parseConfigDocument(text), "config.yaml");
    return true;
  } catch (error) {
    if (!(error instanceof TitanError)) throw error;
    return false;
  }
}

describe("one definition of a secret reference", () => {
  it.each([
    ["env:DB_PASSWORD", true],
    ["env:_X1", true],
    ["file:/run/secrets/db", true],
    ["file:relative/path", false],
    ["file:", false],
    ["env:", false],
    ["env:1BAD", false],
    ["env:has space", false],
    ["hunter2", false],
    ["vault:secret/db", false],
    ["file:/a\u0000b", false],
  ])("%j is taken: %s, the same by the manifest and the config", (raw, valid) => {
    expect(typeof parseSecretRef(raw) !== "string").toBe(valid);
    expect(manifestTakes(raw)).toBe(valid);
    expect(configTakes(raw)).toBe(valid);
  });

  it.each([
    ["mesos:payments/db", { source: "mesos", ref: "payments/db", raw: "mesos:payments/db" }],
    [
      "mesos:payments/db#password",
      { source: "mesos", ref: "payments/db", key: "password", raw: "mesos:payments/db#password" },
    ],
    ["mesos:", undefined],
    ["mesos:db#", undefined],
    ["mesos:a#b#c", undefined],
    ["mesos:a\u0007b", undefined],
  ])("a manifest env takes %j as a Mesos secret reference, the config's auth never does", (raw, parsed) => {
    expect(manifestTakes(raw)).toBe(parsed !== undefined);
    expect(configTakes(raw)).toBe(false);
    if (parsed !== undefined) {
      const [app] = parseManifests([
        { file: "t.yaml", text: `name: api\nimage: nginx\nenv: { A: { secret: ${JSON.stringify(raw)} } }\n` },
      ]).apps;
      expect(app?.env.A).toEqual({ kind: "secret", ...parsed });
    }
  });

  it("takes `secrets: mesos` or `none` on a cluster, and nothing else", () => {
    const load = (value: string) => {
      const text = `clusters:\n  c:\n    masters: [http://127.0.0.1:5050]\n    secrets: ${value}\n`;
      return validateConfig(parseConfigDocument(text), "config.yaml");
    };
    expect(load("mesos").clusters.c?.secrets).toBe("mesos");
    expect(load("none").clusters.c?.secrets).toBe("none");
    expect(() => load("vault")).toThrow(ValidationError);
  });

  it("never puts the text of a malformed reference in its message", () => {
    for (const raw of ["hunter2-is-my-password", "env:hunter2 pass", "file:hunter2pass"]) {
      const problem = parseSecretRef(raw);
      expect(typeof problem).toBe("string");
      expect(problem).not.toContain("hunter2");
    }
  });
});

describe("resolving a secret", () => {
  const ref = (raw: string) => {
    const parsed = parseSecretRef(raw);
    if (typeof parsed === "string") throw new Error(parsed);
    return parsed;
  };

  it("refuses a value with NUL or control characters without printing it", async () => {
    const error = await resolveSecretRef(ref("env:TOKEN"), { TOKEN: "s3cr3t\u0000tail" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TitanError);
    const text = `${(error as TitanError).message} ${(error as TitanError).hint}`;
    expect(text).toContain("U+0000 (NUL)");
    expect(text).not.toContain("s3cr3t");
    await expect(resolveSecretRef(ref("env:T"), { T: "a\u001b[2Jb" })).rejects.toThrow(/U\+001B/);
  });

  it("keeps line breaks only where they are allowed (env values, not credentials)", async () => {
    const dir = tempDir();
    const file = join(dir, "cert");
    writeFileSync(file, "line1\nline2\n");
    expect(await resolveSecretRef(ref(`file:${file}`), {}, { lineBreaks: true })).toBe("line1\nline2");
    await expect(resolveSecretRef(ref(`file:${file}`), {})).rejects.toThrow(/U\+000A \(LF\)/);
  });

  it("refuses a secret file that is not UTF-8 text", async () => {
    const dir = tempDir();
    const file = join(dir, "bin");
    writeFileSync(file, Buffer.from([0xff, 0xfe, 0x41]));
    await expect(resolveSecretRef(ref(`file:${file}`), {})).rejects.toThrow("is not UTF-8 text");
  });
});
