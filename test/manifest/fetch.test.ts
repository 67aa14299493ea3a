import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/cli/errors.js";
import { loadManifests, parseManifests } from "../../src/manifest/index.js";
import { tempDir } from "../support/tmp.js";

const app = (fetch: string) => `name: web\nshell: ./server.sh\n${fetch}`;

describe("fetch", () => {
  it("resolves a relative path against the manifest's directory, keeping URLs as they are", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "titan.yaml"),
      app(
        "fetch:\n  - server.sh\n  - https://example.com/assets.tgz\n  - { uri: /opt/bin/tool, executable: true, extract: false, output_file: tool }\n",
      ),
    );
    const manifest = await loadManifests(["titan.yaml"], { cwd: dir });
    expect(manifest.apps[0]?.fetch).toEqual([
      { uri: pathToFileURL(join(dir, "server.sh")).href, executable: false, extract: true },
      { uri: "https://example.com/assets.tgz", executable: false, extract: true },
      { uri: "file:///opt/bin/tool", executable: true, extract: false, outputFile: "tool" },
    ]);
  });

  it("refuses a relative path in a manifest read from stdin", async () => {
    const stdin = Readable.from([app("fetch: [server.sh]\n")]);
    const error = await loadManifests(["-"], { cwd: tempDir(), stdin }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).diagnostics[0]).toMatchObject({
      path: "fetch[0]",
      message: 'relative fetch path "server.sh" needs a manifest file to be relative to',
    });
  });

  it("rejects unknown keys in a fetch entry", () => {
    const error = (() => {
      try {
        parseManifests([{ file: "t.yaml", text: app("fetch: [{ uri: x, exec: true }]\n"), baseDir: "/srv" }]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).diagnostics.map((d) => d.path)).toContain("fetch[0].exec");
  });

  it("defaults to no fetched files", () => {
    expect(parseManifests([{ file: "t.yaml", text: app("") }]).apps[0]?.fetch).toEqual([]);
  });
});
