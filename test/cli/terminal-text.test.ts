/** Data from the cluster is shown as data: no escape sequence from a label or host name reaches the terminal. */
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { escapeDeep, escapeTerminal } from "../../src/cli/terminal-text.js";
import { appDigest } from "../../src/cluster/digest.js";
import type { TitanTask } from "../../src/cluster/types.js";
import { describeEvent } from "../../src/deploy/progress.js";
import { linePrefix } from "../../src/observe/log-format.js";
import { psToJson, renderPs } from "../../src/observe/ps-view.js";
import { buildPlan } from "../../src/plan/build.js";
import { renderPlan } from "../../src/plan/render.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "../plan/builders.js";

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 1 });
/** Retitles the terminal, clears the screen, rings the bell; a bidi override reorders what follows. */
const HOSTILE = "evil\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202egnp.exe";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching chalk's escape codes
const COLOUR_CODE = /\x1b\[\d+(;\d+)*m/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202e]/;

/** Every ESC in each line starts one of chalk's own colour codes, and no line holds another control character. */
function onlyColourCodes(text: string): boolean {
  return text.split("\n").every((line) => !CONTROL.test(line.replace(COLOUR_CODE, "")));
}

describe("escapeTerminal", () => {
  it("shows control characters as escapes and leaves other text alone", () => {
    expect(escapeTerminal(HOSTILE)).toBe("evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe");
    expect(escapeTerminal("a\nb\tc\rd")).toBe("a\\nb\\tc\\rd");
    expect(escapeTerminal("zone-a · ü 東京")).toBe("zone-a · ü 東京");
  });

  it("escapes every string of a plain structure without touching the original", () => {
    const data = { host: HOSTILE, ports: [1, 2], nested: [{ label: "\u0000x" }], none: null };
    const safe = escapeDeep(data);
    expect(safe).toEqual({
      host: escapeTerminal(HOSTILE),
      ports: [1, 2],
      nested: [{ label: "\\x00x" }],
      none: null,
    });
    expect(data.host).toBe(HOSTILE);
  });
});

function view(over: Partial<TitanTask>): TitanTask {
  return {
    app: "api",
    instance: 0,
    release: 1,
    taskId: "api.1.0.0",
    frameworkId: "fw",
    framework: "titan:api",
    digest: "sha256:x",
    agentId: "ag1",
    state: "TASK_RUNNING",
    demand: { cpus: 0.1, mem: 64, disk: 0, gpus: 0 },
    since: 0,
    startedAt: 0,
    health: "healthy",
    hostname: "agent-1",
    ports: [31000],
    ...over,
  };
}

describe("human output escapes remote data; --json stays exact", () => {
  it("titan ps", () => {
    const sections = [
      {
        context: "local",
        cluster: "local",
        master: "http://127.0.0.1:5050",
        error: undefined,
        apps: [
          {
            app: "api",
            running: 1,
            stopping: 0,
            healthy: 1,
            rows: [
              view({ hostname: HOSTILE, zone: HOSTILE }),
              // A state titan does not know is shown as the master wrote it.
              view({ instance: 1, image: HOSTILE, state: HOSTILE as TitanTask["state"] }),
            ],
            frameworks: [{ id: "fw", name: HOSTILE, tasks: 1, own: false }],
            hiddenEnded: 0,
          },
        ],
      },
    ].map(({ error, ...s }) => s);
    const text = renderPs(sections, 1000, colour).join("\n");
    expect(onlyColourCodes(text)).toBe(true);
    expect(text).toContain("evil\\x1b]0;pwned");
    const json = JSON.stringify(psToJson(sections, 1000));
    expect(JSON.parse(json).regions[0].apps[0].instances[0].host).toBe(HOSTILE);
  });

  it("an unreadable region's message in titan ps", () => {
    const text = renderPs([{ context: "c", cluster: "c", master: "m", apps: [], error: HOSTILE }], 0, plain);
    expect(onlyColourCodes(text.join("\n"))).toBe(true);
  });

  it("titan plan", () => {
    const app = appSpec({ instances: 2, resources: scalars(1, 256) });
    const kept = appSpec({ name: "web", instances: 1, resources: scalars(1, 256) });
    const hostile = { ...agent(0, scalars(8, 8192)), hostname: HOSTILE, attributes: { zone: HOSTILE } };
    const old = [
      titanTask("api", 0, "sha256:old", 0, app.resources),
      titanTask("web", 0, appDigest(kept), 0, kept.resources),
    ];
    const plan = buildPlan({
      apps: [app, kept],
      snapshot: snapshotOf([hostile], old),
      source: HOSTILE,
      seed: 1,
    });
    const lines = renderPlan(plan, colour);
    const text = lines.join("\n");
    expect(text).toContain("evil\\x1b]0;pwned");
    expect(onlyColourCodes(text)).toBe(true);
    // Each place a host name or an attribute of an agent is shown: launch rows, kept rows, rollout steps.
    const safe = escapeTerminal(HOSTILE);
    const row = (pattern: RegExp) => text.split("\n").find((l) => pattern.test(l)) ?? "";
    expect(row(/api\[1\] +\+ launch/)).toContain(`${safe}  ${safe}`);
    expect(row(/web\[0\] += keep/)).toContain(safe);
    expect(row(/replace api\[0\]/)).toContain(`→ ${safe}`);
    expect(plan.snapshot.source).toBe(HOSTILE);
    expect(plan.apps[0]?.placements[0]?.hostname).toBe(HOSTILE);
  });

  it("deploy progress lines", () => {
    const text = describeEvent({
      type: "failed",
      app: "api",
      task: "api.1.0.0",
      instance: 0,
      state: "TASK_FAILED",
      message: HOSTILE,
    });
    expect(text).toBe(`api[0] api.1.0.0 failed: ${escapeTerminal(HOSTILE)}`);
    const launch = describeEvent({
      type: "launch",
      app: "api",
      task: "t",
      instance: 0,
      release: 1,
      host: HOSTILE,
      ports: {},
    });
    expect(onlyColourCodes(launch ?? "")).toBe(true);
  });

  it("log prefixes, while the log line itself stays the app's own output", () => {
    const prefix = linePrefix(
      { app: "api", instance: 0, taskId: "t", host: HOSTILE, stream: "stdout" },
      false,
    );
    expect(prefix).toBe(`api[0] ${escapeTerminal(HOSTILE)} |`);
  });
});
