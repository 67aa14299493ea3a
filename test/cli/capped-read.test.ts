import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/cli/errors.js";
import { resolveSecretRef, SecretUnreadableError } from "../../src/config/secret-ref.js";
import { loadManifests } from "../../src/manifest/index.js";
import { titanProcess } from "../support/cli-process.js";
import { endlessFifo, fifo } from "../support/fifo.js";
import { tempDir } from "../support/tmp.js";

const MiB = 1024 * 1024;

/**
 * A manifest, a snapshot or a secret in a file that is not a regular one (a character device, a FIFO) says its
 * size is 0: titan read it whole, forever (`-f /dev/zero`), or blocked opening a FIFO nobody writes, deaf to
 * SIGINT and SIGTERM. It reads at most the cap, whatever the size says, and a signal ends any wait.
 */
describe("a file that says it is empty and never ends", () => {
  it("as a manifest, is refused at 1 MiB", async () => {
    const dir = tempDir();
    endlessFifo(fifo(dir), 2 * MiB);
    const error = await loadManifests(["pipe"], { cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).diagnostics[0]?.message).toContain("larger than 1 MiB");
  });

  it("as a manifest, /dev/zero, is refused at 1 MiB", async () => {
    const error = await loadManifests(["/dev/zero"], { cwd: tempDir() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
  });

  it("as a manifest from stdin, ends when the command is stopped", async () => {
    const stdin = new PassThrough();
    const controller = new AbortController();
    const loading = loadManifests(["-"], { cwd: tempDir(), stdin, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(loading).rejects.toMatchObject({ name: "AbortError" });
  });

  it("as a file: secret, is refused at its cap without showing a byte", async () => {
    const dir = tempDir();
    const path = fifo(dir);
    endlessFifo(path, MiB + 1);
    const error = await resolveSecretRef({ source: "file", ref: path, raw: `file:${path}` }, {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SecretUnreadableError);
    expect((error as Error).message).toBe(`secret file:${path} is larger than 1 MiB; its value is not shown`);
    await expect(
      resolveSecretRef({ source: "file", ref: "/dev/zero", raw: "file:/dev/zero" }, {}),
    ).rejects.toBeInstanceOf(SecretUnreadableError);
  });

  it("as a snapshot, is refused at 256 MiB: exit 2, one line, no internal error", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "titan.yaml"), "name: web\nimage: nginx:1.27\nregions: { r: 1 }\n");
    const titan = titanProcess(["plan", "--dry-run", "--snapshot", "/dev/zero", "--region", "r"], {
      cwd: dir,
      vars: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") },
    });
    expect(await titan.exit).toBe(2);
    expect(titan.stderr()).toContain(
      "error: snapshot /dev/zero is larger than 256 MiB, the most titan reads",
    );
    expect(titan.stderr()).not.toContain("internal error");
  }, 20_000);
});

describe("a FIFO nobody opens for writing", () => {
  it.each([[["validate", "-f", "pipe"]], [["plan", "--dry-run", "--snapshot", "pipe", "--region", "r"]]])(
    "titan %j ends on the first SIGTERM: exit 130, and claims no lock to release",
    async (argv) => {
      const dir = tempDir();
      fifo(dir);
      writeFileSync(join(dir, "titan.yaml"), "name: web\nimage: nginx:1.27\nregions: { r: 1 }\n");
      const titan = titanProcess(argv, {
        cwd: dir,
        vars: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") },
      });
      await new Promise((resolve) => setTimeout(resolve, 700));
      titan.child.kill("SIGTERM");
      const code = await Promise.race([
        titan.exit,
        new Promise<string>((resolve) => setTimeout(() => resolve("still waiting"), 3000)),
      ]);
      if (code === "still waiting") titan.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(titan.stderr()).not.toContain("releasing the lock");
      expect(code).toBe(130);
    },
  );
});
