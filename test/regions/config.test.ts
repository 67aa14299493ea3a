import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

function home() {
  const dir = tempDir();
  return { dir, env: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") } };
}

async function ok(env: Record<string, string>, argv: string[]): Promise<void> {
  const result = await runCli(argv, { env });
  if (result.code !== 0) throw new Error(`titan ${argv.join(" ")}: ${result.stderr}`);
}

describe("a context that spans regions", () => {
  it("is written by set-context --regions and read back", async () => {
    const { env } = home();
    await ok(env, ["config", "set-cluster", "east", "--master", "http://127.0.0.1:1"]);
    await ok(env, ["config", "set-cluster", "west", "--master", "http://127.0.0.1:2"]);
    await ok(env, ["config", "set-region", "us-east", "--cluster", "east"]);
    await ok(env, ["config", "set-region", "eu-west", "--cluster", "west"]);
    await ok(env, ["config", "set-context", "prod", "--regions", "us-east,eu-west", "--use"]);
    const view = await runCli(["config", "view", "--json"], { env });
    expect(JSON.parse(view.stdout).contexts.prod).toEqual({ regions: ["us-east", "eu-west"] });
    // A command that acts on one cluster asks which region.
    const one = await runCli(["releases", "api"], { env });
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('context "prod" spans regions us-east, eu-west: this command acts on one');
    expect(one.stderr).toContain("pass --region with one of: us-east, eu-west");
  });

  it("names an unmapped region with its place in the file", async () => {
    const { dir, env } = home();
    writeFileSync(
      join(dir, "config.yaml"),
      "clusters:\n  east: { masters: [http://127.0.0.1:1] }\nregions:\n  us-east: east\ncontexts:\n  prod: { regions: [us-east, eu-wset] }\n",
      { mode: 0o600 },
    );
    const result = await runCli(["context", "list"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /config\.yaml:6:\d+.*contexts\.prod\.regions\[1\].*region "eu-wset" is not mapped to a cluster/,
    );
  });

  it("refuses to plan or deploy over regions that keep their releases in one state store", async () => {
    const { dir, env } = home();
    await ok(env, ["config", "set-cluster", "one", "--master", "http://127.0.0.1:1"]);
    await ok(env, [
      "config",
      "set-cluster",
      "same",
      "--master",
      "http://127.0.0.1:1",
      "--state",
      "file:///x/s",
    ]);
    await ok(env, [
      "config",
      "set-cluster",
      "other",
      "--master",
      "http://127.0.0.1:1",
      "--state",
      "file:///x/s",
    ]);
    await ok(env, ["config", "set-region", "us-east", "--cluster", "one"]);
    await ok(env, ["config", "set-region", "eu-west", "--cluster", "one"]);
    await ok(env, ["config", "set-context", "prod", "--regions", "us-east,eu-west", "--use"]);
    const file = join(dir, "api.yaml");
    writeFileSync(file, "name: api\nshell: sleep 60\nregions: { us-east: 1, eu-west: 1 }\n");
    for (const command of ["plan", "deploy"]) {
      const result = await runCli([command, "-f", file, "--yes"].slice(0, command === "plan" ? 3 : 4), {
        env,
      });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        "error: regions us-east and eu-west keep their releases in one state store (cluster one's)",
      );
      expect(result.stderr).toContain("hint: map eu-west to a cluster with a state store of its own");
    }
    // Two clusters that name one state store are one store too; the same masters with their own stores are not.
    await ok(env, ["config", "set-region", "us-east", "--cluster", "same"]);
    await ok(env, ["config", "set-region", "eu-west", "--cluster", "other"]);
    const shared = await runCli(["plan", "-f", file], { env });
    expect(shared.stderr).toContain(
      "regions us-east and eu-west keep their releases in one state store (file:///x/s)",
    );
    await ok(env, ["config", "set-cluster", "two", "--master", "http://127.0.0.1:1"]);
    await ok(env, ["config", "set-region", "us-east", "--cluster", "one"]);
    await ok(env, ["config", "set-region", "eu-west", "--cluster", "two"]);
    const apart = await runCli(["plan", "-f", file], { env });
    expect(apart.stderr).not.toContain("one state store");
  });

  it("knows one state store however its URL is spelt: a trailing slash, doubled slashes, a link, zk host order", async () => {
    const { dir, env } = home();
    const store = join(dir, "store");
    mkdirSync(store);
    symlinkSync(store, join(dir, "linked"));
    const file = join(dir, "api.yaml");
    writeFileSync(file, "name: api\nshell: sleep 60\nregions: { us-east: 1, eu-west: 1 }\n");
    await ok(env, ["config", "set-cluster", "east", "--master", "http://127.0.0.1:1"]);
    await ok(env, ["config", "set-cluster", "west", "--master", "http://127.0.0.1:1"]);
    await ok(env, ["config", "set-region", "us-east", "--cluster", "east"]);
    await ok(env, ["config", "set-region", "eu-west", "--cluster", "west"]);
    await ok(env, ["config", "set-context", "prod", "--regions", "us-east,eu-west", "--use"]);
    const spellings: Array<[string, string, string]> = [
      [`file://${store}`, `file://${store}/`, `file://${store} and file://${store}/ are one store`],
      [`file://${store}`, `file:///${store}`, "are one store"],
      [`file://${store}`, `file://${dir}/./linked`, "are one store"],
      [`file://${dir}/new`, `file://${dir}/linked/../new/`, "are one store"],
      ["zk://zk1:2181,zk2:2181/titan", "zk://ZK2,zk3:2181/titan/", "are one store"],
    ];
    for (const [east, west, said] of spellings) {
      await ok(env, ["config", "set-cluster", "east", "--master", "http://127.0.0.1:1", "--state", east]);
      await ok(env, ["config", "set-cluster", "west", "--master", "http://127.0.0.1:1", "--state", west]);
      const result = await runCli(["plan", "-f", file], { env });
      expect(result.code, `${east} ${west}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(
        "error: regions us-east and eu-west keep their releases in one state store",
      );
      expect(result.stderr).toContain(said);
    }
    await ok(env, [
      "config",
      "set-cluster",
      "west",
      "--master",
      "http://127.0.0.1:1",
      "--state",
      "zk://zk1/other",
    ]);
    const apart = await runCli(["plan", "-f", file], { env });
    expect(apart.stderr).not.toContain("one state store");
  });

  it("refuses to plan apps whose regions are not all mapped", async () => {
    const { dir, env } = home();
    await ok(env, ["config", "set-cluster", "east", "--master", "http://127.0.0.1:1"]);
    await ok(env, ["config", "set-region", "us-east", "--cluster", "east"]);
    await ok(env, ["config", "set-context", "prod", "--cluster", "east", "--use"]);
    const file = join(dir, "api.yaml");
    writeFileSync(file, "name: api\nshell: sleep 60\nregions: { us-east: 1, eu-west: 1 }\n");
    const result = await runCli(["plan", "-f", file], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "the apps run in regions us-east, eu-west, and eu-west is not mapped to a cluster",
    );
  });

  it("names the regions once when none of them is mapped", async () => {
    const { dir, env } = home();
    await ok(env, ["config", "set-cluster", "east", "--master", "http://127.0.0.1:1"]);
    await ok(env, ["config", "set-context", "prod", "--cluster", "east", "--use"]);
    const file = join(dir, "api.yaml");
    writeFileSync(file, "name: api\nshell: sleep 60\nregions: { us-east: 1, eu-west: 1 }\n");
    const result = await runCli(["plan", "-f", file], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: the apps run in regions us-east, eu-west, and none of them is mapped to a cluster$/m,
    );
    expect(result.stderr).toContain("hint: map each region to its cluster (titan config set-region us-east");
  });
});
