// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${PORT_<NAME>}` is manifest syntax, not a template
import { describe, expect, it } from "vitest";
import { describeEvent, InstanceBoard } from "../../src/deploy/progress.js";
import { formatTaskId, parseTaskId } from "../../src/deploy/task-id.js";
import { launchSpec, substitutePorts } from "../../src/deploy/task-spec.js";
import { taskInfo } from "../../src/mesos/task-builder.js";
import { appSpec } from "../plan/builders.js";
import { agentOffer } from "../support/offers.js";
import { checkShape } from "../support/proto-shape.js";

const offer = agentOffer;

function build(overrides: Parameters<typeof appSpec>[0]) {
  return taskInfo(
    launchSpec({
      spec: appSpec(overrides),
      taskId: "api.3.1.2",
      release: 3,
      instance: 1,
      digest: "sha256:abc",
      region: "us-east",
      offer,
      ports: { http: 31005 },
      environment: { LOG_LEVEL: "info", URL: "http://localhost:${PORT_HTTP}/" },
    }),
  );
}

describe("task ids", () => {
  it("round-trip and reject ids titan did not make", () => {
    const id = formatTaskId({ app: "api-v2", release: 12, instance: 0, incarnation: 3 });
    expect(id).toBe("api-v2.12.0.3");
    expect(parseTaskId(id)).toEqual({ app: "api-v2", release: 12, instance: 0, incarnation: 3 });
    expect(parseTaskId("api.12.0")).toBeUndefined();
    expect(parseTaskId("marathon-task-1")).toBeUndefined();
  });
});

describe("the TaskInfo of an instance", () => {
  it("runs an argv command without a shell, with ports substituted and exported", () => {
    const info = build({ command: ["node", "server.js", "--port", "${PORT_HTTP}"] });
    expect(info.command?.shell).toBe(false);
    expect(info.command?.value).toBe("node");
    expect(info.command?.arguments).toEqual(["node", "server.js", "--port", "31005"]);
    const env = Object.fromEntries(
      (info.command?.environment?.variables ?? []).map((v) => [v.name, v.value]),
    );
    expect(env).toEqual({ LOG_LEVEL: "info", URL: "http://localhost:31005/", PORT_HTTP: "31005" });
    expect(info.resources?.find((r) => r.name === "ports")?.ranges?.range).toEqual([
      { begin: 31005, end: 31005 },
    ]);
  });

  it("runs a `shell:` string with /bin/sh and carries titan's labels over the manifest's", () => {
    const info = build({
      command: undefined,
      shell: "exec ./serve ${PORT_HTTP}",
      labels: { team: "payments" },
    });
    expect(info.command).toMatchObject({ shell: true, value: "exec ./serve 31005" });
    const labels = Object.fromEntries((info.labels?.labels ?? []).map((l) => [l.key, l.value]));
    expect(labels).toEqual({
      team: "payments",
      "titan.app": "api",
      "titan.instance": "1",
      "titan.digest": "sha256:abc",
      "titan.release": "3",
      "titan.region": "us-east",
    });
  });

  it("puts the image in a Mesos container, the health check on the host port and the kill grace", () => {
    const info = build({
      health: {
        probe: { kind: "http", port: "http", path: "/healthz", scheme: "http" },
        intervalMs: 2000,
        timeoutMs: 1000,
        graceMs: 10_000,
        delayMs: 0,
        failures: 3,
      },
    });
    expect(info.container?.type).toBe("MESOS");
    expect(info.container?.mesos?.image?.docker?.name).toBe("registry.example.com/payments/api:1.4.2");
    expect(info.health_check).toMatchObject({
      type: "HTTP",
      http: { port: 31005, path: "/healthz" },
      interval_seconds: 2,
      consecutive_failures: 3,
      grace_period_seconds: 10,
    });
    expect(info.kill_policy?.grace_period).toEqual({ nanoseconds: 30_000_000_000 });
    expect(checkShape(info, "mesos.v1.TaskInfo")).toEqual([]);
  });

  it("runs an argv health command without a shell", () => {
    const info = build({
      health: {
        probe: { kind: "command", argv: ["curl", "-f", "localhost:${PORT_HTTP}"] },
        intervalMs: 1000,
        timeoutMs: 500,
        graceMs: 0,
        delayMs: 0,
        failures: 1,
      },
    });
    expect(info.health_check?.command).toEqual({
      shell: false,
      value: "curl",
      arguments: ["curl", "-f", "localhost:31005"],
    });
    expect(checkShape(info, "mesos.v1.TaskInfo")).toEqual([]);
  });

  it("leaves unknown port references alone", () => {
    expect(substitutePorts("${PORT_ADMIN} ${PORT_HTTP}", { http: 1 })).toBe("${PORT_ADMIN} 1");
  });
});

describe("progress text", () => {
  it("says what happened to which instance, and the board keeps the latest state per instance", () => {
    const board = new InstanceBoard();
    const launch = {
      type: "launch" as const,
      app: "web",
      task: "web.2.0.1",
      instance: 0,
      release: 2,
      host: "agent-1.local",
      ports: { http: 31000 },
    };
    expect(describeEvent(launch)).toBe("web[0] launching web.2.0.1 on agent-1.local (http=31000)");
    board.apply(launch);
    board.apply({ type: "healthy", app: "web", task: "web.2.0.1", instance: 0 });
    board.apply({ type: "killing", app: "web", task: "web.1.1.1", instance: 1, reason: "replaced" });
    expect(board.render()).toBe("web 0:healthy 1:stopping");
    expect(describeEvent({ type: "rollback", app: "web", from: 2, to: 1, reason: "unhealthy" })).toBe(
      "web: release 2 failed (unhealthy); rolling back to release 1",
    );
  });
});
