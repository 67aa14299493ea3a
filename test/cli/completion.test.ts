import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { catalog } from "../../src/commands/catalog.js";
import { type CompletionSources, complete } from "../../src/commands/completion/candidates.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { appSpec } from "../plan/builders.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const root = join(import.meta.dirname, "..", "..");

const sources: CompletionSources = {
  catalog,
  apps: async () => ["api", "web", "worker"],
  instances: async (app) => (app === "web" ? 3 : 0),
  contexts: async () => ["local", "prod"],
  regions: async () => ["eu-west", "us-east"],
};

const said = async (...typed: string[]) => {
  const result = await complete(typed, sources);
  return result.kind === "files" ? "files" : result.words;
};

describe("completion candidates", () => {
  it("completes commands, global flags and subcommands", async () => {
    expect(await said("sto")).toEqual(["stop"]);
    expect(await said("stat")).toEqual(["state", "status"]);
    expect(await said("--d")).toEqual(["--debug"]);
    expect(await said("local", "")).toEqual(["agents", "down", "status", "up"]);
    expect(await said("completion", "")).toEqual(["bash", "fish", "zsh"]);
  });

  it("completes a command's flags, and the values of --context, --region and file flags", async () => {
    expect(await said("ps", "--a")).toEqual(["--all", "--all-regions"]);
    expect(await said("logs", "--std")).toEqual(["--stderr", "--stdout"]);
    expect(await said("ps", "--context", "")).toEqual(["local", "prod"]);
    expect(await said("status", "web", "--region", "u")).toEqual(["us-east"]);
    expect(await said("deploy", "-f", "")).toBe("files");
    expect(await said("deploy", "--app", "w")).toEqual(["web", "worker"]);
    expect(await said("plan", "-a", "a")).toEqual(["api"]);
    expect(await said("ps", "--interval", "")).toEqual([]);
  });

  it("completes app names, several for ps, stop and status, one for the others, and APP/N for logs", async () => {
    expect(await said("status", "w")).toEqual(["web", "worker"]);
    expect(await said("status", "web", "")).toEqual(["api", "worker"]);
    expect(await said("releases", "web", "")).toEqual([]);
    expect(await said("stop", "web", "")).toEqual(["api", "worker"]);
    expect(await said("ps", "--context", "prod", "a")).toEqual(["api"]);
    expect(await said("logs", "web/")).toEqual(["web/0", "web/1", "web/2"]);
    expect(await complete(["logs", "w"], sources)).toEqual({
      kind: "words",
      words: ["web", "worker"],
      open: true,
    });
    expect(await complete(["status", "w"], sources)).toEqual({ kind: "words", words: ["web", "worker"] });
    expect(await said("nope", "")).toEqual([]);
  });

  it("takes the target flags before the command as after it, and completes their values there too", async () => {
    expect(await said("--context", "")).toEqual(["local", "prod"]);
    expect(await said("--region", "e")).toEqual(["eu-west"]);
    expect(await said("--master", "")).toEqual([]);
    expect(await said("--context", "prod", "ps", "")).toEqual(["api", "web", "worker"]);
    expect(await said("--debug", "--region", "us-east", "status", "web", "")).toEqual(["api", "worker"]);
    expect(await said("--context", "prod", "sto")).toEqual(["stop"]);
    expect(await said("--context=prod", "ps", "w")).toEqual(["web", "worker"]);
  });

  it("offers titan's own flags as the program defines them, and after a command those that apply there", async () => {
    expect(await said("-")).toEqual([
      "--context",
      "--debug",
      "--help",
      "--master",
      "--no-color",
      "--region",
      "--version",
      "-V",
    ]);
    expect(await said("validate", "--")).toEqual([
      "--context",
      "--debug",
      "--file",
      "--help",
      "--json",
      "--master",
      "--no-color",
      "--region",
    ]);
  });

  it("completes nested subcommands, context names and app names wherever a command takes them", async () => {
    expect(await said("local", "agents", "")).toEqual(["add", "remove"]);
    expect(await said("local", "agents", "add", "--", "")).toEqual([]);
    expect(await said("context", "use", "")).toEqual(["local", "prod"]);
    expect(await said("context", "use", "prod", "")).toEqual([]);
    expect(await said("config", "delete-region", "")).toEqual(["eu-west", "us-east"]);
    expect(await said("top", "")).toEqual(["api", "web", "worker"]);
    expect(await said("top", "api", "")).toEqual(["web", "worker"]);
    expect(await said("supervise", "w")).toEqual(["web", "worker"]);
    expect(await said("state", "export", "")).toEqual(["api", "web", "worker"]);
    expect(await said("state", "import", "")).toBe("files");
  });
});

function homeWithApp(): Record<string, string> {
  const home = tempDir("titan-completion-");
  return { XDG_DATA_HOME: join(home, "data"), XDG_CONFIG_HOME: join(home, "config"), HOME: home };
}

async function addApp(vars: Record<string, string>, name: string, instances: number): Promise<void> {
  const store = new FileStateStore(
    pathToFileURL(join(vars.XDG_DATA_HOME ?? "", "titan", "state", "local")).href,
    {
      clock: { now: () => 0 },
      hostname: "test",
    },
  );
  const release = await store.addRelease({
    app: name,
    manifestDigest: "sha256:0",
    spec: appSpec({ name, instances }),
    user: "me",
  });
  await store.finishRelease(name, release.number, "deployed");
}

/** Runs `script` in a real bash whose PATH finds `titan` as the built CLI. */
function inBash(
  vars: Record<string, string | undefined>,
  script: string,
): { stdout: string; stderr: string } {
  const bin = tempDir("titan-bin-");
  const wrapper = join(bin, "titan");
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${join(root, "bin", "titan.js")}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return spawnSync("bash", ["-c", script], {
    env: { ...vars, PATH: `${bin}:${process.env.PATH ?? ""}`, NO_COLOR: "1" },
    encoding: "utf8",
  });
}

describe("titan completion", () => {
  it("prints the script for each shell and refuses another", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await runCli(["completion", shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/titan completion __complete(-fish)? -- /);
    }
    expect((await runCli(["completion", "bash"])).stdout).toContain("complete -F _titan titan");
    const bad = await runCli(["completion", "tcsh"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("use bash, zsh or fish");
  });

  it("refuses an argument after the shell, as every command refuses one too many", async () => {
    const r = await runCli(["completion", "bash", "extra"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error: too many arguments for 'completion'. Expected 1 argument but got 2.");
    expect(r.stderr).toContain("hint: run `titan completion --help` for usage");
  });

  it("answers with app names and instance ids from the current context's state store", async () => {
    const vars = homeWithApp();
    await addApp(vars, "web", 2);
    await addApp(vars, "worker", 1);
    const apps = await runCli(["completion", "__complete", "--", "logs", "w"], { env: vars });
    // The first line tells the script that an app name may go on (`web/1`): no space after it.
    expect(apps.stdout).toBe("__nospace__\nweb\nworker\n");
    const ids = await runCli(["completion", "__complete", "--", "logs", "web/"], { env: vars });
    expect(ids.stdout).toBe("web/0\nweb/1\n");
  });

  it("keeps an app name open for fish, which adds a space after a word it completes alone", async () => {
    const vars = homeWithApp();
    await addApp(vars, "web", 2);
    await addApp(vars, "worker", 1);
    const complete = (...words: string[]) =>
      runCli(["completion", "__complete-fish", "--", ...words], { env: vars }).then((r) => r.stdout);
    // Two words whose common part is the app name: fish inserts `web` and waits for `/`.
    expect(await complete("logs", "we")).toBe("web\nweb/\n");
    expect(await complete("logs", "w")).toBe("web\nworker\n");
    expect(await complete("logs", "web/")).toBe("web/0\nweb/1\n");
    // Where nothing may follow the name, fish's space after it is right.
    expect(await complete("status", "we")).toBe("web\n");
    expect((await runCli(["completion", "fish"], { env: vars })).stdout).toContain(
      "__complete-fish -- $typed",
    );
  });

  it("reads app names from the state store of the context the line names", async () => {
    const vars = homeWithApp();
    await addApp(vars, "web", 1);
    const config = join(vars.XDG_CONFIG_HOME ?? "", "titan", "config.yaml");
    mkdirSync(dirname(config), { recursive: true });
    const other = join(vars.HOME ?? "", "other-store");
    writeFileSync(
      config,
      [
        "clusters:",
        "  other:",
        "    masters: [http://127.0.0.1:9]",
        `    state: ${pathToFileURL(other).href}`,
        "contexts:",
        "  other:",
        "    cluster: other",
        "",
      ].join("\n"),
    );
    mkdirSync(join(other, "apps", "billing"), { recursive: true });
    const here = await runCli(["completion", "__complete", "--", "ps", ""], { env: vars });
    expect(here.stdout).toBe("web\n");
    const there = await runCli(["completion", "__complete", "--", "--context", "other", "ps", ""], {
      env: vars,
    });
    expect(there.stdout).toBe("billing\n");
    const contexts = await runCli(["completion", "__complete", "--", "--context", ""], { env: vars });
    expect(contexts.stdout).toBe("local\nother\n");
  });

  it("in a real bash, completes an app name for logs with no space after it, so /N can follow", async () => {
    const vars = homeWithApp();
    await addApp(vars, "web", 2);
    const script = [
      "source <(titan completion bash)",
      // Outside a real Tab press bash refuses compopt: this one records what the script asked for.
      'compopt() { echo "compopt $1 $2"; }',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash expands it
      'COMP_WORDS=(titan logs w); COMP_CWORD=2; _titan; echo "logs: ${COMPREPLY[*]}"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash expands it
      'COMP_WORDS=(titan logs web/); COMP_CWORD=2; _titan; echo "instances: ${COMPREPLY[*]}"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash expands it
      'COMP_WORDS=(titan status w); COMP_CWORD=2; _titan; echo "status: ${COMPREPLY[*]}"',
    ].join("\n");
    const result = inBash(vars, script);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("compopt -o nospace\nlogs: web\ninstances: web/0 web/1\nstatus: web\n");
  });

  it("completes in a real bash through the built CLI", async () => {
    const vars = homeWithApp();
    await addApp(vars, "web", 1);
    const script = [
      "source <(titan completion bash)",
      'COMP_WORDS=(titan statu); COMP_CWORD=1; _titan; echo "commands: $COMPREPLY"',
      'COMP_WORDS=(titan status w); COMP_CWORD=2; _titan; echo "apps: $COMPREPLY"',
      'COMP_WORDS=(titan ps --wa); COMP_CWORD=2; _titan; echo "flags: $COMPREPLY"',
    ].join("\n");
    const result = inBash(vars, script);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("commands: status\napps: web\nflags: --watch\n");
  });
});
