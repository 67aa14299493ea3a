import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifests } from "../../src/manifest/index.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";
import { runManifestCommand } from "./harness.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/manifests");

function project(files: Record<string, string> = {}): string {
  const dir = tempDir();
  for (const [name, source] of Object.entries(files)) {
    const target = join(dir, name);
    mkdirSync(join(target, ".."), { recursive: true });
    if (source.startsWith("fixture:")) copyFileSync(join(FIXTURES, source.slice(8)), target);
    else writeFileSync(target, source);
  }
  return dir;
}

describe("titan validate", () => {
  it("checks ./titan.yaml by default and prints a summary on stdout", async () => {
    const cwd = project({ "titan.yaml": "fixture:example.yaml" });
    const result = await runManifestCommand(["validate"], { cwd });
    expect(result).toMatchObject({ code: 0, stdout: "ok: 1 app in 1 file (api)\n", stderr: "" });
  });

  it("takes several files with -f", async () => {
    const cwd = project({ "a.yaml": "fixture:example.yaml", "deploy/b.yaml": "fixture:multi-app.yaml" });
    const result = await runManifestCommand(["validate", "-f", "a.yaml", "-f", "deploy/b.yaml"], { cwd });
    expect(result.stdout).toBe("ok: 4 apps in 2 files (api, web, catalog, worker)\n");
    expect(result.code).toBe(0);
  });

  it("reads stdin for -f -", async () => {
    const result = await runManifestCommand(["validate", "-f", "-"], {
      stdin: "name: web\nimage: nginx:1.27\n",
    });
    expect(result).toMatchObject({ code: 0, stdout: "ok: 1 app in 1 file (web)\n" });
  });

  it("prints a JSON summary with --json", async () => {
    const cwd = project({ "titan.yaml": "fixture:example.yaml" });
    const result = await runManifestCommand(["validate", "--json"], { cwd });
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      files: ["titan.yaml"],
      warnings: [],
      apps: [{ name: "api", file: "titan.yaml", line: 1, col: 1, instances: 6 }],
    });
  });

  it("prints every diagnostic with position, path and hint, and exits 2", async () => {
    const cwd = project({ "typos.yaml": "fixture:invalid/typos.yaml" });
    const result = await runManifestCommand(["validate", "-f", "typos.yaml"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n").slice(0, 4)).toEqual([
      "typos.yaml:2:1: error: imgae: unknown key `imgae` (hint: did you mean `image`?)",
      'typos.yaml:3:30: error: resources.mem: "512MB" uses a unit titan does not take (hint: sizes use binary units Mi, Gi, Ti or a plain number of MB: did you mean "512Mi"?)',
      "typos.yaml:5:5: error: constraints[0].uniqe: unknown constraint `uniqe` (hint: did you mean `unique`?)",
      'typos.yaml:7:18: error: update.auto_rollback: expected true or false, got the string "no" (hint: YAML 1.2 reads yes/no/on/off as text; write true or false)',
    ]);
    expect(result.stderr).toContain("error: 4 errors in the manifest");
  });

  it("gives --json diagnostics as a list of objects, free of secrets", async () => {
    const cwd = project({ "refs.yaml": "fixture:invalid/references.yaml" });
    const result = await runManifestCommand(["validate", "--json", "-f", "refs.yaml"], { cwd });
    expect(result.code).toBe(2);
    const { error } = JSON.parse(result.stdout);
    expect(error.code).toBe(2);
    expect(
      error.diagnostics.map(
        (d: { line: number; col: number; path: string }) => `${d.line}:${d.col} ${d.path}`,
      ),
    ).toEqual([
      "3:42 command[3]",
      "5:26 env.DB_PASSWORD.secret",
      "8:10 regions",
      "10:17 health.http.port",
      "11:22 update.max_surge",
    ]);
    for (const d of error.diagnostics)
      expect(Object.keys(d).sort()).toEqual(["col", "file", "hint", "line", "message", "path"]);
    for (const output of [result.stdout, result.stderr]) expect(output).not.toContain("correct-horse");
  });

  it("reports a health check's undeclared port together with an invalid field beside it", async () => {
    const cwd = project({
      "titan.yaml":
        "name: app1\nimage: nginx:1.25\nresources:\n  cpus: -1\nhealth:\n  http: { port: web }\n  interval: 5x\n",
    });
    const result = await runManifestCommand(["validate"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "error: health.http.port: health check port `web` is not declared under ports",
    );
    expect(result.stderr).toContain("error: health.interval:");
    expect(result.stderr).toContain("error: resources.cpus:");
    expect(result.stderr).toContain("error: 3 errors in the manifest");
  });

  it("words the --json hint for the diagnostics beside it, not for lines above", async () => {
    const cwd = project({ "refs.yaml": "fixture:invalid/references.yaml" });
    const result = await runCli(["validate", "--json", "-f", "refs.yaml"], { cwd });
    expect(result.code).toBe(2);
    const { error } = JSON.parse(result.stdout);
    expect(error.hint).toBe("fix each error in `diagnostics` and run `titan validate` again");
    expect(result.stderr).toContain("hint: fix the errors above and run `titan validate` again");
  });

  it("warns of a constraint on an attribute one letter from hostname, with the did-you-mean", async () => {
    const cwd = project({
      "titan.yaml":
        "name: app1\nimage: nginx:1.25\ninstances: 2\nconstraints:\n  - unique: hostnme\n  - balance: zone\n",
    });
    const result = await runManifestCommand(["validate"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "titan.yaml:5:13: warning: constraints[0].unique: no agent carries `hostnme` unless its operator gave it that attribute (hint: did you mean `hostname`, which every agent has?)",
    );
    expect(result.stderr).not.toContain("zone");
  });

  it("names both files when an app name is reused", async () => {
    const cwd = project({
      "a.yaml": "fixture:example.yaml",
      "b.yaml": "fixture:invalid/duplicate-of-example.yaml",
    });
    const result = await runManifestCommand(["validate", "-f", "a.yaml", "-f", "b.yaml"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "b.yaml:3:11: error: apps[0].name: app name `api` is already used at a.yaml:1:7 (name)",
    );
  });

  it("suggests titan init when there is no titan.yaml", async () => {
    const result = await runManifestCommand(["validate"], { cwd: project() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: titan.yaml not found");
    expect(result.stderr).toContain("hint: run `titan init` to create titan.yaml here, or pass -f FILE");
  });

  it("reports a missing -f file by the name given", async () => {
    const result = await runManifestCommand(["validate", "-f", "nope.yaml"], { cwd: project() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: nope.yaml not found");
  });

  it("refuses a file that is not UTF-8", async () => {
    const cwd = project();
    writeFileSync(
      join(cwd, "titan.yaml"),
      Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
    );
    const result = await runManifestCommand(["validate"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("titan.yaml:1:1: error: the file is not valid UTF-8");
  });

  it("refuses a file over the size limit before parsing it", async () => {
    const cwd = project({ "titan.yaml": `name: a\n# ${"x".repeat(1024 * 1024)}\n` });
    const result = await runManifestCommand(["validate"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/titan\.yaml:1:1: error: the file is larger than 1 MiB/);
  });
});

describe("titan init", () => {
  it("never prompts without a terminal and says which flags to pass", async () => {
    const cwd = project();
    const result = await runManifestCommand(["init"], { cwd });
    expect(result.code).toBe(2);
    expect(result.asked).toEqual([]);
    expect(result.stderr).toContain(
      "error: titan init cannot ask for the missing answers here (no terminal, or CI is set)",
    );
    expect(result.stderr).toContain("hint: pass --name NAME and --image IMAGE (or --command CMD)");
    expect(() => readFileSync(join(cwd, "titan.yaml"))).toThrow();
  });

  it("never prompts when CI is set, even on a terminal", async () => {
    const result = await runManifestCommand(["init"], { cwd: project(), tty: true, vars: { CI: "true" } });
    expect(result.code).toBe(2);
    expect(result.asked).toEqual([]);
  });

  it("writes a commented titan.yaml from flags that validates", async () => {
    const cwd = project();
    const result = await runManifestCommand(
      [
        "init",
        "--name",
        "api",
        "--image",
        "registry.example.com/payments/api:1.4.2",
        "--instances",
        "3",
        "--health-path",
        "/healthz",
      ],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("wrote titan.yaml for app api");
    const text = readFileSync(join(cwd, "titan.yaml"), "utf8");
    expect(text).toMatch(/^# titan\.yaml/);
    const [app] = parseManifests([{ file: "titan.yaml", text }]).apps;
    expect(app).toMatchObject({
      name: "api",
      image: "registry.example.com/payments/api:1.4.2",
      instances: 3,
      ports: [{ name: "http", protocol: "tcp" }],
      health: { probe: { kind: "http", port: "http", path: "/healthz" } },
    });
    const validated = await runManifestCommand(["validate"], { cwd });
    expect(validated.stdout).toBe("ok: 1 app in 1 file (api)\n");
    // The commented disruption budget is valid as soon as it is uncommented.
    const uncommented = text.replace(/^# (disruption:| {2}(max_per_hour|windows| {2}- ).*)$/gm, "$1");
    const [budgeted] = parseManifests([{ file: "titan.yaml", text: uncommented }]).apps;
    expect(budgeted?.disruption).toEqual({
      maxPerHour: { kind: "percent", value: 25 },
      windows: [
        { days: ["mon", "tue", "wed", "thu", "fri"], startMinute: 540, endMinute: 1020, timeZone: "UTC" },
      ],
    });
  });

  it.skipIf(process.getuid?.() !== 0)(
    "takes the defaults with --yes: a starter command even where the local cluster can run images",
    async () => {
      const cwd = join(project(), "Billing_Service");
      mkdirSync(cwd);
      // runc on the PATH and titan running as root: the local cluster here runs images, but no image was given.
      const bin = project();
      writeFileSync(join(bin, "runc"), "#!/bin/sh\n", { mode: 0o755 });
      const result = await runManifestCommand(["init", "--yes"], { cwd, vars: { PATH: bin } });
      expect(result.code).toBe(0);
      const text = readFileSync(join(cwd, "titan.yaml"), "utf8");
      const [app] = parseManifests([{ file: "titan.yaml", text }]).apps;
      expect(app).toMatchObject({ name: "billing-service", instances: 1 });
      expect(app?.image).toBeUndefined();
      expect(app?.command?.slice(0, 2)).toEqual(["node", "-e"]);
      expect(text).toContain("# A starter command that deploys as it is: no image was given.\n");
      expect(text).toContain('#   image: "registry.example.com/team/billing-service:1.0"');
    },
  );

  it("writes no image that exists nowhere for a configured cluster, and says what its agents need", async () => {
    const cwd = join(project(), "api");
    mkdirSync(cwd);
    const config = join(project(), "config.yaml");
    writeFileSync(
      config,
      "current_context: prod\nclusters:\n  one: { masters: [http://10.0.0.1:5050] }\ncontexts:\n  prod: { cluster: one }\n",
    );
    const result = await runManifestCommand(["init", "--yes"], { cwd, vars: { TITAN_CONFIG: config } });
    expect(result.code).toBe(0);
    const text = readFileSync(join(cwd, "titan.yaml"), "utf8");
    const [app] = parseManifests([{ file: "titan.yaml", text }]).apps;
    expect(app?.image).toBeUndefined();
    expect(text).not.toMatch(/^image:/m);
    expect(app?.command?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(text).toContain(
      '# A starter command that deploys as it is: no image was given (the agents of context "prod" need node on their PATH).',
    );
    expect(text).toContain('#   image: "registry.example.com/team/api:1.0"');
  });

  it("writes a command app that deploys as it is where the local cluster runs no images", async () => {
    const cwd = join(project(), "hello-app");
    mkdirSync(cwd);
    const result = await runManifestCommand(["init", "--yes"], { cwd, vars: { PATH: project() } });
    expect(result.code).toBe(0);
    const text = readFileSync(join(cwd, "titan.yaml"), "utf8");
    const [app] = parseManifests([{ file: "titan.yaml", text }]).apps;
    expect(app?.image).toBeUndefined();
    expect(app?.command?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(app?.command?.[2]).toContain("process.env.PORT_HTTP");
    expect(app?.health?.probe).toMatchObject({ kind: "http", port: "http", path: "/" });
    expect(text).toContain(
      "# A starter command that deploys as it is: the local cluster here cannot run images: runc is not installed",
    );
    expect(text).toContain('#   image: "registry.example.com/team/hello-app:1.0"');
  });

  it("writes a logging worker as the starter command of an app without a port", async () => {
    const cwd = project();
    await runManifestCommand(["init", "--yes", "--name", "worker", "--port", "none"], {
      cwd,
      vars: { PATH: project() },
    });
    const [app] = parseManifests([
      { file: "titan.yaml", text: readFileSync(join(cwd, "titan.yaml"), "utf8") },
    ]).apps;
    expect(app?.command?.[2]).toBe('setInterval(() => console.log("worker is working"), 10000)');
    expect(app?.ports).toEqual([]);
  });

  it("writes a command task without image, port or health check", async () => {
    const cwd = project();
    const result = await runManifestCommand(
      ["init", "--yes", "--name", "worker", "--command", "python worker.py", "--port", "none"],
      { cwd },
    );
    expect(result.code).toBe(0);
    const [app] = parseManifests([
      { file: "titan.yaml", text: readFileSync(join(cwd, "titan.yaml"), "utf8") },
    ]).apps;
    expect(app).toMatchObject({ name: "worker", command: ["python", "worker.py"], ports: [] });
    expect(app?.image).toBeUndefined();
    expect(app?.health).toBeUndefined();
  });

  it("keeps a command that needs a shell as one shell string", async () => {
    const cwd = project();
    await runManifestCommand(
      ["init", "--name", "job", "--command", "run.sh > out.log 2>&1", "--port", "none"],
      { cwd },
    );
    const [app] = parseManifests([
      { file: "titan.yaml", text: readFileSync(join(cwd, "titan.yaml"), "utf8") },
    ]).apps;
    expect(app?.shell).toBe("run.sh > out.log 2>&1");
  });

  it("refuses to overwrite an existing file unless forced", async () => {
    const cwd = project({ "titan.yaml": "name: old\n" });
    const refused = await runManifestCommand(["init", "--name", "api", "--image", "nginx:1.27"], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("error: titan.yaml already exists");
    expect(refused.stderr).toContain("hint: pass --force to overwrite it");
    expect(readFileSync(join(cwd, "titan.yaml"), "utf8")).toBe("name: old\n");
    const forced = await runManifestCommand(["init", "--name", "api", "--image", "nginx:1.27", "--force"], {
      cwd,
    });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(cwd, "titan.yaml"), "utf8")).toContain('name: "api"');
  });

  it("refuses invalid flag values before writing anything", async () => {
    const cwd = project();
    const result = await runManifestCommand(["init", "--name", "Bad_Name", "--image", "nginx:1.27"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: --name "Bad_Name" is not valid');
    expect(() => readFileSync(join(cwd, "titan.yaml"))).toThrow();
  });

  it("asks on a terminal, using the answers", async () => {
    const cwd = project();
    const result = await runManifestCommand(["init", "-f", "svc.yaml"], {
      cwd,
      tty: true,
      answers: [
        { match: "App name", answer: "orders" },
        { match: "Docker image", answer: "registry.example.com/shop/orders:3.1.0" },
        { match: "Port name", answer: "grpc" },
        { match: "Instances", answer: "4" },
        { match: "health check path", answer: "/ready" },
      ],
    });
    expect(result.code).toBe(0);
    expect(result.asked).toHaveLength(5);
    const [app] = parseManifests([
      { file: "svc.yaml", text: readFileSync(join(cwd, "svc.yaml"), "utf8") },
    ]).apps;
    expect(app).toMatchObject({
      name: "orders",
      image: "registry.example.com/shop/orders:3.1.0",
      instances: 4,
      ports: [{ name: "grpc", protocol: "tcp" }],
      health: { probe: { kind: "http", port: "grpc", path: "/ready" } },
    });
    expect(result.stderr).toContain("next: titan validate -f svc.yaml");
  });

  it("writes the starter command that deploys as it is when every question is answered with Enter", async () => {
    const cwd = project();
    const result = await runManifestCommand(["init"], {
      cwd,
      tty: true,
      answers: [
        { match: "App name", answer: "web" },
        { match: "Docker image", answer: "" },
        { match: "Command to run", answer: "" },
        { match: "Port name", answer: "" },
        { match: "Instances", answer: "" },
        { match: "health check path", answer: "" },
      ],
    });
    expect(result.code, result.stderr).toBe(0);
    const text = readFileSync(join(cwd, "titan.yaml"), "utf8");
    expect(text).toContain("# A starter command that deploys as it is");
    const [app] = parseManifests([{ file: "titan.yaml", text }]).apps;
    expect(app).toMatchObject({ name: "web", instances: 1, ports: [{ name: "http", protocol: "tcp" }] });
    expect(app?.command?.[0]).toBe("node");
  });

  it("asks only for what the flags leave open", async () => {
    const result = await runManifestCommand(
      ["init", "--name", "api", "--command", "./api", "--port", "none"],
      {
        cwd: project(),
        tty: true,
        answers: [{ match: "Instances", answer: "" }],
      },
    );
    expect(result.code).toBe(0);
    expect(result.asked).toEqual(["Instances"]);
  });
});
