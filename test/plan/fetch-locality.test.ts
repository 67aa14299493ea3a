import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests } from "../../src/manifest/index.js";
import { clusterIsRemote, fileFetches, isLoopbackHost } from "../../src/plan/fetch-locality.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const manifest = `name: web
shell: ./server.sh
fetch:
  - server.sh
  - /opt/shared/tool
  - https://example.com/assets.tgz
`;

describe("where a file:// fetch is read", () => {
  it("knows loopback masters from others", () => {
    for (const host of ["127.0.0.1", "127.4.5.6", "localhost", "[::1]", "api.localhost"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["10.0.0.5", "mesos.example.com", "128.0.0.1", "[::2]"])
      expect(isLoopbackHost(host), host).toBe(false);
    expect(clusterIsRemote(["http://127.0.0.1:5050"])).toBe(false);
    expect(clusterIsRemote(["http://127.0.0.1:5050", "https://m2.example.com:5050"])).toBe(true);
  });

  it("tells a file next to the manifest (this machine's) from an agent path", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "titan.yaml"), manifest);
    const { apps } = await loadManifests(["titan.yaml"], { cwd: dir });
    expect(fileFetches(apps, dir).map((f) => [f.uri.replace(dir, "DIR"), f.nextToManifest])).toEqual([
      ["file://DIR/server.sh", true],
      ["file:///opt/shared/tool", false],
    ]);
  });

  it("deploy refuses a file of this machine for a cluster elsewhere, before contacting it", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "titan.yaml"), manifest);
    // 192.0.2.0/24 is TEST-NET-1: never routed, so any attempt to reach it would hang rather than pass.
    const r = await runCli(["deploy", "-f", "titan.yaml", "--master", "http://192.0.2.10:5050", "--yes"], {
      cwd: dir,
      env: { XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: web fetches file:\/\/.+\/server\.sh, a file next to the manifest on this machine/,
    );
    expect(r.stderr).toContain("Failed to fetch all URIs");
    expect(r.stderr).toContain("hint: serve the file over http(s)");
  });
});

describe("the manifest's fetch warnings", () => {
  const agentDisk = "name: web\nshell: ./tool\nfetch:\n  - file:///opt/shared/tool\n";
  const where =
    'titan.yaml:4:5: warning: fetch[0]: "file:///opt/shared/tool" is read from each agent\'s own disk';

  function project(): { dir: string; env: Record<string, string> } {
    const dir = tempDir();
    writeFileSync(join(dir, "titan.yaml"), agentDisk);
    return { dir, env: { XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") } };
  }

  it("are printed by validate, plan and deploy alike, each once", async () => {
    const { dir, env } = project();
    const validate = await runCli(["validate", "-f", "titan.yaml"], { cwd: dir, env });
    expect(validate.code).toBe(0);
    const warning = validate.stderr.split("\n").find((l) => l.startsWith(where)) ?? "";
    expect(warning).toContain("(hint: that works for paths every agent has");
    const snapshot = join(import.meta.dirname, "..", "..", "fixtures", "snapshots", "us-east.json");
    const plan = await runCli(["plan", "--dry-run", "-f", "titan.yaml", "--snapshot", snapshot], {
      cwd: dir,
      env,
    });
    expect(plan.stderr).toContain(warning);
    // Unroutable (TEST-NET-1) and refused before it is contacted: the warning comes first, the refusal after.
    const refused = `name: web\nshell: ./server.sh\nfetch:\n  - file:///opt/shared/tool\n  - server.sh\n`;
    writeFileSync(join(dir, "titan.yaml"), refused);
    const deploy = await runCli(
      ["deploy", "-f", "titan.yaml", "--master", "http://192.0.2.10:5050", "--yes"],
      { cwd: dir, env },
    );
    expect(deploy.code).toBe(2);
    const lines = deploy.stderr.split("\n");
    expect(lines.filter((l) => l.includes("/opt/shared/tool"))).toEqual([warning]);
    expect(lines.indexOf(warning)).toBeLessThan(lines.findIndex((l) => l.startsWith("error:")));
  });
});
