import { describe, expect, it } from "vitest";
import { type Event, events, liveTasks, titan } from "../deploy/harness.js";
import { titanProcess } from "../support/cli-process.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

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
    const deploy = titanProcess(["deploy", "-f", file, "--yes", "--json"], h);
    await until(
      () => deploy.stdout().includes('"type":"soak"'),
      "wave 1 to soak",
      () => `${deploy.stdout()}\n${deploy.stderr()}`,
    );
    deploy.child.kill("SIGINT");
    expect(await deploy.exit).toBe(130);
    const err = deploy.stderr();
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
