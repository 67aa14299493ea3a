import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { spawnDetached } from "../../src/cli/detached.js";
import { appDigest } from "../../src/cluster/digest.js";
import type { DeployOptions } from "../../src/commands/deploy/command.js";
import { deployDetached, HANDOFF_VAR, handoffWriter, readHandoff } from "../../src/commands/deploy/detach.js";
import { appSpec } from "../plan/builders.js";
import { testEnv } from "../support/env.js";
import { tempDir } from "../support/tmp.js";

const timers: NodeJS.Timeout[] = [];
afterEach(() => {
  for (const timer of timers.splice(0)) clearTimeout(timer);
});

const opts = {
  files: ["hello.yaml"],
  only: [],
  skipRegion: [],
  master: "http://127.0.0.1:1",
  yes: true,
  json: false,
  detach: true,
  forceUnlock: false,
  autoRollback: true,
  adopt: false,
  dryRun: false,
} as unknown as DeployOptions;

/** Where the deploys record their releases (the run record names it for `titan status --wait`). */
const STORE = { stateUrl: `file://${tempDir("titan-detach-store-")}`, region: undefined };

/** A detached child that does nothing of its own: the test plays its part in the store. */
function fakeChild(pid: number): ChildProcess {
  return Object.assign(new EventEmitter(), { pid }) as unknown as ChildProcess;
}

describe("titan deploy --detach learns its release from the deploy it started", () => {
  it("does not take the dead deploy's pending release for its own while the child takes its lock over", async () => {
    const t = testEnv();
    const store = await (await t.env.target(opts)).store();
    const spec = appSpec({ name: "hello" });
    const other = appSpec({ name: "hello", instances: 5 });
    // A deploy killed with SIGKILL left release 1 pending; the child has just taken over its lock, and has not yet
    // superseded release 1 with a release of its own.
    await store.addRelease({ app: "hello", manifestDigest: appDigest(other), spec: other, user: "ana" });
    const childPid = 424242;
    await store.acquireLock(
      "hello",
      { user: "ana", host: hostname(), pid: childPid, purpose: "deploy hello" },
      30_000,
    );
    const start: typeof spawnDetached = (_args, _log, options) => {
      writeFileSync(options.outFile ?? "", "plan of hello\n");
      timers.push(
        setTimeout(() => {
          void (async () => {
            await store.finishRelease(
              "hello",
              1,
              "superseded",
              "a later deploy replaced it before it finished",
            );
            const own = await store.addRelease({
              app: "hello",
              manifestDigest: appDigest(spec),
              spec,
              user: "ana",
            });
            handoffWriter(options.env ?? {})?.release("hello", own.number);
          })();
        }, 700),
      );
      return fakeChild(childPid);
    };

    expect(await deployDetached(t.env, opts, "hello", STORE, start)).toBe(0);
    expect(t.err()).toMatch(/^hello: release 2 is deploying in the background \(pid 424242\)$/m);
    expect(t.out()).toBe("plan of hello\n");
    // The handoff file is gone with the process that read it; the log, the output and the run record stay.
    expect(
      readdirSync(join(t.env.paths.stateDir, "deploys")).filter((f) => !/\.(log|out|run\.json)$/.test(f)),
    ).toEqual([]);
    await store.close();
  });

  it("says the child's release in the --json document too", async () => {
    const t = testEnv();
    const start: typeof spawnDetached = (_args, log, options) => {
      writeFileSync(log, "");
      timers.push(setTimeout(() => handoffWriter(options.env ?? {})?.release("hello", 78), 50));
      return fakeChild(31337);
    };
    expect(await deployDetached(t.env, { ...opts, json: true }, "hello", STORE, start)).toBe(0);
    // Stamped with its time like every other line of the stream.
    expect(JSON.parse(t.out())).toMatchObject({
      type: "detached",
      app: "hello",
      release: 78,
      pid: 31337,
      time: new Date(t.env.clock.now()).toISOString(),
    });
  });

  it("shows what the deploy said so far on the streams an attached deploy uses: plan on stdout, progress on stderr", async () => {
    const t = testEnv();
    const start: typeof spawnDetached = (_args, log, options) => {
      writeFileSync(options.outFile ?? log, "plan of hello\n");
      writeFileSync(log, "05:25:12 hello: deploying release 3\n");
      timers.push(setTimeout(() => handoffWriter(options.env ?? {})?.release("hello", 3), 50));
      return fakeChild(31339);
    };
    expect(await deployDetached(t.env, opts, "hello", STORE, start)).toBe(0);
    expect(t.out()).toBe("plan of hello\n");
    expect(t.err()).toMatch(
      /^05:25:12 hello: deploying release 3\nhello: release 3 is deploying in the background/,
    );
    expect(t.err()).toMatch(/^ {2}output: .*hello-.*\.out$/m);
  });

  it("passes on what the deploy says while it has not recorded its release yet, such as its wait for the master", async () => {
    const t = testEnv();
    const waiting =
      "waiting for the master: 3 agent(s) have not re-registered since the master failed over\n";
    const start: typeof spawnDetached = (_args, log, options) => {
      writeFileSync(options.outFile ?? log, "plan of hello\n");
      writeFileSync(log, waiting);
      timers.push(setTimeout(() => handoffWriter(options.env ?? {})?.release("hello", 4), 1500));
      return fakeChild(31340);
    };
    const detaching = deployDetached(t.env, opts, "hello", STORE, start);
    await new Promise((resolve) => setTimeout(resolve, 800));
    // Said while the deploy waits, long before it returns.
    expect(t.err()).toBe(waiting);
    expect(await detaching).toBe(0);
    expect(t.err().split(waiting)).toHaveLength(2);
    expect(t.err()).toMatch(/^hello: release 4 is deploying in the background/m);
  });

  it("shows a deploy that ended by the time it is looked at whole, with its exit code, and says nothing goes on", async () => {
    const t = testEnv();
    const child = fakeChild(31340);
    const start: typeof spawnDetached = (_args, log, options) => {
      // A small scale-down: the deploy said its release, stopped one instance and showed its outcome at once; its
      // process has not exited yet when the command that started it looks.
      writeFileSync(
        log,
        "05:25:12 hello: deploying release 4\n05:25:12 hello[2] stopping hello.4.2.1 (surplus)\n",
      );
      const tell = handoffWriter(options.env ?? {});
      tell?.release("hello", 4);
      tell?.ending();
      writeFileSync(options.outFile ?? log, "plan of hello\nhello: release 4 rolled back to release 3\n");
      timers.push(setTimeout(() => child.emit("exit", 5, null), 500));
      return child;
    };
    expect(await deployDetached(t.env, opts, "hello", STORE, start)).toBe(5);
    expect(t.out()).toBe("plan of hello\nhello: release 4 rolled back to release 3\n");
    expect(t.err()).not.toContain("in the background (pid");
    expect(t.err()).toMatch(
      /^hello: the deploy of release 4 ended before titan returned \(exit 5\); nothing goes on in the background$/m,
    );
  });

  it("shows a deploy that ends before it says its release whole, with its exit code", async () => {
    const t = testEnv();
    const child = fakeChild(31338);
    const start: typeof spawnDetached = (_args, log, options) => {
      writeFileSync(options.outFile ?? log, "Nothing to do\n");
      writeFileSync(log, "error: something on stderr\n");
      timers.push(setTimeout(() => child.emit("exit", 0, null), 50));
      return child;
    };
    expect(await deployDetached(t.env, opts, "hello", STORE, start)).toBe(0);
    expect(t.out()).toBe("Nothing to do\n");
    expect(t.err()).toBe("error: something on stderr\n");
  });
});

describe("the handoff file", () => {
  it("is written once, whole, by a deploy started detached, and read back for its app only", () => {
    const file = join(tempDir(), "hello.release.json");
    const tell = handoffWriter({ [HANDOFF_VAR]: file });
    expect(readHandoff(file, "hello")).toBeUndefined();
    tell?.release("hello", 7);
    tell?.release("hello", 8);
    expect(readHandoff(file, "hello")).toEqual({ release: 7, ending: false });
    expect(readHandoff(file, "web")).toBeUndefined();
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  it("says the deploy is ending, keeping its release, and only once it said its release", () => {
    const file = join(tempDir(), "hello.release.json");
    const tell = handoffWriter({ [HANDOFF_VAR]: file });
    tell?.ending();
    expect(readHandoff(file, "hello")).toBeUndefined();
    tell?.release("hello", 7);
    tell?.ending();
    expect(readHandoff(file, "hello")).toEqual({ release: 7, ending: true });
  });

  it("is not written by a deploy started otherwise", () => {
    expect(handoffWriter({})).toBeUndefined();
    expect(handoffWriter({ [HANDOFF_VAR]: "" })).toBeUndefined();
  });
});
