import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

function setup(content?: string): { env: Record<string, string>; file: string; dir: string } {
  const dir = tempDir();
  const file = join(dir, "config.yaml");
  if (content !== undefined) writeFileSync(file, content, { mode: 0o600 });
  return {
    env: { TITAN_CONFIG: file, XDG_DATA_HOME: join(dir, "data"), TITAN_STATE_DIR: join(dir, "state") },
    file,
    dir,
  };
}

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("config values checked when written", () => {
  it("names the flag, not a line of a file never written, for a region's unknown cluster", async () => {
    const { env, file } = setup();
    const r = await runCli(["config", "set-region", "us-east", "--cluster", "nosuch"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --cluster: cluster "nosuch" is not defined');
    expect(r.stderr).toContain("hint: define it first: titan config set-cluster nosuch --master URL");
    expect(r.stderr).not.toMatch(/config\.yaml:\d+/);
    expect(existsSync(file)).toBe(false);
  });

  it("names --cluster, --region and --regions of set-context", async () => {
    const { env } = setup(
      "clusters:\n  prod: { masters: [http://10.0.0.1:5050] }\nregions:\n  us-east: prod\n",
    );
    const cases: Array<[string[], string]> = [
      [["--cluster", "prd"], '--cluster: cluster "prd" is not defined'],
      [["--region", "us-esat"], '--region: region "us-esat" is not mapped to a cluster'],
      [["--regions", "us-east,eu-west"], '--regions: region "eu-west" is not mapped to a cluster'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(["config", "set-context", "c", ...flags], { env });
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.stderr).toContain(`error: ${message}`);
      expect(r.stderr).toContain("hint: ");
      expect(r.stderr).not.toMatch(/config\.yaml:\d+/);
    }
  });

  it.each([
    [["--regions", ""], "error: --regions names no region"],
    [["--regions", " , "], "error: --regions names no region"],
    [["--regions", "us-east,eu-west,us-east"], "error: --regions names us-east twice"],
  ])("refuses set-context %j and writes nothing", async (flags, message) => {
    const config =
      "clusters:\n  prod: { masters: [http://10.0.0.1:5050] }\nregions:\n  us-east: prod\n  eu-west: prod\n";
    const { env, file } = setup(config);
    const r = await runCli(["config", "set-context", "y", ...flags], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("hint: e.g. --regions us-east,eu-west");
    expect(readFileSync(file, "utf8")).toBe(config);
  });

  it("reports a context whose regions list is empty in the file, rather than a blank list of regions", async () => {
    const { env } = setup(
      "clusters:\n  prod: { masters: [http://10.0.0.1:5050] }\nregions:\n  us-east: prod\ncontexts:\n  y: { regions: [] }\ncurrent_context: y\n",
    );
    const r = await runCli(["ps"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.yaml:6:\d+: error: contexts\.y\.regions: the list names no region/);
    expect(r.stderr).not.toContain("one of: \n");
  });

  it.each([
    [["set-context", "local", "--cluster", "c1"], "context"],
    [["set-cluster", "local", "--master", "http://10.0.0.2:5050"], "cluster"],
  ])(
    "refuses to hide the built-in local with config %j, so `context use local` still leads back",
    async (argv, kind) => {
      const config = "clusters:\n  c1: { masters: [http://10.0.0.1:5050] }\n";
      const { env, file } = setup(config);
      const r = await runCli(["config", ...argv], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `error: the ${kind} "local" is built in: your own local cluster, which \`titan context use local\` leads back to`,
      );
      expect(r.stderr).toContain("hint: give yours another name");
      expect(readFileSync(file, "utf8")).toBe(config);
      const use = await runCli(["context", "use", "local"], { env });
      expect(use.code).toBe(0);
      const show = await runCli(["context", "show", "--json"], { env });
      expect(JSON.parse(show.stdout)).toMatchObject({
        context: "local",
        cluster: { name: "local", builtin: true },
      });
    },
  );

  it.each([
    ["contexts:\n  local: { cluster: c1 }\n", "contexts.local"],
    ["clusters:\n  local: { masters: [http://10.0.0.2:5050] }\n", "clusters.local"],
  ])("reports a hand-written %j at its line", async (extra, path) => {
    const { env } = setup(
      `clusters:\n  c1: { masters: [http://10.0.0.1:5050] }\n${extra.startsWith("clusters") ? extra.replace("clusters:\n", "") : extra}`,
    );
    const r = await runCli(["context", "list"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`config\\.yaml:\\d+:\\d+: error: ${path.replace(".", "\\.")}: the \\w+ "local" is built in`),
    );
  });

  it("names the flag of a bad set-cluster value and writes nothing", async () => {
    const { env, file } = setup();
    const r = await runCli(
      ["config", "set-cluster", "p", "--master", "http://10.0.0.1:5050", "--role", "a b"],
      {
        env,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --role: "a b" is not a role/m);
    expect(r.stderr).toContain("nothing was written");
    expect(existsSync(file)).toBe(false);
  });

  it("refuses a file:// state URL that names no absolute directory", async () => {
    const { env, file } = setup();
    const r = await runCli(
      ["config", "set-cluster", "rel", "--master", "http://10.0.0.1:5050", "--state", "file://relative/x"],
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: --state: "file://relative/x" does not name a directory on this machine',
    );
    expect(r.stderr).toContain("hint: write file:///absolute/path, with three slashes");
    expect(r.stderr).not.toContain("internal error");
    expect(existsSync(file)).toBe(false);
  });

  it("reports such a state URL already in a config file by its line, not as an internal error", async () => {
    const { env } = setup(
      "clusters:\n  rel: { masters: [http://10.0.0.1:5050], state: file://relative/x }\ncontexts:\n  rel: { cluster: rel }\ncurrent_context: rel\n",
    );
    const r = await runCli(["state", "export"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /config\.yaml:2:\d+: error: clusters\.rel\.state: "file:\/\/relative\/x" does not name/,
    );
    expect(r.stderr).not.toContain("internal error");
  });

  it("checks --ca-file when it is written and keeps it as an absolute path", async () => {
    const { env, file, dir } = setup();
    const missing = await runCli(
      [
        "config",
        "set-cluster",
        "tls",
        "--master",
        "https://10.0.0.1:5050",
        "--ca-file",
        "/nonexistent/ca.pem",
      ],
      { env },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: --ca-file: cannot read /nonexistent/ca.pem (ENOENT)");
    expect(missing.stderr).toContain("hint: ");
    expect(existsSync(file)).toBe(false);

    writeFileSync(join(dir, "not-pem.txt"), "hello\n");
    const notPem = await runCli(
      ["config", "set-cluster", "tls", "--master", "https://10.0.0.1:5050", "--ca-file", "not-pem.txt"],
      { env, cwd: dir },
    );
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain("error: --ca-file: not-pem.txt is not a PEM bundle");

    writeFileSync(join(dir, "ca.pem"), CA);
    const ok = await runCli(
      ["config", "set-cluster", "tls", "--master", "https://10.0.0.1:5050", "--ca-file", "ca.pem"],
      { env, cwd: dir },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toContain(`ca_file: ${join(dir, "ca.pem")}`);
  });
});

describe("a current_context that names no context", () => {
  const broken =
    "clusters:\n  one: { masters: [http://10.0.0.1:5050] }\ncontexts:\n  a: { cluster: one }\ncurrent_context: nosuch\n";

  it("points at `titan context use`, which repairs it", async () => {
    const { env, file } = setup(broken);
    const list = await runCli(["context", "list"], { env });
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("titan context use local");

    const use = await runCli(["context", "use", "local"], { env });
    expect(use.code, use.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("current_context: local");
    expect((await runCli(["context", "list"], { env })).code).toBe(0);
  });

  it("is repaired by set-context --use too, and still refused by an edit that leaves it", async () => {
    const { env } = setup(broken);
    const other = await runCli(["config", "set-region", "r", "--cluster", "one"], { env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('error: current_context: context "nosuch" is not defined');

    const fixed = await runCli(["config", "set-context", "nosuch", "--cluster", "one", "--use"], { env });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((await runCli(["context", "list"], { env })).code).toBe(0);
  });
});
