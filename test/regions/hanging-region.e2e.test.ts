import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runPs } from "../../src/commands/ps/run.js";
import { runStatus } from "../../src/commands/status/run.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

/**
 * A master that accepts connections and never answers, until its deadline is fired: then every connection it holds,
 * and every later one, is cut, as a client's deadline would end the wait.
 */
async function hangingMaster(): Promise<{ url: string; fire(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let fired = false;
  const server = createServer((socket) => {
    if (fired) socket.destroy();
    else sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    fire() {
      fired = true;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        fired = true;
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Resolves once `check` holds, or after `limitMs` (a bound for the code that never shows anything early). */
async function whenOrAfter(check: () => boolean, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
}

async function configure(env: Record<string, string>, argv: string[]): Promise<void> {
  const result = await runCli(argv, { env });
  if (result.code !== 0) throw new Error(`titan ${argv.join(" ")}: ${result.stderr}`);
}

/** A context over two regions: ap-south's master hangs, us-east's runs two instances of api. */
async function twoRegions(): Promise<{ vars: Record<string, string>; hang: { fire(): void } }> {
  const hang = await hangingMaster();
  closers.push(hang.close);
  const east = await startTestCluster({ agents: 1, master: { allocationIntervalMs: 50 } });
  const api = await startLabelledFramework(east.url, "api");
  await api.waitFor(api.launch({ instance: 0, region: "us-east", command: "sleep 30" }));
  const dir = tempDir();
  const vars = { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") };
  await configure(vars, ["config", "set-cluster", "south", "--master", hang.url]);
  await configure(vars, ["config", "set-cluster", "east", "--master", east.url]);
  await configure(vars, ["config", "set-region", "ap-south", "--cluster", "south"]);
  await configure(vars, ["config", "set-region", "us-east", "--cluster", "east"]);
  await configure(vars, ["config", "set-context", "prod", "--regions", "ap-south,us-east", "--use"]);
  return { vars, hang };
}

describe("a region whose master hangs", () => {
  it("does not hold back ps's other regions: they are shown before its deadline passes, it after them", async () => {
    const { vars, hang } = await twoRegions();
    const t = testEnv({ vars });
    const done = runPs(t.env, { apps: [], allRegions: false, all: false, json: false, watch: false });
    const eastShown = () => t.out().includes("api  desired -  running 1  healthy 1");
    // The hanging region's deadline passes once the other region is shown (or, if it never is, in the end).
    await whenOrAfter(eastShown, 60_000);
    const beforeDeadline = t.out();
    hang.fire();
    expect(await done).toBe(1);
    expect(beforeDeadline).toContain("region us-east · context prod · cluster east");
    expect(beforeDeadline).toContain("api  desired -  running 1  healthy 1");
    expect(beforeDeadline).not.toContain("region ap-south");
    expect(t.out().slice(beforeDeadline.length)).toMatch(
      /^\nregion ap-south · context prod · cluster south[^\n]*\n {2}unavailable: /,
    );
  }, 90_000);

  it("does not hold back ps --watch: its view shows the other regions and that the hanging one is awaited", async () => {
    const { vars, hang } = await twoRegions();
    const controller = new AbortController();
    closers.push(async () => controller.abort());
    const t = testEnv({ vars, signal: controller.signal });
    const done = runPs(t.env, {
      apps: [],
      allRegions: false,
      all: false,
      json: false,
      watch: true,
      interval: "100ms",
    });
    await whenOrAfter(() => t.out().includes("api  desired -  running 1  healthy 1"), 60_000);
    const beforeDeadline = t.out();
    hang.fire();
    controller.abort();
    expect(await done).toBe(0);
    expect(beforeDeadline).toMatch(
      /^region ap-south · context prod · cluster south[^\n]*\n {2}unavailable: no answer yet from its master /,
    );
    expect(beforeDeadline).toContain("region us-east · context prod · cluster east");
    expect(beforeDeadline).toContain("api  desired -  running 1  healthy 1");
  }, 90_000);

  it("does not hold back status's other regions either", async () => {
    const { vars, hang } = await twoRegions();
    const t = testEnv({ vars });
    const done = runStatus(t.env, ["api"], { json: false, wait: false });
    const eastShown = () => t.out().includes("us-east: api  ");
    await whenOrAfter(eastShown, 60_000);
    const beforeDeadline = t.out();
    hang.fire();
    expect(await done).toBe(1);
    expect(beforeDeadline).toMatch(/^us-east: api {2}\S+ {2}desired - {2}running 1 {2}healthy 1/);
    expect(t.out().slice(beforeDeadline.length)).toMatch(/^ap-south: unavailable: /);
  }, 90_000);
});
