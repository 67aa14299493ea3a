import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { taskLabels } from "../../src/cluster/labels.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const root = resolve(import.meta.dirname, "../..");
const example = join(root, "fixtures/manifests/example.yaml");
const snapshot = (name: string) => join(root, "fixtures/snapshots", name);
const plan = (...args: string[]) => runCli(["plan", "-f", example, ...args], { cwd: root });

describe("titan plan", () => {
  it("refuses a --region no app names against a snapshot, as a live plan does, and an empty one", async () => {
    const typo = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-eats");
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe("");
    expect(typo.stderr).toContain(
      "error: --region us-eats: no app names it and the config maps no cluster to it",
    );
    expect(typo.stderr).toContain("hint: did you mean --region us-east?");
    const empty = await plan("--snapshot", snapshot("us-east.json"), "--region", "");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("error: --region is empty");
  });

  it("prints a readable plan for the README's first command and exits 0", async () => {
    const r = await runCli(
      [
        "plan",
        "--dry-run",
        "-f",
        "fixtures/manifests/example.yaml",
        "--snapshot",
        "fixtures/snapshots/us-east.json",
        "--region",
        "us-east",
      ],
      { cwd: root },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "Plan: region us-east · fixtures/snapshots/us-east.json (/master/state, 12 agents)",
    );
    expect(r.stdout).toContain("~ app api (us-east): +1 launch  ~3 replace  -0 stop  =0 keep  → 4 instances");
    expect(r.stdout).toContain(
      "    image registry.example.com/payments/api:1.4.1 → registry.example.com/payments/api:1.4.2",
    );
    expect(r.stdout).toMatch(/instance\s+action\s+agent\s+zone\s+instance_type\s+rack\s+ports/);
    // A new instance's port is taken from its agent's offer at launch: the plan says how many, not which.
    expect(r.stdout.match(/^ {4}api\[\d\] .* 1 dynamic$/gm)).toHaveLength(4);
    expect(r.stdout).not.toContain("http=");
    expect(r.stdout).toContain("rollout: 4 steps (max_surge 1, max_unavailable 0) — every step fits");
    expect(r.stdout).toMatch(/^seed (\d+) — replay with --seed \1$/m);
    expect(r.stdout).toMatch(/^fingerprint sha256:[0-9a-f]{64}$/m);
  });

  it("says a snapshot without agents holds none, once, not that it excluded 0 agents", async () => {
    const dir = tempDir();
    const file = join(dir, "empty.json");
    writeFileSync(file, JSON.stringify({ type: "GET_STATE", get_state: { get_agents: { agents: [] } } }));
    const r = await plan("--snapshot", file, "--region", "us-east");
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("      * no agents in the cluster\n");
    expect(r.stdout).not.toContain("on 0 agents");
  });

  it("refuses a --role no Mesos master accepts before planning: deploy could never subscribe with it", async () => {
    const r = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east", "--role", "web prod");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      `error: --role "web prod" is not a role a Mesos master accepts: the component 'web prod' holds whitespace`,
    );
  });

  it("checks a GET_STATE snapshot against the master's quota given with --quota, as a live plan would", async () => {
    const dir = tempDir();
    const quota = (status: unknown) => {
      const file = join(dir, "quota.json");
      writeFileSync(file, JSON.stringify(status));
      return file;
    };
    // payments consumes 2 cpus in eu-west.json; a limit of 2 leaves it only its free reservation.
    const limited = quota({
      type: "GET_QUOTA",
      get_quota: { status: { configs: [{ role: "payments", limits: { cpus: { value: 2 } } }] } },
    });
    const args = [
      "--snapshot",
      snapshot("eu-west.json"),
      "--region",
      "eu-west",
      "--role",
      "payments",
      "--json",
    ];
    const r = await plan(...args, "--quota", limited);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).quota).toMatchObject({
      role: "payments",
      limits: { cpus: 2 },
      consumed: { cpus: 2 },
    });
    expect((await plan(...args)).code).toBe(0);
    // GET /quota's bare QuotaStatus is read too; a quota with room for the plan fits.
    const roomy = quota({ configs: [{ role: "payments", limits: { cpus: { value: 100 } } }] });
    expect((await plan(...args, "--quota", roomy)).code).toBe(0);
  });

  it("reads a snapshot and a quota file saved with a UTF-8 byte order mark as without one", async () => {
    const dir = tempDir();
    const state = join(dir, "state.json");
    writeFileSync(state, `\ufeff${readFileSync(snapshot("eu-west.json"), "utf8")}`);
    const quota = join(dir, "quota.json");
    writeFileSync(
      quota,
      `\ufeff${JSON.stringify({ configs: [{ role: "payments", limits: { cpus: { value: 2 } } }] })}`,
    );
    const args = ["--region", "eu-west", "--role", "payments", "--json"];
    const r = await plan("--snapshot", state, "--quota", quota, ...args);
    expect(r.stderr).not.toMatch(/JSON/);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).quota).toMatchObject({ role: "payments", limits: { cpus: 2 } });
  });

  it("refuses a snapshot whose agent has a negative resource, naming the agent, exit 2", async () => {
    const parsed = JSON.parse(readFileSync(snapshot("us-east.json"), "utf8"));
    parsed.slaves[2].resources.cpus = -5;
    const file = join(tempDir(), "edited.json");
    writeFileSync(file, JSON.stringify(parsed));
    const r = await plan("--snapshot", file, "--region", "us-east");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: ${file} is not a valid /master/state snapshot: agent \\S+ \\(${parsed.slaves[2].hostname.replaceAll(".", "\\.")}\\) at \\$\\.slaves\\[2\\] has -5 cpus`,
        "m",
      ),
    );
  });

  it.each([
    [
      ["--snapshot", "us-east.json"],
      { configs: [] },
      /--quota needs a GET_STATE snapshot: .*us-east.json is \/master\/state/,
    ],
    [[], { configs: [] }, /--quota goes with --snapshot/],
    [
      ["--snapshot", "eu-west.json"],
      { configs: [{ limits: {} }] },
      /quota .*quota.json: configs\[0\] has no role/,
    ],
    [["--snapshot", "eu-west.json"], "<html>", /quota .*quota.json is not JSON/],
  ])("refuses --quota with %j and %j, exit 2", async (extra, content, message) => {
    const file = join(tempDir(), "quota.json");
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    const withPaths = extra.map((a) => (a.endsWith(".json") ? snapshot(a) : a));
    const r = await plan(...withPaths, "--region", "eu-west", "--quota", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("exits 3 with --detailed-exitcode when the plan has changes", async () => {
    const r = await plan(
      "--snapshot",
      snapshot("us-east.json"),
      "--region",
      "us-east",
      "--detailed-exitcode",
    );
    expect(r.code).toBe(3);
  });

  it("exits 0 with --detailed-exitcode when the cluster already runs the manifest", async () => {
    const dir = tempDir();
    const json = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east", "--json");
    const digest = JSON.parse(json.stdout).apps[0].digest as string;
    // Three instances in us-east: the instance count is not part of the digest, so the running tasks match.
    const manifest = readFileSync(example, "utf8")
      .replace("instances: 6", "instances: 5")
      .replace("us-east: 4", "us-east: 3");
    writeFileSync(join(dir, "titan.yaml"), manifest);
    const state = readFileSync(snapshot("us-east.json"), "utf8").replaceAll(/sha256:[0-9a-f]{64}/g, digest);
    writeFileSync(join(dir, "state.json"), state);
    const r = await runCli(
      ["plan", "--snapshot", "state.json", "--region", "us-east", "--detailed-exitcode"],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("= app api (us-east): +0 launch  ~0 replace  -0 stop  =3 keep  → 3 instances");
    expect(r.stdout).toContain("Scheduler dry-run: no changes.");
    expect(r.stdout).toMatch(
      /^ {4}api\[0\] += keep +ip-10-1-0-11\.ec2\.internal +us-east-1a +m5\.xlarge +r1 +31005$/m,
    );
    expect(r.stdout.match(/= keep/g)).toHaveLength(3);
  });

  it("exits 4 and explains when something does not fit, even with --detailed-exitcode", async () => {
    const r = await plan("--snapshot", snapshot("tight.json"), "--region", "us-east", "--detailed-exitcode");
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("Scheduler dry-run: WARNING — not everything fits.");
    expect(r.stdout).toMatch(/app api: 3 instances cannot be placed/);
    expect(r.stdout).toMatch(/^ {6}\* .+ on \d+ agents?$/m);
    expect(r.stdout).toMatch(/^ {6}nearest: /m);
    expect(r.stdout).toMatch(/^ {2}To place everything: add \d+ × m5\.large/m);
    // A failing exit says why in one line, as every other does.
    expect(r.stderr).toBe(
      "error: the plan does not fit: 3 instances of api in us-east cannot be placed\n" +
        "hint: the plan above says why, and its fix: lines and scale-out advice what would fit\n",
    );
  });

  it("plans a GET_STATE snapshot and warns about skipped agents on stderr", async () => {
    const r = await plan("--snapshot", snapshot("eu-west.json"), "--region", "eu-west");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("+ app api (eu-west): +2 launch");
    expect(r.stderr).toBe("warning: agent ip-10-2-2-26.eu-west-1.compute.internal is skipped: deactivated\n");
  });

  it("plans a task of unreachable_tasks, on an agent the master no longer lists, as the deploy counts it", async () => {
    const state = JSON.parse(readFileSync(snapshot("eu-west.json"), "utf8"));
    const id = "api.3.1.1";
    state.get_state.get_tasks.unreachable_tasks = [
      {
        name: "api",
        task_id: { value: id },
        framework_id: { value: "fw-titan-api" },
        agent_id: { value: "gone-S9" },
        state: "TASK_UNREACHABLE",
        resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, role: "*" }],
        statuses: [
          {
            task_id: { value: id },
            state: "TASK_UNREACHABLE",
            timestamp: 1_800_000_000,
            unreachable_time: { nanoseconds: 1_790_000_040_000_000_000 },
          },
        ],
        labels: { labels: taskLabels({ app: "api", instance: 1, release: 3, digest: "sha256:older" }) },
      },
    ];
    const file = join(tempDir("titan-plan-"), "unreachable.json");
    writeFileSync(file, JSON.stringify(state));
    const r = await plan("--snapshot", file, "--region", "eu-west");
    expect(r.code, r.stderr).toBe(0);
    // Neither replaced (it cannot be killed) nor kept: its instance launches anew, as the deploy launches it.
    expect(r.stdout).toContain("+ app api (eu-west): +2 launch  ~0 replace  -0 stop  =0 keep");
    expect(r.stdout).toContain(
      "unreachable api[1] on gone-S9 since 2026-09-21 14:14 UTC: its agent is out of contact; it may still run but stands for no instance",
    );
  });

  it("gives the same output for the same input, and replays with the printed seed", async () => {
    const a = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east");
    const b = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east");
    expect(b.stdout).toBe(a.stdout);
    const seed = /^seed (\d+)/m.exec(a.stdout)?.[1] ?? "";
    const replay = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east", "--seed", seed);
    expect(replay.stdout).toBe(a.stdout);
    const other = await plan(
      "--snapshot",
      snapshot("us-east.json"),
      "--region",
      "us-east",
      "--seed",
      "12345",
    );
    expect(other.stdout).toContain("seed 12345 — replay with --seed 12345");
  });
});

describe("titan plan --json and --out", () => {
  it("prints one JSON document of the documented shape", async () => {
    const r = await plan("--snapshot", snapshot("tight.json"), "--region", "us-east", "--json");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^error: the plan does not fit: 3 instances of api in us-east cannot be placed\n/,
    );
    const doc = JSON.parse(r.stdout);
    expect(shapeOf(doc)).toMatchSnapshot();
    expect(doc.placements[0]).toEqual(
      expect.objectContaining({
        app: "api",
        region: "us-east",
        instance: expect.any(Number),
        agent_id: expect.any(String),
        hostname: expect.any(String),
        ports: { http: null },
      }),
    );
    expect(doc.unplaced).toHaveLength(3);
    for (const u of doc.unplaced) {
      expect(u).toMatchObject({ app: "api", region: "us-east", instance: expect.any(Number) });
      expect(u.reasons.length).toBeGreaterThan(0);
      expect(u.reasons.every((reason: unknown) => typeof reason === "string")).toBe(true);
    }
    expect(doc.scale_out.add.length).toBeGreaterThan(0);
    expect(doc.scale_in).toBeNull();
  });

  it("keeps secrets and human text out of the JSON", async () => {
    const r = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east", "--json");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("db-password");
    const doc = JSON.parse(r.stdout);
    expect(doc.apps[0]).toMatchObject({ launch: [3], replace: [0, 1, 2], keep: [], stop: [] });
    expect(doc.apps[0].rollout.steps).toHaveLength(4);
    expect(doc.apps[0].current).toHaveLength(3);
    expect(doc.apps[0].current[0]).toEqual({
      instance: 0,
      task_id: "api.0.5f0d7c2a-8e1b-4c3d-9a2f-1b6e4d3c2a10",
      agent_id: expect.stringMatching(/-S0$/),
      hostname: "ip-10-1-0-11.ec2.internal",
      digest: expect.stringMatching(/^sha256:/),
      image: "registry.example.com/payments/api:1.4.1",
      state: "TASK_RUNNING",
      release: 3,
    });
    expect(doc.apps[0].digest).not.toBe(doc.apps[0].current[0].digest);
    expect(doc.scale_in).toEqual(
      expect.objectContaining({ drain: expect.any(Array), tasks_moved: expect.any(Number) }),
    );
  });

  it("saves the plan with its fingerprint to --out", async () => {
    const dir = tempDir();
    const out = join(dir, "plan.json");
    const r = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east", "--out", out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Saved the plan to ${out}`);
    const saved = JSON.parse(readFileSync(out, "utf8"));
    const printed = /^fingerprint (sha256:[0-9a-f]{64})$/m.exec(r.stdout)?.[1];
    expect(saved.fingerprint).toBe(printed);
    expect(saved.version).toBe(2);
    const again = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east", "--json");
    expect(JSON.parse(again.stdout)).toEqual(saved);
  });

  it("says how to apply a saved plan made under --role (deploy takes the role from TITAN_ROLE), and that one that does not fit cannot be", async () => {
    const dir = tempDir();
    const out = join(dir, "plan.json");
    const args = ["--snapshot", snapshot("eu-west.json"), "--region", "eu-west", "--role", "payments"];
    const r = await plan(...args, "--out", out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `apply exactly this plan with: TITAN_ROLE=payments titan deploy -f ${example} --region eu-west --plan ${out}`,
    );
    const limited = join(dir, "quota.json");
    writeFileSync(
      limited,
      JSON.stringify({ configs: [{ role: "payments", limits: { cpus: { value: 2 } } }] }),
    );
    const over = await plan(...args, "--quota", limited, "--out", out);
    expect(over.code).toBe(4);
    expect(over.stderr).toContain(`Saved the plan to ${out}; it does not fit, so a deploy of it is refused`);
    expect(over.stderr).not.toContain("apply exactly this plan");
  });

  it("refuses an --out it cannot write before planning, as state export -o does (exit 2)", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "adir"));
    const cases: Array<[string, string]> = [
      [join(dir, "no/plan.json"), "its directory does not exist"],
      [join(dir, "adir"), "it is a directory"],
    ];
    for (const [out, reason] of cases) {
      const r = await plan("--snapshot", snapshot("us-east.json"), "--region", "us-east", "--out", out);
      expect(r.code, out).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(new RegExp(`^error: cannot write ${out} \\(${reason}\\)$`, "m"));
      expect(r.stderr).toContain("hint: give a file path in an existing directory you can write to");
    }
  });
});

describe("titan plan usage errors (exit 2)", () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      "an app spanning regions without --region",
      ["--snapshot", snapshot("us-east.json")],
      /error: api spans several regions \(eu-west, us-east\).*\nhint: pass --region with one of: eu-west, us-east/,
    ],
    [
      "a bad --seed",
      ["--snapshot", snapshot("us-east.json"), "--region", "us-east", "--seed", "x1"],
      /--seed "x1"/,
    ],
    [
      "a bad --shape",
      ["--snapshot", snapshot("us-east.json"), "--region", "us-east", "--shape", "huge"],
      /error: --shape: invalid shape "huge"/,
    ],
    [
      "a missing snapshot",
      ["--snapshot", "nope.json", "--region", "us-east"],
      /snapshot nope\.json does not exist/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what}`, async () => {
      const r = await plan(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("rejects an HTML snapshot with one error line and a hint", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "state.json"), "<html><head><title>Mesos</title></head></html>");
    const r = await runCli(["plan", "-f", example, "--snapshot", "state.json", "--region", "us-east"], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      "error: state.json is HTML or XML, not a JSON cluster snapshot (a login page or the master's web UI?)",
      expect.stringMatching(/^hint: take one with `curl -s http:\/\/MASTER:5050\/master\/state`/),
    ]);
  });

  it("rejects an invalid manifest before reading the cluster", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "titan.yaml"), "name: api\ninstances: lots\n");
    const r = await runCli(["plan", "--snapshot", snapshot("us-east.json")], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/titan\.yaml:\d+:\d+: error: /);
  });
});

/** Objects keyed by data (port names, attribute names, short dimensions), shown as one type. */
const RECORDS = new Set(["ports", "attributes", "missing"]);

/** The structure of a JSON value: types instead of values, and one element for each array. */
function shapeOf(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value === null) return "null";
  if (typeof value === "object") {
    if (RECORDS.has(key)) return "record";
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = shapeOf(v, k);
    return out;
  }
  return typeof value;
}
