import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { UsageError, ValidationError } from "../../src/cli/errors.js";
import { loadManifests } from "../../src/manifest/index.js";
import { tempDir } from "../support/tmp.js";

const APP = "name: web\nimage: nginx:1.27\n";

describe("loadManifests", () => {
  it("reads ./titan.yaml when no files are given", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "titan.yaml"), APP);
    const manifest = await loadManifests([], { cwd });
    expect(manifest.files).toEqual(["titan.yaml"]);
    expect(manifest.apps.map((a) => a.name)).toEqual(["web"]);
  });

  it("resolves files against cwd and names them as given", async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, "deploy"));
    writeFileSync(join(cwd, "deploy", "web.yaml"), APP);
    const manifest = await loadManifests(["deploy/web.yaml"], { cwd });
    expect(manifest.apps[0]?.source).toEqual({ file: "deploy/web.yaml", line: 1, col: 1, path: "" });
  });

  it("reads - from stdin", async () => {
    const stdin = new PassThrough();
    stdin.end(APP);
    const manifest = await loadManifests(["-"], { cwd: tempDir(), stdin });
    expect(manifest.files).toEqual(["-"]);
  });

  it("refuses stdin over the size limit without reading it all", async () => {
    const stdin = new PassThrough();
    const chunk = "#".repeat(64 * 1024);
    for (let i = 0; i < 20; i++) stdin.write(`${chunk}\n`);
    stdin.end();
    await expect(loadManifests(["-"], { cwd: tempDir(), stdin })).rejects.toBeInstanceOf(ValidationError);
  });

  it("is a usage error pointing at titan init when titan.yaml is missing", async () => {
    const error = await loadManifests([], { cwd: tempDir() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ message: "titan.yaml not found", exitCode: 2 });
    expect((error as UsageError).hint).toContain("titan init");
  });

  it("is a usage error for a directory", async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, "deploy"));
    await expect(loadManifests(["deploy"], { cwd })).rejects.toThrow("deploy is a directory");
  });

  it("refuses - given twice: stdin is read once, the second would be empty", async () => {
    const stdin = new PassThrough();
    stdin.end(APP);
    const error = await loadManifests(["-", "-"], { cwd: tempDir(), stdin }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ message: "-f - is given twice: stdin can be read only once", exitCode: 2 });
  });

  it("is a usage error for - without stdin", async () => {
    await expect(loadManifests(["-"], { cwd: tempDir() })).rejects.toBeInstanceOf(UsageError);
  });
});
