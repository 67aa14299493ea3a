import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { writeScenario } from "../../bench/placement-plan.js";
import { deployedAsPlaced } from "../../bench/placement-scenario.js";
import { manyApps, workload } from "../../bench/placement-workload.js";
import { runCli } from "../support/cli.js";

/**
 * The whole `titan plan` on small versions of the benchmark's workloads, pinned by digest: the manifests and the
 * /master/state are written as files and read back by the command, so a change to manifest loading, snapshot
 * reading, diff, placement or output that is meant to keep the plan (an optimisation) must leave the human plan,
 * the JSON plan and its placements identical. A change that means to plan differently updates the digests and
 * says why.
 */
const digest = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 16);

describe("whole plans on the benchmark workloads stay identical", { timeout: 120_000 }, () => {
  it.each([
    {
      name: "many apps, fits",
      input: () => manyApps(300, 3_000, 300, 3),
      perFile: 200,
      code: 0,
      expected: {
        human: "aeded6376d4a6f05",
        json: "4125622862a420f6",
        placements: "f48cccdb6c5e9e2e",
        fingerprint: "sha256:165b26fbadddc657",
      },
    },
    {
      name: "many apps, a release later: every instance replaced, every rollout step simulated",
      input: () => manyApps(300, 3_000, 300, 3),
      perFile: 200,
      deployed: true,
      code: 0,
      expected: {
        human: "94a5deaf045cf23d",
        json: "f33243541c4db34a",
        placements: "75ff6a5159c3e068",
        fingerprint: "sha256:1f399cba1386bf93",
      },
    },
    {
      name: "constrained mix, does not fit",
      input: () => workload(200, 2_000, 9),
      perFile: undefined,
      code: 4,
      expected: {
        human: "fa8d8ba1bb2f4415",
        json: "8f384e41bc2c5636",
        placements: "e8d830b770e2dd84",
        fingerprint: "sha256:1fe81912eee6e488",
      },
    },
  ])("$name", async ({ input, perFile, deployed, code, expected }) => {
    const workloadInput = input();
    // A release later: each instance runs where placement put it, labelled with an older spec's digest.
    const running = deployed ? deployedAsPlaced(workloadInput) : [];
    const files = writeScenario(workloadInput, running, perFile);
    try {
      const human = await runCli(files.argv, { cwd: files.dir });
      const json = await runCli([...files.argv, "--json"], { cwd: files.dir });
      // Nothing on stderr but the one error line of a plan that does not fit.
      expect(human.stderr.split("\n")[0] ?? "").toBe(
        code === 4 ? "error: the plan does not fit: 230 instances of app-00005 cannot be placed" : "",
      );
      expect([human.code, json.code]).toEqual([code, code]);
      const plan = JSON.parse(json.stdout) as { placements: unknown[]; fingerprint: string };
      expect({
        human: digest(human.stdout),
        json: digest(json.stdout),
        placements: digest(JSON.stringify(plan.placements)),
        fingerprint: plan.fingerprint.slice(0, 23),
      }).toEqual(expected);
    } finally {
      files.remove();
    }
  });
});
