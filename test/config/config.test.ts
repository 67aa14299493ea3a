import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

function setup(content?: string): { env: Record<string, string>; file: string } {
  const dir = tempDir();
  const file = join(dir, "config.yaml");
  if (content !== undefined) writeFileSync(file, content);
  return {
    env: { TITAN_CONFIG: file, XDG_DATA_HOME: join(dir, "data"), TITAN_STATE_DIR: join(dir, "state") },
    file,
  };
}

describe("contexts", () => {
  it("has the built-in local context without any config file", async () => {
    const { env } = setup();
    const r = await runCli(["context", "list", "--json"], { env });
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as {
      current: string;
      contexts: Array<{ name: string; masters: string[] }>;
    };
    expect(parsed.current).toBe("local");
    expect(parsed.contexts).toEqual([
      expect.objectContaining({ name: "local", masters: ["http://127.0.0.1:5050"] }),
    ]);
  });

  it("creates a cluster, a region and a context, switches to it and resolves it", async () => {
    const { env, file } = setup();
    expect(
      (
        await runCli(
          [
            "config",
            "set-cluster",
            "prod-us-east",
            "--master",
            "https://m1:5050,https://m2:5050",
            "--principal",
            "titan",
            "--secret",
            "env:MESOS_SECRET",
            "--user",
            "svc-titan",
          ],
          { env },
        )
      ).code,
    ).toBe(0);
    expect(
      (await runCli(["config", "set-region", "us-east", "--cluster", "prod-us-east"], { env })).code,
    ).toBe(0);
    expect(
      (await runCli(["config", "set-context", "prod", "--region", "us-east", "--use"], { env })).code,
    ).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const shown = await runCli(["context", "show", "--json"], { env: { ...env, MESOS_SECRET: "hunter2" } });
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain("hunter2");
    const target = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(target).toMatchObject({
      context: "prod",
      context_from: "config",
      region: "us-east",
      masters: ["https://m1:5050", "https://m2:5050"],
      masters_from: "config",
      cluster: {
        name: "prod-us-east",
        user: "svc-titan",
        auth: { principal: "titan", secret: "env:MESOS_SECRET" },
      },
    });
  });

  it("applies flags over TITAN_* environment over the config file", async () => {
    const { env } = setup(
      "current_context: a\nclusters:\n  one: { masters: [http://10.0.0.1:5050] }\n  two: { masters: [http://10.0.0.2:5050] }\ncontexts:\n  a: { cluster: one }\n  b: { cluster: two }\n",
    );
    const fromConfig = JSON.parse((await runCli(["context", "show", "--json"], { env })).stdout) as {
      masters: string[];
    };
    expect(fromConfig.masters).toEqual(["http://10.0.0.1:5050"]);
    const fromEnv = JSON.parse(
      (await runCli(["context", "show", "--json"], { env: { ...env, TITAN_CONTEXT: "b" } })).stdout,
    ) as {
      context: string;
      masters: string[];
    };
    expect(fromEnv).toMatchObject({ context: "b", masters: ["http://10.0.0.2:5050"] });
    const fromFlag = JSON.parse(
      (
        await runCli(["context", "show", "a", "--master", "http://10.9.9.9:5050", "--json"], {
          env: { ...env, TITAN_CONTEXT: "b", TITAN_MASTER: "http://10.8.8.8:5050" },
        })
      ).stdout,
    ) as { context: string; masters: string[]; masters_from: string };
    expect(fromFlag).toMatchObject({ context: "a", masters: ["http://10.9.9.9:5050"], masters_from: "flag" });
    const masterFromEnv = JSON.parse(
      (await runCli(["context", "show", "--json"], { env: { ...env, TITAN_MASTER: "http://10.8.8.8:5050" } }))
        .stdout,
    ) as {
      masters_from: string;
    };
    expect(masterFromEnv.masters_from).toBe("environment");
  });

  it("keeps the user's comments when editing", async () => {
    const { env, file } = setup(
      "# my clusters\nclusters:\n  one: { masters: [http://10.0.0.1:5050] } # primary\n",
    );
    expect((await runCli(["context", "use", "local"], { env })).code).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("# my clusters");
    expect(text).toContain("# primary");
    expect(text).toContain("current_context: local");
  });

  it("refuses an unknown context with a did-you-mean hint and exit 2", async () => {
    const { env } = setup(
      "clusters:\n  one: { masters: [http://10.0.0.1:5050] }\ncontexts:\n  production: { cluster: one }\n",
    );
    const r = await runCli(["context", "use", "prodution"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('context "prodution" is not defined');
    expect(r.stderr).toContain('did you mean "production"?');
  });

  it("refuses a plain-text secret and leaves the file untouched", async () => {
    const { env, file } = setup("clusters: {}\n");
    const r = await runCli(
      ["config", "set-cluster", "x", "--master", "http://a:5050", "--principal", "p", "--secret", "hunter2"],
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("hunter2");
    expect(readFileSync(file, "utf8")).toBe("clusters: {}\n");
  });

  it("reports every error in a broken config with file:line:col and a hint", async () => {
    const { env, file } = setup(
      [
        "clusters:",
        "  one:",
        "    mastres: [http://10.0.0.1:5050]",
        "  two:",
        "    masters: [ftp://x]",
        "    auth: { principal: p, secret: plaintext }",
        '    user: "not a user"',
        "    containerizer: runc",
        "    secrets: vault",
        "contexts:",
        "  a: { cluster: tree }",
        "current_context: nope",
      ].join("\n"),
    );
    const r = await runCli(["context", "list"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${file}:3:5: error: clusters.one.mastres: unknown key "mastres" (hint: did you mean "masters"?)`,
    );
    expect(r.stderr).toContain(
      `${file}:5:15: error: clusters.two.masters[0]: "ftp://x" must use http or https`,
    );
    expect(r.stderr).toContain("clusters.two.auth.secret");
    expect(r.stderr).toContain(
      `${file}:7:11: error: clusters.two.user: "not a user" is not a Unix user name`,
    );
    expect(r.stderr).toContain(
      `${file}:8:20: error: clusters.two.containerizer: containerizer "runc" is not mesos or docker`,
    );
    expect(r.stderr).toContain(
      `${file}:9:14: error: clusters.two.secrets: secrets "vault" is not mesos or none`,
    );
    expect(r.stderr).toContain('cluster "tree" is not defined');
    expect(r.stderr).toContain('context "nope" is not defined');
    expect(r.stderr).not.toContain("plaintext\n");
  });

  it("views the built-in local context when there is no config file yet, and says so", async () => {
    const { env } = setup();
    const r = await runCli(["config", "view"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("no config file yet at");
    expect(r.stdout).toContain("current_context: local\n");
    expect(r.stdout).toContain("    masters: [http://127.0.0.1:5050]\n");
    expect(r.stdout).toMatch(/^ {4}state: file:\/\/.+\/titan\/state\/local$/m);
    const { parse } = await import("yaml");
    expect(parse(r.stdout)).toMatchObject({
      current_context: "local",
      contexts: { local: { cluster: "local" } },
    });
  });

  it("refuses YAML aliases and duplicate keys in the config", async () => {
    const { env } = setup("clusters:\n  one: &a { masters: [http://10.0.0.1:5050] }\n  two: *a\n  one: {}\n");
    const r = await runCli(["config", "view"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unique|duplicate/i);
  });

  it("explains YAML mistakes in the config as in a manifest: the line that is off, in words, with a hint", async () => {
    const cases: Array<[string, string]> = [
      [
        "clusters:\n\tprod:\n    masters: [http://10.0.0.1:5050]\n",
        ":2:1: error: a tab is used for indentation (hint: YAML indents with spaces only: replace the tabs with spaces (set the editor to insert spaces))",
      ],
      [
        "clusters:\n  prod:\n     masters: [http://10.0.0.1:5050]\n    role: web\n",
        ":3:6: error: this line is indented 5 spaces, which does not line up with the lines it belongs with (hint: YAML nests by indentation",
      ],
      [
        "clusters: {}\nclusters: {}\n",
        ":2:1: error: duplicate key `clusters` (hint: each key may appear once in a mapping; remove or merge the repeated one)",
      ],
    ];
    for (const [text, says] of cases) {
      const { env, file } = setup(text);
      const r = await runCli(["context", "list"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${file}${says}`);
      expect(r.stderr).toContain("error: 1 error in the titan config\n");
    }
  });

  it("rejects a bad --master for a one-off run", async () => {
    const { env } = setup();
    const r = await runCli(["context", "show", "--master", "mesos:5050"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--master");
  });

  it("deletes a context and clears it as current", async () => {
    const { env, file } = setup(
      "clusters:\n  one: { masters: [http://10.0.0.1:5050] }\ncontexts:\n  a: { cluster: one }\ncurrent_context: a\n",
    );
    expect((await runCli(["config", "delete-context", "a"], { env })).code).toBe(0);
    expect(readFileSync(file, "utf8")).not.toContain("current_context");
    const cannot = await runCli(["config", "delete-context", "local"], { env });
    expect(cannot.code).toBe(2);
    expect(cannot.stderr).toContain("built in");
  });
});
