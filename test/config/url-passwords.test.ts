import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { isolatedHome } from "../support/state-home.js";

const PASSWORD = "hunter2plain";

/** Every way a URL with a password in it reaches an error message: flags, and the config file. */
const FLAG_CASES: ReadonlyArray<readonly string[]> = [
  [
    "config",
    "set-cluster",
    "c",
    "--master",
    "http://10.0.0.1:5050",
    "--registry",
    `https://u:${PASSWORD}@r.example.com`,
  ],
  [
    "config",
    "set-cluster",
    "c",
    "--master",
    "http://10.0.0.1:5050",
    "--registry",
    `https://r.example.com/?token=${PASSWORD}`,
  ],
  [
    "config",
    "set-cluster",
    "c",
    "--master",
    "http://10.0.0.1:5050",
    "--state",
    `file://u:${PASSWORD}@host/x`,
  ],
  [
    "config",
    "set-cluster",
    "c",
    "--master",
    "http://10.0.0.1:5050",
    "--state",
    `http://u:${PASSWORD}@host/x`,
  ],
  ["state", "export", "--store", `file://u:${PASSWORD}@host/var/x`],
  ["state", "export", "--store", `http://host/var/x?token=${PASSWORD}`],
  ["state", "export", "--store", `http://u:${PASSWORD}@host/var/x`],
];

const CONFIG_CASES: readonly string[] = [
  `state: "file://u:${PASSWORD}@host/x"`,
  `state: "http://u:${PASSWORD}@host/x"`,
  `registry: "https://u:${PASSWORD}@r.example.com"`,
  `registry: { url: "https://u:${PASSWORD}@r.example.com", username: u, password: "env:P" }`,
];

describe("a password in a URL is never printed", () => {
  it.each(FLAG_CASES.map((argv) => ({ argv, line: argv.join(" ") })))("titan $line", async ({ argv }) => {
    const { env } = isolatedHome();
    const r = await runCli(argv, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /m);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    expect(r.stderr).toContain("not shown");
  });

  it.each(CONFIG_CASES)("a config file's %s is reported without its password", async (line) => {
    const { env } = isolatedHome();
    writeFileSync(
      env.TITAN_CONFIG as string,
      `current_context: c\nclusters:\n  c:\n    masters: [http://10.0.0.1:5050]\n    ${line}\ncontexts:\n  c: { cluster: c }\n`,
      { mode: 0o600 },
    );
    for (const argv of [["ps"], ["config", "view"], ["state", "export"]]) {
      const r = await runCli(argv, { env });
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toMatch(/errors? in the titan config/);
      expect(r.stderr + r.stdout, argv.join(" ")).not.toContain(PASSWORD);
    }
  });
});
