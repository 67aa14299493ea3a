import { describe, expect, it } from "vitest";
import { Node } from "../../src/cluster/json-reader.js";
import { taskLabels } from "../../src/cluster/labels.js";
import { readTitanTasksOfState, TitanTaskCollector } from "../../src/cluster/operator.js";

function task(
  id: string,
  state: string,
  framework = "fw-web",
  labels = taskLabels({ app: "web", instance: 0, digest: "d" }),
) {
  return {
    name: "web",
    task_id: { value: id },
    framework_id: { value: framework },
    agent_id: { value: "a1" },
    state,
    statuses: [{ task_id: { value: id }, state, timestamp: 1_700_000_000 }],
    labels: { labels },
  };
}

// The same task listed as unreachable and as completed (the master moving it), and one listed by two frameworks.
const getState = {
  get_tasks: {
    tasks: [task("web.1.0.0", "TASK_RUNNING"), task("shared", "TASK_RUNNING", "fw-a")],
    completed_tasks: [task("web.1.1.0", "TASK_KILLED"), task("shared", "TASK_KILLED", "fw-b")],
    unreachable_tasks: [task("web.1.1.0", "TASK_UNREACHABLE")],
  },
  get_frameworks: { frameworks: [{ framework_info: { id: { value: "fw-web" }, name: "titan:web" } }] },
  get_agents: {
    agents: [
      {
        agent_info: {
          id: { value: "a1" },
          hostname: "agent-1",
          attributes: [{ name: "zone", type: "TEXT", text: { value: "z1" } }],
        },
      },
    ],
  },
};

describe("titan's tasks taken one by one as a stream hands them over", () => {
  it("reads what the whole state gives when the answer lists completed tasks before unreachable ones", () => {
    const collector = new TitanTaskCollector();
    for (const list of ["tasks", "completed_tasks", "unreachable_tasks"] as const) {
      getState.get_tasks[list].forEach((item, index) => {
        collector.add(list, item, index);
      });
    }
    const streamed = collector.finish(new Node({ get_state: getState }).get("get_state").object());
    expect(streamed).toEqual(readTitanTasksOfState(new Node({ get_state: getState })));
    // Unreachable is read before completed, so the task's unreachable listing is the one kept.
    expect(streamed.tasks.map((t) => [t.taskId, t.state, t.framework, t.hostname, t.zone])).toEqual([
      ["web.1.0.0", "TASK_RUNNING", "titan:web", "agent-1", "z1"],
      ["shared", "TASK_RUNNING", "fw-a", "agent-1", "z1"],
      ["web.1.1.0", "TASK_UNREACHABLE", "titan:web", "agent-1", "z1"],
      ["shared", "TASK_KILLED", "fw-b", "agent-1", "z1"],
    ]);
  });

  it("names where a task it cannot read is", () => {
    const collector = new TitanTaskCollector();
    collector.add("completed_tasks", { ...task("bad", "TASK_KILLED"), task_id: "bad" }, 3);
    expect(() => collector.finish(new Node({ get_state: getState }).get("get_state").object())).toThrow(
      /get_state\.get_tasks\.completed_tasks\[3\]\.task_id/,
    );
  });
});
