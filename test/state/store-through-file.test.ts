import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { isolatedHome } from "../support/state-home.js";
import { tempDir } from "../support/tmp.js";

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A plain file, where a state store's directory (or one of its parents) should be. */
function plainFile(): string {
  const file = join(tempDir(), "plain");
  writeFileSync(file, "not a directory\n", { mode: 0o600 });
  return file;
}

interface Setup {
  env: Record<string, string>;
  /** Flags every command takes to reach the cluster. */
  flags: string[];
  /** What the error names. */
  file: string;
  message: RegExp;
}

async function storeAt(kind: "through a file" | "a file" | "TITAN_DATA_DIR a file"): Promise<Setup> {
  const cluster = await fakeLogsCluster([{ app: "web", instance: 0, agent: "agent-1" }]);
  const { env } = isolatedHome();
  const file = plainFile();
  if (kind === "TITAN_DATA_DIR a file") {
    return {
      env: { ...env, TITAN_DATA_DIR: file },
      flags: ["--master", cluster.master.url],
      file,
      message: new RegExp(
        `^error: the state store ${escaped(file)}/state/local cannot exist: ${escaped(file)} on its path is a file, not a directory$`,
        "m",
      ),
    };
  }
  const root = kind === "a file" ? file : join(file, "sub");
  writeFileSync(
    env.TITAN_CONFIG as string,
    `current_context: c\nclusters:\n  c:\n    masters: ["${cluster.master.url}"]\n    state: ${pathToFileURL(root).href}\ncontexts:\n  c: { cluster: c }\n`,
    { mode: 0o600 },
  );
  return {
    env,
    flags: [],
    file,
    message:
      kind === "a file"
        ? new RegExp(`^error: the state store ${escaped(file)} is a file, not a directory$`, "m")
        : new RegExp(
            `^error: the state store ${escaped(root)} cannot exist: ${escaped(file)} on its path is a file, not a directory$`,
            "m",
          ),
  };
}

const COMMANDS: ReadonlyArray<readonly string[]> = [
  ["status"],
  ["status", "web"],
  ["releases", "web"],
  ["state", "export"],
  ["supervise", "web", "--listen", "off"],
  ["supervise", "--all", "--listen", "off"],
];

/** The lines of stderr that are not a hint. */
function said(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("hint: "))
    .join("\n");
}

describe("a file where the state store's directory should be", () => {
  it.each(["through a file", "a file", "TITAN_DATA_DIR a file"] as const)(
    "a store path %s is one usage error naming the file, in every command that reads the store",
    async (kind) => {
      const setup = await storeAt(kind);
      for (const argv of COMMANDS) {
        const label = argv.join(" ");
        // supervise runs until stopped: a store it cannot use must stop it at once, not be logged every 5 s.
        const stop = AbortSignal.timeout(4000);
        const r = await runCli([...argv, ...setup.flags], { env: setup.env, signal: stop });
        expect(stop.aborted, `${label} ran on`).toBe(false);
        expect(r.code, `${label}: ${r.stderr}`).toBe(2);
        expect(said(r.stderr), label).toMatch(setup.message);
        expect(said(r.stderr).split("\n"), label).toHaveLength(1);
        expect(r.stderr, label).toContain("hint: move the file away, or point the cluster's state:");
        expect(r.stdout, label).toBe("");
      }
    },
    60_000,
  );

  it.each(["through a file", "a file", "TITAN_DATA_DIR a file"] as const)(
    "ps with a store path %s shows the cluster's tasks and warns as for any store it cannot read (exit 1)",
    async (kind) => {
      const setup = await storeAt(kind);
      for (const argv of [["ps"], ["ps", "web"]]) {
        const r = await runCli([...argv, ...setup.flags], { env: setup.env });
        expect(r.code, `${argv.join(" ")}: ${r.stderr}`).toBe(1);
        expect(r.stdout).toMatch(/web\s+desired -\s+running 1/);
        const warning = new RegExp(
          setup.message.source.replace("^error: ", "^warning: ").replace("$", " \\(move the file away"),
          "m",
        );
        expect(r.stderr).toMatch(warning);
        expect(r.stderr).not.toMatch(/internal error|ENOTDIR|does not exist/);
      }
    },
    60_000,
  );
});
