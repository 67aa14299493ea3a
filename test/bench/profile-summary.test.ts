import { describe, expect, it } from "vitest";
import { type CpuProfile, summariseProfile } from "../../bench/profile-summary.js";

const ROOT = "file:///titan/.bench-out/src";

/** A profile of one sample of 1 ms per stack, each stack given as `function@file` frames from the root down. */
function profileOf(stacks: readonly string[][]): CpuProfile {
  const nodes: CpuProfile["nodes"] = [
    { id: 1, callFrame: { functionName: "(root)", url: "" }, children: [] },
  ];
  const samples: number[] = [];
  for (const stack of stacks) {
    let parent = nodes[0] as CpuProfile["nodes"][number];
    for (const frame of stack) {
      const [functionName = "", file = ""] = frame.split("@");
      const node = {
        id: nodes.length + 1,
        callFrame: { functionName, url: file === "" ? "" : `${ROOT}/${file}` },
        children: [],
      };
      nodes.push(node);
      parent.children?.push(node.id);
      parent = node;
    }
    samples.push(parent.id);
  }
  return { nodes, samples, timeDeltas: samples.map(() => 1000) };
}

function partOf(stack: string[]): string | undefined {
  return summariseProfile(profileOf([stack]))[0]?.part;
}

describe("where a plan's CPU profile spends its time", () => {
  it("counts the cluster helpers for the part that calls them, not for reading the snapshot", () => {
    const run = "runPlan@commands/plan/run.js";
    const build = "buildPlan@plan/build.js";
    expect(partOf([run, build, "planInputs@plan/fingerprint.js", "canonical@cluster/canonical.js"])).toBe(
      "the inputs digest",
    );
    expect(partOf([run, build, "occupy@plan/cluster-state.js", "subtractRanges@cluster/ranges.js"])).toBe(
      "diff, plan assembly",
    );
    expect(partOf(["read@cluster/file-source.js", "normaliseRanges@cluster/ranges.js"])).toBe(
      "reading the snapshot",
    );
    expect(partOf(["parseMesosJson@mesos/json.js"])).toBe("reading the snapshot");
  });

  it("counts placement for the part that asks for it only when that part is scale-in advice", () => {
    const place = "place@placement/engine.js";
    expect(partOf(["buildPlan@plan/build.js", "adviseScaleIn@placement/scale-in.js", place])).toBe(
      "scale-in advice",
    );
    expect(partOf(["buildPlan@plan/build.js", "simulateRollouts@plan/rollout.js", place])).toBe("placement");
    expect(partOf(["buildPlan@plan/build.js", "simulateRollouts@plan/rollout.js"])).toBe("rollout check");
  });

  it("counts the command's own code as output only where no other part is on the stack", () => {
    expect(partOf(["runPlan@commands/plan/run.js", "writeLine@cli/io.js"])).toBe("output (render, JSON)");
    expect(partOf(["runPlan@commands/plan/run.js", "loadManifests@manifest/load.js"])).toBe(
      "manifest loading",
    );
    expect(partOf(["runPlan@commands/plan/run.js"])).toBe("output (render, JSON)");
  });

  it("keeps garbage collection and code outside titan apart, and adds up every sample", () => {
    const summary = summariseProfile(
      profileOf([
        ["(garbage collector)@"],
        ["(program)@"],
        ["compileSourceTextModule@"],
        ["place@placement/engine.js"],
        ["place@placement/engine.js", "bestFit@placement/select.js"],
      ]),
    );
    expect(Object.fromEntries(summary.map(({ part, ms }) => [part, ms]))).toEqual({
      placement: 2,
      "garbage collection": 1,
      "other (start-up, module loading, file I/O)": 2,
    });
    expect(summary.map(({ ms }) => ms)).toEqual([2, 2, 1]);
  });
});
