import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ContainerLaunchError, ImageContainers } from "../../src/local/agent/container-image-containers.js";
import { parsePullTarget } from "../../src/local/agent/container-image-name.js";
import { unpackRootfs } from "../../src/local/agent/container-layers.js";
import { ImagePuller, PullError } from "../../src/local/agent/container-puller.js";
import {
  containerEnvironment,
  LaunchCommandError,
  launchArgv,
} from "../../src/local/agent/container-runtime-config.js";
import { startServer } from "../support/registry.js";
import { tempDir } from "../support/tmp.js";

function layer(
  dir: string,
  name: string,
  files: Record<string, string>,
): { digest: string; mediaType: string; path: string } {
  const root = join(dir, `${name}-src`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const path = join(dir, `${name}.tar.gz`);
  execFileSync("tar", ["-czf", path, "-C", root, "."]);
  return { digest: "sha256:unused", mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", path };
}

describe("layers and the runtime config", () => {
  it("applies whiteouts and opaque directories of upper layers to what the lower ones unpacked", async () => {
    const dir = tempDir();
    const lower = layer(dir, "lower", { "a/x": "x", "a/y": "y", "b/old": "old", "c/keep": "keep" });
    const upper = layer(dir, "upper", {
      "a/.wh.x": "",
      "b/.wh..wh..opq": "",
      "b/new": "new",
      "c/more": "more",
    });
    const rootfs = join(dir, "rootfs");
    await unpackRootfs(rootfs, [lower, upper], new AbortController().signal);
    expect(readdirSync(join(rootfs, "a"))).toEqual(["y"]);
    expect(readdirSync(join(rootfs, "b"))).toEqual(["new"]);
    expect(readdirSync(join(rootfs, "c")).sort()).toEqual(["keep", "more"]);
  });

  it("removes a rootfs whose unpacking failed", async () => {
    const dir = tempDir();
    const broken = join(dir, "broken.tar.gz");
    writeFileSync(broken, "not a tar");
    const rootfs = join(dir, "rootfs");
    await expect(
      unpackRootfs(
        rootfs,
        [{ digest: "sha256:x", mediaType: "", path: broken }],
        new AbortController().signal,
      ),
    ).rejects.toThrow(/tar/);
    expect(readdirSync(dir)).toEqual(["broken.tar.gz"]);
  });

  it("follows the docker/runtime isolator's entrypoint and cmd table", () => {
    const image = { Entrypoint: ["/bin/server", "--flag"], Cmd: ["--port", "80"] };
    expect(launchArgv({ shell: false }, image)).toEqual(["/bin/server", "--flag", "--port", "80"]);
    expect(launchArgv({ shell: false, arguments: ["--port", "90"] }, image)).toEqual([
      "/bin/server",
      "--flag",
      "--port",
      "90",
    ]);
    expect(launchArgv({ shell: false, value: "/bin/other", arguments: ["other", "a"] }, image)).toEqual([
      "/bin/other",
      "a",
    ]);
    expect(launchArgv({ shell: true, value: "echo hi" }, image)).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(launchArgv({ shell: false }, { Cmd: ["/bin/sh", "-c", "x"] })).toEqual(["/bin/sh", "-c", "x"]);
    expect(launchArgv({ shell: false, arguments: ["y"] }, { Cmd: ["/bin/sh", "-c", "x"] })).toEqual([
      "/bin/sh",
      "y",
    ]);
    expect(() => launchArgv({ shell: false }, {})).toThrow(new LaunchCommandError("No executable is found"));
    expect(() => launchArgv({ shell: true }, image)).toThrow("Shell specified but no command value provided");
  });

  it("merges the image's Env under the task's and points MESOS_SANDBOX into the container", () => {
    const env = containerEnvironment(
      { Env: ["PATH=/bin", "A=image", "B=image"] },
      { B: "task", MESOS_SANDBOX: "/host/x" },
    );
    expect(env).toEqual({ PATH: "/bin", A: "image", B: "task", MESOS_SANDBOX: "/mnt/mesos/sandbox" });
  });

  it("fails image tasks as an agent without the docker image provider does when runc or root is missing", async () => {
    const noRunc = new ImageContainers(tempDir(), "/nonexistent", 0);
    expect(noRunc.missing).toBe("runc is not installed (apt-get install runc), so image tasks cannot run");
    const notRoot = new ImageContainers(tempDir(), process.env.PATH, 1000);
    expect(notRoot.missing).toContain("not running as root");
    await expect(
      noRunc.provision({
        image: "x",
        containerId: "c",
        command: {},
        taskEnv: {},
        sandbox: tempDir(),
        account: undefined,
        log: () => undefined,
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(new ContainerLaunchError("Unsupported container image type: DOCKER"));
  });

  it("reads image names as the agent's docker store does", () => {
    expect(parsePullTarget("busybox")).toEqual({
      registry: "registry-1.docker.io",
      repository: "library/busybox",
      reference: "latest",
    });
    expect(parsePullTarget("127.0.0.1:5000/team/app:1.2")).toEqual({
      registry: "127.0.0.1:5000",
      repository: "team/app",
      reference: "1.2",
    });
    expect(parsePullTarget(`localhost/app:1@sha256:${"a".repeat(64)}`)).toEqual({
      registry: "localhost",
      repository: "app",
      reference: `sha256:${"a".repeat(64)}`,
    });
  });
});

describe("the agent's image puller", () => {
  it("refuses a manifest larger than 4 MiB as soon as it is, whether or not the registry says its length", async () => {
    let sent = 0;
    const { url } = await startServer((req, res) => {
      const chunked = req.url?.includes("chunked") ?? false;
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        ...(chunked ? {} : { "content-length": String(64 << 20) }),
      });
      // 64 MiB in 1 MiB pieces, as fast as the agent reads them.
      const piece = Buffer.alloc(1 << 20, 0x20);
      const more = () => {
        while (sent < 64 && !res.destroyed) {
          sent++;
          if (!res.write(piece)) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    });
    const puller = new ImagePuller(tempDir("titan-store-"));
    const host = new URL(url).host;
    for (const tag of ["declared", "chunked"]) {
      sent = 0;
      await expect(
        puller.pull(parsePullTarget(`${host}/team/big:${tag}`), new AbortController().signal),
      ).rejects.toThrow(new PullError(`The manifest for '${tag}' is larger than 4 MiB`));
      expect(sent).toBeLessThan(64);
    }
  });

  it("refuses a token server's answer larger than 1 MiB as soon as it is, with the URL it asked", async () => {
    let sent = 0;
    const { url } = await startServer((req, res) => {
      const path = req.url ?? "";
      if (path.startsWith("/v2/")) {
        const realm = `${url}/token${path.includes("chunked") ? "/chunked" : ""}`;
        res.writeHead(401, { "www-authenticate": `Bearer realm="${realm}",service="registry.test"` });
        return void res.end();
      }
      res.writeHead(200, {
        "content-type": "application/json",
        ...(path.startsWith("/token/chunked") ? {} : { "content-length": String(64 << 20) }),
      });
      // A token that never ends: 64 MiB in 1 MiB pieces, as fast as the agent reads them.
      res.write('{"token":"');
      const piece = Buffer.alloc(1 << 20, 0x61);
      const more = () => {
        while (sent < 64 && !res.destroyed) {
          sent++;
          if (!res.write(piece)) return void res.once("drain", more);
        }
        res.end('"}');
      };
      more();
    });
    const puller = new ImagePuller(tempDir("titan-store-"));
    const host = new URL(url).host;
    for (const tag of ["declared", "chunked"]) {
      sent = 0;
      const realm = `${url}/token${tag === "chunked" ? "/chunked" : ""}`;
      const asked = `${realm}?service=registry.test&scope=repository%3Ateam%2Fbig%3Apull`;
      await expect(
        puller.pull(parsePullTarget(`${host}/team/big:${tag}`), new AbortController().signal),
      ).rejects.toThrow(new PullError(`The response to GET '${asked}' is larger than 1 MiB`));
      expect(sent).toBeLessThan(64);
    }
  });

  it("fails a token server that cannot be reached naming its URL, never the realm's own query", async () => {
    const closed = await startServer(() => {});
    const realm = `${closed.url}/token?access_token=s3cret`;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const { url } = await startServer((_req, res) => {
      res.writeHead(401, { "www-authenticate": `Bearer realm="${realm}",service="registry.test"` });
      res.end();
    });
    const puller = new ImagePuller(tempDir("titan-store-"));
    const asked = `${closed.url}/token?service=registry.test&scope=repository%3Ateam%2Fapp%3Apull`;
    await expect(
      puller.pull(parsePullTarget(`${new URL(url).host}/team/app:1`), new AbortController().signal),
    ).rejects.toThrow(new PullError(`Failed to reach the auth service '${asked}': ECONNREFUSED`));
  });

  it("fails a token server's answer that is not JSON as the agent does", async () => {
    const { url } = await startServer((req, res) => {
      if (req.url?.startsWith("/v2/")) {
        res.writeHead(401, { "www-authenticate": `Bearer realm="${url}/token"` });
        return void res.end();
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>sign in</html>");
    });
    const puller = new ImagePuller(tempDir("titan-store-"));
    await expect(
      puller.pull(parsePullTarget(`${new URL(url).host}/team/app:1`), new AbortController().signal),
    ).rejects.toThrow(/^Parsing the JSON object failed: /);
  });
});
