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

  // As the deploy counts them (src/deploy/rollout.ts): a task cut off with its agent stands for no instance and is
  // never killed; its instance is launched anew, and a task already standing for it is kept.
  const cutOff = (instance: number, digest = NEW) => ({
    ...titanTask("api", instance, digest, 9, small),
    taskId: `api.${instance}.gone`,
    state: "TASK_UNREACHABLE" as const,
  });

  it("launches the instance of an unreachable task anew and neither keeps nor stops the task", () => {
    const diff = diffApp("api", null, NEW, 3, [...tasks(NEW, [0, 1]), cutOff(2)]);
    expect(instancesOf(diff.keep)).toEqual([0, 1]);
    expect(diff.launch).toEqual([2]);
    expect([diff.replace, diff.stop]).toEqual([[], []]);
    expect(diff.unreachable.map((t) => t.taskId)).toEqual(["api.2.gone"]);
    expect(hasChanges(diff)).toBe(true);
  });

  it("keeps the replacement of an unreachable task and has nothing to do, whichever is listed first", () => {
    for (const order of [
      [cutOff(2), ...tasks(NEW, [0, 1, 2])],
      [...tasks(NEW, [0, 1, 2]), cutOff(2)],
    ]) {
      const diff = diffApp("api", null, NEW, 3, order);
      expect(instancesOf(diff.keep)).toEqual([0, 1, 2]);
      expect(diff.keep.map((t) => t.state)).toEqual(["TASK_RUNNING", "TASK_RUNNING", "TASK_RUNNING"]);
      expect([diff.launch, diff.replace, diff.stop]).toEqual([[], [], []]);
      expect(instancesOf(diff.unreachable)).toEqual([2]);
      expect(hasChanges(diff)).toBe(false);
    }
  });

  it("does not stop an unreachable task of an instance no longer wanted, nor replace one of an older spec", () => {
    const diff = diffApp("api", null, NEW, 2, [...tasks(NEW, [0]), cutOff(1, OLD), cutOff(2)]);
    expect(diff.launch).toEqual([1]);
    expect([diff.replace, diff.stop]).toEqual([[], []]);
    expect(instancesOf(diff.unreachable)).toEqual([1, 2]);
  });

  it("of two tasks of an instance running the manifest's spec, keeps the one that serves, as the deploy keeps it", () => {
    // An agent that returns brings its task back beside the replacement: the deploy keeps the one that counts.
    const [back, serving] = [
      { ...titanTask("api", 0, NEW, 1, small), taskId: "api.1.0.1", health: "checking" as const },
      { ...titanTask("api", 0, NEW, 2, small), taskId: "api.2.0.1", health: "healthy" as const },
    ];
    const diff = diffApp("api", null, NEW, 1, [back, serving]);
    expect(diff.keep.map((t) => t.taskId)).toEqual(["api.2.0.1"]);
    expect(diff.stop.map((t) => t.taskId)).toEqual(["api.1.0.1"]);
    const starting = { ...serving, state: "TASK_STAGING" as const, health: "none" as const };
    const plain = { ...back, health: "none" as const };
    expect(diffApp("api", null, NEW, 1, [starting, plain]).keep.map((t) => t.taskId)).toEqual(["api.1.0.1"]);
  });
});
