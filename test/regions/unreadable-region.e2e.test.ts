import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

describe("a region whose credentials cannot be read, beside regions that can", () => {
  it("is noted alone by ps, status and logs: the other regions are still shown", async () => {
    const { h } = await threeRegions();
    const file = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    expect((await titan(["deploy", "-f", file, "--yes"], h)).code).toBe(0);
    // ap-south's cluster now asks for a secret from a variable nobody set.
    const config = join(h.vars.XDG_CONFIG_HOME ?? "", "titan", "config.yaml");
    const text = readFileSync(config, "utf8").replace(
      /ap-south-cluster: \{ masters: \[(\S+)\] \}/,
      "ap-south-cluster: { masters: [$1], auth: { principal: titan, secret: env:UNREADABLE_REGION_SECRET } }",
    );
    expect(text).toContain("UNREADABLE_REGION_SECRET");
    writeFileSync(config, text, { mode: 0o600 });
    const run = (argv: string[]) => runCli(argv, { env: h.vars, cwd: h.cwd });

    const ps = await run(["ps"]);
    expect(ps.code).toBe(1);
    expect(ps.stdout).toMatch(
      /region ap-south · [^\n]*\n\s+unavailable: secret env:UNREADABLE_REGION_SECRET is not set/,
    );
    expect(ps.stdout).toMatch(/region us-east · [^\n]*\n\nweb {2}desired 1 {2}running 1/);

    const status = await run(["status", "web"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^ap-south: unavailable: secret env:UNREADABLE_REGION_SECRET is not set/m);
    expect(status.stdout).toMatch(/^us-east: /m);

    const logs = await run(["logs", "web"]);
    expect(logs.stderr).toContain("region ap-south: secret env:UNREADABLE_REGION_SECRET is not set");
    // A read without -f asks each region once: it does not say it retries.
    expect(logs.stderr).not.toContain("retrying");
    expect(logs.stdout).toMatch(/^us-east web\[0\] agent-\d\.local (out )?\| serving 1$/m);
    expect(logs.stdout).toMatch(/^eu-west web\[0\] agent-\d\.local (out )?\| serving 1$/m);
  }, 60_000);

  it("is a config error for plan and deploy (exit 2, naming the secret's file), not an unreachable region", async () => {
    const { h } = await threeRegions();
    const file = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    const secret = join(h.cwd, "no-such-secret");
    const config = join(h.vars.XDG_CONFIG_HOME ?? "", "titan", "config.yaml");
    const text = readFileSync(config, "utf8").replace(
      /ap-south-cluster: \{ masters: \[(\S+)\] \}/,
      `ap-south-cluster: { masters: [$1], auth: { principal: titan, secret: "file:${secret}" } }`,
    );
    expect(text).toContain(secret);
    writeFileSync(config, text, { mode: 0o600 });
    for (const argv of [
      ["plan", "-f", file],
      ["deploy", "-f", file, "--yes"],
    ]) {
      const result = await runCli(argv, { env: h.vars, cwd: h.cwd });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        `error: region ap-south: secret file:${secret} cannot be read (ENOENT)`,
      );
      expect(result.stderr).toContain("cluster ap-south-cluster names it in the titan config");
      expect(result.stderr).not.toContain("cannot be reached");
      expect(result.stderr).not.toContain("--skip-region");
    }
  }, 60_000);
});
