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
        human: "39cf60ed0ea70d2b",
        json: "b70c4982d408518c",
        placements: "1bc5986f42bd1843",
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
        human: "9519e6eeee329ab1",
        json: "a96a98b30ce19f0f",
        placements: "77506722cbd2898a",
        fingerprint: "sha256:1f399cba1386bf93",
      },
    },
    {
      name: "constrained mix, does not fit",
      input: () => workload(200, 2_000, 9),
      perFile: undefined,
      code: 4,
      expected: {
        human: "06f1ed06e73e464f",
        json: "8595a20afd310ed5",
        placements: "8d2e4225cef439bc",
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
