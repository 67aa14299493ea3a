import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeWebApp } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

/** A config dir and state store of its own: another user, or the same user with another TITAN_CONFIG. */
function home(): { dir: string; env: Record<string, string> } {
  const dir = tempDir("titan-owner-");
  return {
    dir,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_STATE_HOME: join(dir, "state"),
    },
  };
}

async function liveTaskIds(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/master/tasks`)).json()) as {
    tasks: Array<{ id: string; state: string }>;
  };
  return body.tasks
    .filter((t) => !/FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/.test(t.state))
    .map((t) => t.id)
    .sort();
}

interface PsJson {
  regions: Array<{
    apps: Array<{
      app: string;
      frameworks: Array<{ id: string; name: string; tasks: number; own: boolean | null }>;
    }>;
  }>;
}

describe("one framework per app", () => {
  it("two config dirs deploying the same app never double it; the second stops, names the owner, and can adopt", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const alice = home();
    const bob = home();
    const as = (h: typeof alice, args: string[]) =>
      runCli([...args, "--master", local.url], { env: h.env, cwd: h.dir });
    const aliceFile = writeWebApp(alice.dir, { instances: 2 });
    const bobFile = writeWebApp(bob.dir, { instances: 2 });

    expect((await as(alice, ["deploy", "-f", aliceFile, "--yes"])).code).toBe(0);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.1.1.1"]);

    const plan = await as(bob, ["plan", "-f", bobFile]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(/web is also run by framework titan:web \(id [^,]+, 2 tasks\)/);

    const refused = await as(bob, ["deploy", "-f", bobFile, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: web is run by another framework: titan:web \(id [^,]+, 2 tasks\)/);
    expect(refused.stderr).toContain("--adopt");
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.1.1.1"]);
    const scaled = await as(bob, ["scale", "web", "3", "--yes"]);
    expect(scaled.code).not.toBe(0);
    expect(await liveTaskIds(local.url)).toHaveLength(2);

    const ps = await as(bob, ["ps", "--json"]);
    expect(ps.code, ps.stderr).toBe(0);
    const web = (JSON.parse(ps.stdout) as PsJson).regions[0]?.apps.find((a) => a.app === "web");
    expect(web?.frameworks).toEqual([{ id: expect.any(String), name: "titan:web", tasks: 2, own: null }]);

    writeWebApp(bob.dir, { instances: 3 });
    // A dry run shows the adoption and plans with it, and records nothing: without --adopt it is still refused.
    const preview = await as(bob, ["deploy", "-f", bobFile, "--adopt", "--dry-run"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stderr).toContain("Would adopt framework titan:web");
    expect(preview.stderr).toContain("(dry run: not recorded)");
    // Planned with the adopted tasks: the two running instances are kept, one is added.
    expect(preview.stdout).toMatch(/web\[0\]\s+= keep/);
    expect(preview.stdout).toMatch(/web\[2\]\s+\+ launch/);
    expect((await as(bob, ["deploy", "-f", bobFile, "--yes"])).code).toBe(1);
    // So does one refused at its confirmation (no terminal, no --yes): the adoption waits for the change to go ahead.
    expect((await as(bob, ["deploy", "-f", bobFile, "--adopt"])).code).toBe(2);
    expect((await as(bob, ["deploy", "-f", bobFile, "--yes"])).code).toBe(1);
    const adopted = await as(bob, ["deploy", "-f", bobFile, "--yes", "--adopt"]);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(adopted.stderr).toContain("Adopting framework titan:web");
    // The two running instances were taken over, not doubled: one more makes three.
    expect(await liveTaskIds(local.url)).toHaveLength(3);
    const owned = JSON.parse((await as(bob, ["ps", "--json"])).stdout) as PsJson;
    expect(owned.regions[0]?.apps[0]?.frameworks).toEqual([
      { id: web?.frameworks[0]?.id, name: "titan:web", tasks: 3, own: true },
    ]);
  }, 60_000);
});
