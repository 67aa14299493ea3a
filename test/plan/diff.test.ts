import { describe, expect, it } from "vitest";
import { diffApp, hasChanges } from "../../src/plan/diff.js";
import { scalars, titanTask } from "./builders.js";

const NEW = "sha256:new000";
const OLD = "sha256:old000";
const small = scalars(1, 256);
const tasks = (digest: string, instances: number[]) =>
  instances.map((i) => titanTask("api", i, digest, i, small));
const instancesOf = (list: ReadonlyArray<{ instance: number }>) => list.map((t) => t.instance);

describe("diffApp", () => {
  it("launches every instance of a new app", () => {
    const diff = diffApp("api", "us-east", NEW, 3, []);
    expect(diff.launch).toEqual([0, 1, 2]);
    expect([diff.keep, diff.replace, diff.stop]).toEqual([[], [], []]);
    expect(hasChanges(diff)).toBe(true);
  });

  it("keeps everything when the manifest is unchanged", () => {
    const diff = diffApp("api", "us-east", NEW, 3, tasks(NEW, [0, 1, 2]));
    expect(instancesOf(diff.keep)).toEqual([0, 1, 2]);
    expect(hasChanges(diff)).toBe(false);
  });

  it("replaces every instance when the spec changed", () => {
    const diff = diffApp("api", "us-east", NEW, 3, tasks(OLD, [0, 1, 2]));
    expect(instancesOf(diff.replace)).toEqual([0, 1, 2]);
    expect(diff.launch).toEqual([]);
    expect(diff.keep).toEqual([]);
  });

  it("launches the missing instances when scaling up", () => {
    const diff = diffApp("api", null, NEW, 4, tasks(NEW, [0, 1]));
    expect(instancesOf(diff.keep)).toEqual([0, 1]);
    expect(diff.launch).toEqual([2, 3]);
  });

  it("stops the highest instances when scaling down", () => {
    const diff = diffApp("api", null, NEW, 2, tasks(NEW, [0, 1, 2, 3]));
    expect(instancesOf(diff.keep)).toEqual([0, 1]);
    expect(instancesOf(diff.stop)).toEqual([2, 3]);
  });

  it("keeps the task with the current digest and stops a duplicate of the same instance", () => {
    const duplicate = [...tasks(OLD, [0]), ...tasks(NEW, [0])];
    const diff = diffApp("api", null, NEW, 1, duplicate);
    expect(diff.keep.map((t) => t.digest)).toEqual([NEW]);
    expect(diff.stop.map((t) => t.digest)).toEqual([OLD]);
    expect(diff.replace).toEqual([]);
  });

  it("does not count a task being killed as its instance", () => {
    const killing = tasks(NEW, [0, 1]).map((t, i) =>
      i === 1 ? { ...t, state: "TASK_KILLING" as const } : t,
    );
    const diff = diffApp("api", null, NEW, 2, killing);
    expect(instancesOf(diff.keep)).toEqual([0]);
    expect(diff.launch).toEqual([1]);
  });
});
