import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAST, home, liveTasks } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { containerTestProblem, pushHelloImage } from "../support/hello-image.js";
import { startTestCluster } from "../support/local-cluster.js";
import { startRegistry } from "../support/registry.js";

const problem = containerTestProblem();

/** The whole CLI in-process, in the test's home. */
function titan(argv: readonly string[], h: ReturnType<typeof home>) {
  return runCli(argv, { env: h.vars, cwd: h.cwd });
}

function manifest(dir: string, image: string, file = "titan.yaml"): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    `name: hello-image
image: ${image}
ports: [http]
instances: 2
resources: { cpus: 0.1, mem: 64Mi }
health:
  http: { port: http, path: /healthz }
  interval: 2s
  timeout: 1s
  grace: 10s
  failures: 3
update: { max_surge: 1, max_unavailable: 0, min_healthy_time: 1s, healthy_deadline: 30s, progress_deadline: 1m }
kill_grace: 3s
`,
  );
  return path;
}

interface PsInstance {
  image: string | null;
  state: string;
  health: string;
}

async function psImages(h: ReturnType<typeof home>, master: string): Promise<string[]> {
  const ps = await titan(["ps", "hello-image", "--master", master, "--json"], h);
  const doc = JSON.parse(ps.stdout) as { regions: Array<{ apps: Array<{ instances: PsInstance[] }> }> };
  return doc.regions
    .flatMap((r) => r.apps.flatMap((a) => a.instances))
    .filter((i) => i.state === "TASK_RUNNING")
    .map((i) => i.image ?? "none");
}

describe.skipIf(problem !== undefined)("images pinned to digests, end to end", () => {
  it("plans tag → digest, deploys the planned digest though the tag moved, and rolls back to the exact digest", async () => {
    const registry = await startRegistry();
    const first = await pushHelloImage(registry.host, "1.0");
    const local = await startTestCluster(FAST);
    const h = home();
    const file = manifest(h.cwd, `${registry.host}/hello-image:1.0`);
    const name = `${registry.host}/hello-image`;

    const plan = await titan(["plan", "-f", file, "--master", local.url, "--out", "plan.json"], h);
    expect(plan.stderr).toContain("Saved the plan to plan.json");
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`hello-image  ${name}:1.0 → ${first.digest} (linux/amd64)`);

    const second = await pushHelloImage(registry.host, "1.0");
    expect(second.digest).not.toBe(first.digest);
    const planned = await titan(
      ["deploy", "--plan", "plan.json", "-f", file, "--master", local.url, "--yes"],
      h,
    );
    expect(planned.stderr).not.toContain("error");
    expect(planned.code).toBe(0);
    expect(await psImages(h, local.url)).toEqual([`${name}@${first.digest}`, `${name}@${first.digest}`]);

    const ps = await titan(["ps", "hello-image", "--master", local.url], h);
    expect(ps.stdout).toContain("IMAGE");
    expect(ps.stdout).toContain(first.digest.slice(0, 19));
    const logs = await titan(["logs", "hello-image", "--master", local.url], h);
    // As the cluster's task user (nobody), as a Mesos agent runs an image task: the image's USER is not used.
    expect(logs.stdout).toMatch(/listening on :\d+ as nobody, pid 1/);

    const moved = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(`→ ${second.digest}`);
    expect(await psImages(h, local.url)).toEqual([`${name}@${second.digest}`, `${name}@${second.digest}`]);

    const releases = await titan(["releases", "hello-image", "--json"], h);
    const list = JSON.parse(releases.stdout).releases as Array<{ image: string; image_digest: string }>;
    expect(list.map((r) => r.image_digest)).toEqual([first.digest, second.digest]);
    expect(list[0]?.image).toBe(`${name}:1.0@${first.digest}`);

    const rollback = await titan(["rollback", "hello-image", "--master", local.url, "--yes"], h);
    expect(rollback.code).toBe(0);
    // The image line of the preview goes from what runs to what the rollback deploys.
    expect(rollback.stdout).toContain(
      `hello-image  ${second.digest.slice(0, 19)}… → ${first.digest} (linux/amd64)`,
    );
    expect(await psImages(h, local.url)).toEqual([`${name}@${first.digest}`, `${name}@${first.digest}`]);
  }, 120_000);

  it("deploys examples/hello-image by tag, as the README walks it, and ps shows its digest", async () => {
    const registry = await startRegistry();
    const pushed = await pushHelloImage(registry.host, "1.0");
    const local = await startTestCluster(FAST);
    const h = home();
    const example = readFileSync(
      join(import.meta.dirname, "..", "..", "examples", "hello-image", "titan.yaml"),
      "utf8",
    );
    const file = join(h.cwd, "titan.yaml");
    writeFileSync(file, example.replaceAll("127.0.0.1:5000", registry.host));
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain(`→ ${pushed.digest}`);
    const images = await psImages(h, local.url);
    expect(images).toEqual(Array(3).fill(`${registry.host}/hello-image@${pushed.digest}`));
    const ps = await titan(["ps", "hello-image", "--master", local.url], h);
    expect(ps.stdout).toContain(pushed.digest.slice(0, 19));
  }, 60_000);

  it("checks a saved plan's digests, and stops or scales to zero without the registry", async () => {
    const registry = await startRegistry();
    await pushHelloImage(registry.host, "1.0");
    const local = await startTestCluster(FAST);
    const h = home();
    const file = manifest(h.cwd, `${registry.host}/hello-image:1.0`);
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const v2 = await pushHelloImage(registry.host, "2.0");
    manifest(h.cwd, `${registry.host}/hello-image:2.0`);
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--out", "plan.json"], h);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(v2.digest);
    // A plan made with --no-resolve pins nothing, so no deploy can carry it out: said as such.
    const unpinned = await titan(
      ["plan", "-f", file, "--master", local.url, "--no-resolve", "--out", "np.json"],
      h,
    );
    expect(unpinned.code).toBe(0);
    const refused = await titan(
      ["deploy", "--plan", "np.json", "-f", file, "--master", local.url, "--yes"],
      h,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("np.json pins no image digest for hello-image");

    // An app that runs no instance has no image pinned, by titan plan or by the deploy of its saved plan.
    const none = join(h.cwd, "none.yaml");
    writeFileSync(
      none,
      readFileSync(file, "utf8")
        .replace("name: hello-image", "name: idle")
        .replace("instances: 2", "instances: 0"),
    );
    const idle = await titan(["plan", "-f", none, "--master", local.url, "--out", "idle.json"], h);
    expect(idle.code, idle.stderr).toBe(0);
    const idleDeploy = await titan(
      ["deploy", "--plan", "idle.json", "-f", none, "--master", local.url, "--yes"],
      h,
    );
    expect(idleDeploy.code, idleDeploy.stderr).toBe(0);

    await registry.stop();
    // The saved plan's digest is checked in the registry before anything changes.
    const planned = await titan(
      ["deploy", "--plan", "plan.json", "-f", file, "--master", local.url, "--yes"],
      h,
    );
    expect(planned.code, planned.stderr).toBe(8);
    const releases = await titan(["releases", "hello-image", "--json"], h);
    expect(JSON.parse(releases.stdout).releases).toHaveLength(1);
    // Taking instances away launches nothing: it needs no registry.
    const scaled = await titan(["scale", "hello-image", "0", "--master", local.url, "--yes"], h);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(await liveTasks(local.url, "hello-image")).toEqual([]);
    const stopped = await titan(["stop", "hello-image", "--master", local.url, "--yes", "--purge"], h);
    expect(stopped.code, stopped.stderr).toBe(0);
  }, 120_000);

  it("refuses with exit 8 every change that launches an image the registry cannot confirm, drain too", async () => {
    const registry = await startRegistry();
    await pushHelloImage(registry.host, "1.0");
    const local = await startTestCluster(FAST);
    const h = home();
    const file = manifest(h.cwd, `${registry.host}/hello-image:1.0`);
    const m = ["--master", local.url, "--yes"];
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    const before = await liveTasks(local.url, "hello-image");
    await registry.stop();
    // Even an image pinned to a digest is confirmed in the registry before anything launches.
    for (const argv of [
      ["scale", "hello-image", "3"],
      ["restart", "hello-image"],
    ]) {
      const refused = await titan([...argv, ...m], h);
      expect(refused.code, `${argv.join(" ")}: ${refused.stderr}`).toBe(8);
    }
    const agent = (before[0] as { slave_id?: string } | undefined)?.slave_id;
    expect(agent).toBeDefined();
    const drain = await titan(["drain", String(agent), ...m], h);
    expect(drain.code, drain.stderr).toBe(8);
    expect(await liveTasks(local.url, "hello-image")).toEqual(before);
  }, 120_000);

  it("fails plan and deploy with exit 8 before anything changes when the image is missing", async () => {
    const registry = await startRegistry();
    await pushHelloImage(registry.host, "1.0");
    const local = await startTestCluster(FAST);
    const h = home();
    const file = manifest(h.cwd, `${registry.host}/hello-image:1.1`);
    const plan = await titan(["plan", "-f", file, "--master", local.url], h);
    expect(plan.code).toBe(8);
    expect(plan.stderr).toContain(`image ${registry.host}/hello-image:1.1 not found`);
    expect(plan.stderr).toContain("nearest tags: 1.0");
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(deploy.code).toBe(8);
    expect(await liveTasks(local.url, "hello-image")).toEqual([]);
    const releases = await titan(["releases", "hello-image"], h);
    expect(releases.stderr).toContain(`titan knows no app named "hello-image"`);

    const offline = await titan(["plan", "-f", file, "--master", local.url, "--no-resolve"], h);
    expect(offline.code).toBe(0);
    expect(offline.stderr).toContain("images not resolved (--no-resolve)");
  }, 60_000);
});
