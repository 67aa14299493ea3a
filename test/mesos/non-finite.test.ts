import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SnapshotFileSource } from "../../src/cluster/file-source.js";
import { parseSchedulerEvent } from "../../src/mesos/events.js";
import { parseMesosJson, rewriteNonFinite } from "../../src/mesos/json.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { MasterOperator } from "../../src/mesos/operator.js";
import { commandTask, FRAMEWORK, post, TestScheduler } from "../local/scheduler-client.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

describe("reading stout's non-finite doubles", () => {
  it("reads bare Infinity, -Infinity and NaN outside strings and leaves strings alone", () => {
    const text =
      '{"a":Infinity,"b":-Infinity,"c":[NaN, 1, -Infinity],"s":"Infinity NaN \\" :Infinity","e":"\\\\","t":{"value":Infinity}}';
    expect(parseMesosJson(text)).toEqual({
      a: Number.POSITIVE_INFINITY,
      b: Number.NEGATIVE_INFINITY,
      c: [Number.NaN, 1, Number.NEGATIVE_INFINITY],
      s: 'Infinity NaN " :Infinity',
      e: "\\",
      t: { value: Number.POSITIVE_INFINITY },
    });
  });

  it("still refuses what is not JSON, and leaves documents without tokens to JSON.parse", () => {
    expect(() => parseMesosJson('{"a":Infinit}')).toThrow(SyntaxError);
    expect(() => parseMesosJson('{"a":"Infinity"')).toThrow(SyntaxError);
    expect(() => parseMesosJson("{NaN:1}")).toThrow(SyntaxError);
    expect(() => parseMesosJson('{"a":1,Infinity:2}')).toThrow(SyntaxError);
    expect(() => parseMesosJson('{"a":NaNa}')).toThrow(SyntaxError);
    expect(rewriteNonFinite('{"label":"NaN and Infinity"}')).toBeUndefined();
    expect(parseMesosJson('{"label":"NaN"}')).toEqual({ label: "NaN" });
  });

  it("reads a scheduler event carrying one", () => {
    const parsed = parseSchedulerEvent(Buffer.from('{"type":"HEARTBEAT","x":Infinity}'));
    expect(parsed.kind).toBe("event");
  });
});

describe("a task launched with an unlimited limit", () => {
  it("the local master writes Infinity bare, as stout does, and titan reads it from the operator API and a snapshot", async () => {
    const local = await startTestCluster({ agents: 1 });
    const scheduler = await TestScheduler.subscribe(local.url, FRAMEWORK);
    const [offer] = await scheduler.offers();
    if (!offer) throw new Error("no offer");
    const task = {
      ...commandTask("unlimited", offer),
      limits: { cpus: { value: "Infinity" }, mem: { value: "Infinity" } },
    };
    await scheduler.accept([String((offer.id as { value: string }).value)], [task]);
    await scheduler.update("unlimited", "TASK_RUNNING");

    const raw = await post(local.url, "/api/v1", JSON.stringify({ type: "GET_STATE" }));
    expect(raw.body).toContain('"limits":{"cpus":{"value":Infinity},"mem":{"value":Infinity}}');
    expect(() => JSON.parse(raw.body)).toThrow(SyntaxError);

    const cluster = MasterCluster.fromConfig({ masters: [local.url] });
    try {
      const state = await new MasterOperator(cluster).getState();
      const [read] = state.get_tasks?.tasks ?? [];
      expect(read?.limits?.cpus?.value).toBe(Number.POSITIVE_INFINITY);
    } finally {
      await cluster.close();
    }

    const file = join(tempDir(), "state.json");
    writeFileSync(file, raw.body);
    const snapshot = await new SnapshotFileSource(file, "/", { role: "*" }).read(AbortSignal.timeout(5000));
    expect(snapshot.agents).toHaveLength(1);
  });

  it("the local master refuses limits a real master refuses", async () => {
    const local = await startTestCluster({ agents: 1 });
    const scheduler = await TestScheduler.subscribe(local.url, FRAMEWORK);
    const [offer] = await scheduler.offers();
    if (!offer) throw new Error("no offer");
    const task = { ...commandTask("low", offer, "true", 1), limits: { cpus: { value: 0.5 } } };
    await scheduler.accept([String((offer.id as { value: string }).value)], [task]);
    const error = await scheduler.update("low", "TASK_ERROR");
    expect(error.message).toBe("The cpu limit must be greater than or equal to the cpu request");
  });
});
