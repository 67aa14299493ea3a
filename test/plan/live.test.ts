import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { answeredGetMaster, answeredGetQuota } from "../support/master-info.js";
import { scriptedServer } from "../support/scripted-server.js";
import { tempDir } from "../support/tmp.js";

const root = resolve(import.meta.dirname, "../..");
const getState = readFileSync(join(root, "fixtures/snapshots/eu-west.json"), "utf8");
const example = join(root, "fixtures/manifests/example.yaml");

function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = tempDir();
  return { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data"), ...extra };
}

/** `quota`: GET_QUOTA's status (none: the master has no quota); null: GET_QUOTA is answered 404. */
async function fakeMaster(quota: Record<string, unknown> | null = {}, state = getState) {
  return scriptedServer((request, response) => {
    if (answeredGetMaster(request, response, "eu-west")) return;
    if (quota !== null && answeredGetQuota(request, response, quota)) return;
    if (
      request.method === "POST" &&
      request.path === "/api/v1" &&
      JSON.parse(request.body).type === "GET_STATE"
    ) {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(state);
      return;
    }
    response.writeHead(404);
    response.end();
  });
}

describe("titan plan against a live master", () => {
  it("reads GET_STATE from the master given with --master and plans the same as from the snapshot", async () => {
    const master = await fakeMaster();
    const live = await runCli(
      [
        "plan",
        "-f",
        example,
        "--master",
        master.url,
        "--region",
        "eu-west",
        "--seed",
        "7",
        "--json",
        "--no-resolve",
      ],
      {
        cwd: root,
        env: isolatedEnv(),
      },
    );
    expect(live.stderr).not.toContain("error");
    expect(live.code).toBe(0);
    const offline = await runCli(
      [
        "plan",
        "-f",
        example,
        "--snapshot",
        "fixtures/snapshots/eu-west.json",
        "--region",
        "eu-west",
        "--seed",
        "7",
        "--json",
      ],
      { cwd: root, env: isolatedEnv() },
    );
    const a = JSON.parse(live.stdout) as { fingerprint: string; placements: unknown[] };
    const b = JSON.parse(offline.stdout) as { fingerprint: string; placements: unknown[] };
    expect(a.placements).toEqual(b.placements);
    expect(a.fingerprint).toBe(b.fingerprint);
    const call = master.requests.find((r) => r.path === "/api/v1");
    expect(call?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(call?.body ?? "{}")).toEqual({ type: "GET_STATE" });
  });

  it("uses the context's cluster and sends its credentials, resolved from the environment", async () => {
    const master = await fakeMaster();
    const env = isolatedEnv({ MESOS_SECRET: "s3cret-canary" });
    const setup = await runCli(
      [
        "config",
        "set-cluster",
        "eu",
        "--master",
        master.url,
        "--principal",
        "titan",
        "--secret",
        "env:MESOS_SECRET",
      ],
      { env },
    );
    expect(setup.code).toBe(0);
    await runCli(["config", "set-region", "eu-west", "--cluster", "eu"], { env });
    await runCli(["config", "set-context", "prod-eu", "--region", "eu-west", "--use"], { env });
    const r = await runCli(["plan", "-f", example, "--debug", "--no-resolve"], { cwd: root, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("context prod-eu (cluster eu)");
    expect(r.stdout + r.stderr).not.toContain("s3cret-canary");
    const call = master.requests.find((req) => req.path === "/api/v1");
    expect(call?.headers.authorization).toBe(
      `Basic ${Buffer.from("titan:s3cret-canary").toString("base64")}`,
    );
  });

  it("fails with exit 1 and a hint when the master answers with an HTML error page", async () => {
    const master = await scriptedServer((_request, response) => {
      response.writeHead(502, { "Content-Type": "text/html" });
      response.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    });
    const r = await runCli(
      ["plan", "-f", example, "--master", master.url, "--region", "eu-west", "--no-resolve"],
      {
        cwd: root,
        env: isolatedEnv(),
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("502");
    expect(r.stderr).toMatch(/hint:/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("checks the quota limit of titan's role, which GET_QUOTA gives and GET_STATE's allocations use up", async () => {
    // payments consumes 2 cpus in this state (a 2-cpu reservation, half of it used): at a limit of 2, only the
    // free half of that reservation is left to it.
    const master = await fakeMaster({ configs: [{ role: "payments", limits: { cpus: { value: 2 } } }] });
    const args = [
      "plan",
      "-f",
      example,
      "--master",
      master.url,
      "--region",
      "eu-west",
      "--json",
      "--no-resolve",
    ];
    const r = await runCli(args, { cwd: root, env: isolatedEnv({ TITAN_ROLE: "payments" }) });
    expect(r.code).toBe(4);
    const plan = JSON.parse(r.stdout);
    expect(plan.quota).toMatchObject({ role: "payments", limits: { cpus: 2 }, consumed: { cpus: 2 } });
    expect(plan.quota.shortfall.resource).toBe("cpus");
    const asked = master.requests.map((q) => (q.path === "/api/v1" ? JSON.parse(q.body).type : q.path));
    expect(asked.filter((type) => type === "GET_QUOTA")).toHaveLength(1);
  });

  it("checks a quota on the default role *, which a master takes and enforces like any other", async () => {
    // Nothing is allocated to * in this state; its limit of 0.5 cpus holds one of api's two 0.5-cpu instances.
    const master = await fakeMaster({ configs: [{ role: "*", limits: { cpus: { value: 0.5 } } }] });
    const args = ["plan", "-f", example, "--master", master.url, "--region", "eu-west", "--no-resolve"];
    const json = await runCli([...args, "--json"], { cwd: root, env: isolatedEnv() });
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout).quota).toMatchObject({
      role: "*",
      limits: { cpus: 0.5 },
      consumed: { cpus: 0 },
      shortfall: { resource: "cpus", bound: "limit", app: "api", step: 1, more: 1, allowed: 0.5 },
    });
    const human = await runCli(args, { cwd: root, env: isolatedEnv() });
    expect(human.code).toBe(4);
    expect(human.stdout).toContain("Quota: role * uses 0 cpus of its 0.5 cpus limit");
    expect(human.stdout).toContain("role *'s quota limit of 0.5 cpus: app api's rollout step 1");
  });

  it("plans on with a warning when the master does not say its quota", async () => {
    const master = await fakeMaster(null);
    const args = ["plan", "-f", example, "--master", master.url, "--region", "eu-west", "--no-resolve"];
    const r = await runCli(args, { cwd: root, env: isolatedEnv({ TITAN_ROLE: "payments" }) });
    expect(r.stderr).toMatch(
      /warning: the master's quota could not be read \(.*404.*\): the plan does not check quota limits or guarantees/,
    );
    expect(r.code).not.toBe(1);
  });

  it.each([
    ["get_tasks", 5, "$.get_state.get_tasks: expected an object, found the number 5"],
    ["get_agents", "nope", '$.get_state.get_agents: expected an object, found the string "nope"'],
    ["get_frameworks", [], "$.get_state.get_frameworks: expected an object, found an array"],
  ])(
    "reports a GET_STATE whose %s is %j as an unexpected shape, not as an empty cluster",
    async (part, value, message) => {
      const parsed = JSON.parse(getState) as { get_state: Record<string, unknown> };
      parsed.get_state[part] = value;
      const master = await fakeMaster({}, JSON.stringify(parsed));
      const args = ["plan", "-f", example, "--master", master.url, "--region", "eu-west", "--no-resolve"];
      const r = await runCli(args, { cwd: root, env: isolatedEnv() });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`answered GET_STATE in an unexpected shape: ${message}`);
    },
  );

  it("refuses --snapshot together with --master", async () => {
    const r = await runCli(
      ["plan", "-f", example, "--snapshot", "x.json", "--master", "http://127.0.0.1:1"],
      {
        cwd: root,
        env: isolatedEnv(),
      },
    );
    expect(r.code).toBe(2);
  });
});

describe("a live plan's --region", () => {
  it("refuses a region no app names and the config does not map, before reaching the cluster", async () => {
    const dir = tempDir();
    const single = join(dir, "single.yaml");
    writeFileSync(single, 'name: web\ncommand: ["sleep", "60"]\ninstances: 1\n');
    const unreachable = "http://127.0.0.1:9";
    const plan = (file: string, region: string) =>
      runCli(["plan", "-f", file, "--master", unreachable, "--region", region, "--no-resolve"], {
        cwd: root,
        env: isolatedEnv(),
      });

    const typo = await plan(example, "eu-wets");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      "error: --region eu-wets: no app names it and the config maps no cluster to it",
    );
    expect(typo.stderr).toContain("hint: did you mean --region eu-west?");

    const unnamed = await plan(single, "us-esat");
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain("hint: leave --region out for a single cluster");

    const empty = await plan(single, "");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("error: --region is empty");
  });
});
