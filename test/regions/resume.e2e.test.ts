import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Event, events, liveTasks, titan } from "../deploy/harness.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "titan.js");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

async function until(condition: () => boolean, what: string, detail: () => string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}:\n${detail()}`);
}

describe("a multi-region deploy interrupted with Ctrl-C", () => {
  it("exits 130 mid-rollout, and the re-run resumes region by region", async () => {
    const { h, clusters } = await threeRegions();
    const file = writeRegionalApp(h.cwd, {
      version: "1",
      waves: "[[us-east], [eu-west], [ap-south]]",
      soak: "30s",
    });
    // The real CLI in its own process, interrupted by SIGINT while wave 1 soaks.
    const child = spawn(process.execPath, [BIN, "deploy", "-f", file, "--yes", "--json"], {
      cwd: h.cwd,
      env: { ...process.env, ...h.vars, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await until(
      () => out.includes('"type":"soak"'),
      "wave 1 to soak",
      () => `${out}\n${err}`,
    );
    child.kill("SIGINT");
    expect(await exit).toBe(130);
    expect(err).toContain("deploy interrupted: us-east deployed, eu-west not started, ap-south not started");
    expect(err).toContain("to resume region by region");
    expect((await liveTasks(clusters["us-east"].url)).map((t) => t.id)).toEqual(["web.1.0.1"]);
    expect(await liveTasks(clusters["eu-west"].url)).toEqual([]);

    // The re-run leaves us-east as it is (soaking only what is left of its soak, counted from when it finished),
    // then deploys the remaining waves.
    const file2 = writeRegionalApp(h.cwd, {
      version: "1",
      waves: "[[us-east], [eu-west], [ap-south]]",
      soak: "1s",
    });
    const again = await titan(["deploy", "-f", file2, "--yes", "--json"], h);
    expect(again.code, again.stderr).toBe(0);
    const list = events(again.stdout);
    const east = list.filter((e: Event) => e.region === "us-east" && e.type !== "plan");
    expect(east.map((e) => e.type)).toEqual(["region_done"]);
    expect(east[0]).toMatchObject({ outcome: "unchanged" });
    expect(list.filter((e) => e.type === "wave").map((e) => e.regions)).toEqual([
      ["us-east"],
      ["eu-west"],
      ["ap-south"],
    ]);
    expect(list.find((e) => e.type === "rollout_done")?.regions).toEqual([
      { region: "us-east", outcome: "unchanged" },
      { region: "eu-west", outcome: "deployed" },
      { region: "ap-south", outcome: "deployed" },
    ]);
    expect((await liveTasks(clusters["us-east"].url)).map((t) => t.id)).toEqual(["web.1.0.1"]);
    expect((await liveTasks(clusters["ap-south"].url)).map((t) => t.id)).toEqual(["web.1.0.1"]);
  }, 90_000);
});
