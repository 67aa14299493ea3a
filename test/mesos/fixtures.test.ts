import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  acceptCall,
  acknowledgeCall,
  declineCall,
  frameworkInfo,
  killCall,
  launchOperation,
  reconcileCall,
  reviveCall,
  subscribeCall,
  suppressCall,
  teardownCall,
} from "../../src/mesos/calls.js";
import { parseSchedulerEvent } from "../../src/mesos/events.js";
import { unwrapResponse } from "../../src/mesos/operator.js";
import { carveResources, OfferTooSmallError, taskInfo } from "../../src/mesos/task-builder.js";
import type { Offer, TaskStatus } from "../../src/mesos/types/mesos.js";
import type { OffersEvent, UpdateEvent } from "../../src/mesos/types/scheduler.js";
import { checkShape } from "../support/proto-shape.js";

const ROOT = new URL("../../fixtures/mesos/", import.meta.url);

function fixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(path, ROOT), "utf8"));
}

function filesIn(dir: string): string[] {
  return readdirSync(new URL(dir, ROOT)).filter((f) => f.endsWith(".json"));
}

const FID = { value: "5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-0000" };
const OFFER = (fixture("scheduler/events/offers.json") as OffersEvent).offers.offers?.[0] as Offer;
const RUNNING = (fixture("scheduler/events/update-task-running.json") as UpdateEvent).update.status;

const SETTINGS = {
  name: "titan",
  user: "root",
  roles: ["titan"],
  failoverTimeoutSeconds: 604800,
  checkpoint: true,
  principal: "titan",
  hostname: "deploy-host.example.com",
  labels: { tool: "titan" },
};

/** Every call titan builds, next to the fixture it must equal. */
const CALLS: Array<[string, () => unknown]> = [
  ["subscribe-new-framework.json", () => subscribeCall(frameworkInfo(SETTINGS))],
  ["subscribe-resubscribe.json", () => subscribeCall(frameworkInfo({ ...SETTINGS, id: FID.value }))],
  [
    "accept-launch-mesos-container-docker-image.json",
    () =>
      acceptCall(
        FID,
        [OFFER.id.value],
        [
          launchOperation([
            taskInfo({
              taskId: "web.1.c0ffee",
              name: "web.1",
              offer: OFFER,
              demand: { cpus: 0.5, mem: 256, ports: [31005] },
              command: { shell: false, environment: { PORT: "31005" } },
              container: { kind: "mesos", image: "registry.example.com:5000/team/web:1.4.2" },
              healthCheck: {
                kind: "http",
                port: 31005,
                path: "/health",
                delaySeconds: 15,
                intervalSeconds: 10,
                timeoutSeconds: 20,
                consecutiveFailures: 3,
                gracePeriodSeconds: 30,
              },
              killGracePeriodMs: 30_000,
              labels: { "titan.app": "web" },
              discovery: { name: "web", ports: [{ number: 31005, name: "http" }] },
            }),
          ]),
        ],
        5,
      ),
  ],
  [
    "accept-launch-docker-containerizer.json",
    () =>
      acceptCall(
        FID,
        [OFFER.id.value],
        [
          launchOperation([
            taskInfo({
              taskId: "api.1.beef01",
              name: "api.1",
              offer: OFFER,
              demand: { cpus: 1, mem: 512, ports: [31010] },
              command: { shell: false, arguments: ["--listen=:8080"] },
              container: {
                kind: "docker",
                image:
                  "registry.example.com:5000/team/api@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                network: "BRIDGE",
                portMappings: [{ hostPort: 31010, containerPort: 8080 }],
                forcePullImage: false,
              },
              healthCheck: { kind: "tcp", port: 8080, gracePeriodSeconds: 60 },
              killGracePeriodMs: 10_000,
            }),
          ]),
        ],
        5,
      ),
  ],
  ["decline-long-filter.json", () => declineCall(FID, [OFFER.id.value], 120)],
  [
    "kill-with-kill-policy.json",
    () => killCall(FID, { taskId: "web.1.c0ffee", agentId: OFFER.agent_id.value, gracePeriodMs: 5000 }),
  ],
  [
    "reconcile-explicit.json",
    () => reconcileCall(FID, [{ taskId: "web.1.c0ffee", agentId: OFFER.agent_id.value }]),
  ],
  ["reconcile-implicit.json", () => reconcileCall(FID, [])],
  ["acknowledge.json", () => acknowledgeCall(FID, RUNNING)],
  ["suppress.json", () => suppressCall(FID, ["titan"])],
  ["revive.json", () => reviveCall(FID, ["titan"])],
  ["teardown.json", () => teardownCall(FID)],
];

describe("scheduler calls titan builds", () => {
  it("has a builder for every call fixture", () => {
    expect(CALLS.map(([file]) => file).sort()).toEqual(filesIn("scheduler/calls").sort());
  });

  for (const [file, build] of CALLS) {
    it(`${file}: equals the fixture exactly and passes the proto shape check`, () => {
      const built = build();
      expect(JSON.parse(JSON.stringify(built))).toEqual(fixture(`scheduler/calls/${file}`));
      expect(checkShape(built, "mesos.v1.scheduler.Call")).toEqual([]);
    });
  }

  it("every call fixture passes the proto shape check", () => {
    for (const file of filesIn("scheduler/calls")) {
      expect(checkShape(fixture(`scheduler/calls/${file}`), "mesos.v1.scheduler.Call"), file).toEqual([]);
    }
  });
});

describe("scheduler events titan reads", () => {
  for (const file of filesIn("scheduler/events")) {
    it(`${file}: passes the proto shape check and parses as its type`, () => {
      const json = fixture(`scheduler/events/${file}`) as { type: string };
      expect(checkShape(json, "mesos.v1.scheduler.Event")).toEqual([]);
      const parsed = parseSchedulerEvent(Buffer.from(JSON.stringify(json)));
      expect(parsed).toEqual({ kind: "event", event: json });
    });
  }

  it("covers every event type of the union", () => {
    const types = new Set(
      filesIn("scheduler/events").map((f) => (fixture(`scheduler/events/${f}`) as { type: string }).type),
    );
    expect([...types].sort()).toEqual(
      [
        "ERROR",
        "FAILURE",
        "HEARTBEAT",
        "INVERSE_OFFERS",
        "MESSAGE",
        "OFFERS",
        "RESCIND",
        "RESCIND_INVERSE_OFFER",
        "SUBSCRIBED",
        "UPDATE",
        "UPDATE_OPERATION_STATUS",
      ].sort(),
    );
  });

  it("reports unknown event types instead of failing, and rejects malformed known ones", () => {
    expect(parseSchedulerEvent(Buffer.from('{"type":"SOMETHING_NEW","something_new":{}}'))).toEqual({
      kind: "unknown",
      type: "SOMETHING_NEW",
    });
    expect(() => parseSchedulerEvent(Buffer.from('{"type":"OFFERS","offers":[]}'))).toThrow(
      /OFFERS event without/,
    );
    expect(() => parseSchedulerEvent(Buffer.from('{"type":"UPDATE","update":{}}'))).toThrow(
      /without a task status/,
    );
    expect(() => parseSchedulerEvent(Buffer.from("<html>"))).toThrow(/not JSON/);
  });
});

describe("operator API fixtures", () => {
  for (const file of filesIn("operator")) {
    const agent = file.startsWith("agent-");
    const request = file.includes("-request");
    const type = `mesos.v1.${agent ? "agent" : "master"}.${request ? "Call" : "Response"}`;
    it(`${file}: passes the proto shape check as ${type}`, () => {
      const json = fixture(`operator/${file}`) as { type: string };
      expect(checkShape(json, type)).toEqual([]);
      if (!request)
        expect(unwrapResponse(json, json.type, file)).toBe(
          (json as Record<string, unknown>)[json.type.toLowerCase()],
        );
    });
  }
});

describe("task builder", () => {
  it("copies role, reservations and allocation_info from the offer and splits across reservations", () => {
    const offer: Offer = {
      ...OFFER,
      resources: [
        {
          name: "cpus",
          type: "SCALAR",
          scalar: { value: 0.3 },
          allocation_info: { role: "titan" },
          reservations: [{ type: "STATIC", role: "titan" }],
        },
        { name: "cpus", type: "SCALAR", scalar: { value: 4 }, allocation_info: { role: "titan" } },
        {
          name: "cpus",
          type: "SCALAR",
          scalar: { value: 8 },
          allocation_info: { role: "titan" },
          revocable: {},
        },
        { name: "mem", type: "SCALAR", scalar: { value: 1024 }, role: "*" },
      ],
    };
    expect(carveResources(offer, { cpus: 1, mem: 128.0004 })).toEqual([
      {
        name: "cpus",
        type: "SCALAR",
        scalar: { value: 0.3 },
        allocation_info: { role: "titan" },
        reservations: [{ type: "STATIC", role: "titan" }],
      },
      { name: "cpus", type: "SCALAR", scalar: { value: 0.7 }, allocation_info: { role: "titan" } },
      { name: "mem", type: "SCALAR", scalar: { value: 128 }, role: "*" },
    ]);
    expect(offer.resources?.[1]?.scalar?.value).toBe(4);
  });

  it("takes a role's reservation before unreserved resources, whatever the offer's order", () => {
    const reserved = [{ type: "STATIC" as const, role: "web" }];
    const refined = [...reserved, { type: "DYNAMIC" as const, role: "web/api", principal: "ops" }];
    const offer = {
      ...OFFER,
      resources: [
        { name: "cpus", type: "SCALAR" as const, scalar: { value: 4 } },
        { name: "cpus", type: "SCALAR" as const, scalar: { value: 1 }, reservations: reserved },
        { name: "cpus", type: "SCALAR" as const, scalar: { value: 0.5 }, reservations: refined },
        { name: "mem", type: "SCALAR" as const, scalar: { value: 1024 } },
        { name: "mem", type: "SCALAR" as const, scalar: { value: 64 }, role: "web" },
      ],
    };
    expect(carveResources(offer, { cpus: 2, mem: 128 })).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, reservations: refined },
      { name: "cpus", type: "SCALAR", scalar: { value: 1 }, reservations: reserved },
      { name: "cpus", type: "SCALAR", scalar: { value: 0.5 } },
      { name: "mem", type: "SCALAR", scalar: { value: 64 }, role: "web" },
      { name: "mem", type: "SCALAR", scalar: { value: 64 } },
    ]);
  });

  it("refuses what the offer cannot hold", () => {
    expect(() => carveResources(OFFER, { cpus: 9, mem: 1 })).toThrow(OfferTooSmallError);
    expect(() => carveResources(OFFER, { cpus: 1, mem: 1, ports: [80] })).toThrow(/does not include port 80/);
  });

  it("sets shell deliberately: true runs a shell command, false keeps the image entrypoint", () => {
    const shell = taskInfo({
      taskId: "t",
      name: "t",
      offer: OFFER,
      demand: { cpus: 0.1, mem: 32 },
      command: { shell: true, value: "echo hi" },
    });
    expect(shell.command).toEqual({ shell: true, value: "echo hi" });
    const entrypoint = taskInfo({
      taskId: "t",
      name: "t",
      offer: OFFER,
      demand: { cpus: 0.1, mem: 32 },
      command: { shell: false },
      container: { kind: "mesos", image: "busybox:1" },
    });
    expect(entrypoint.command).toEqual({ shell: false });
    expect(checkShape(entrypoint, "mesos.v1.TaskInfo")).toEqual([]);
  });

  it("puts fetched files into CommandInfo.uris as the fetcher reads them", () => {
    const task = taskInfo({
      taskId: "t",
      name: "t",
      offer: OFFER,
      demand: { cpus: 0.1, mem: 32 },
      command: { shell: true, value: "node server.js" },
      fetch: [
        { uri: "file:///srv/hello/server.js", extract: false },
        { uri: "https://example.com/tool", executable: true, outputFile: "tool" },
      ],
    });
    expect(task.command?.uris).toEqual([
      { value: "file:///srv/hello/server.js", extract: false },
      { value: "https://example.com/tool", executable: true, output_file: "tool" },
    ]);
    expect(checkShape(task, "mesos.v1.TaskInfo")).toEqual([]);
  });

  it("never acknowledges an update without a uuid", () => {
    const noUuid = (fixture("scheduler/events/update-reconciliation-no-uuid.json") as UpdateEvent).update
      .status;
    expect(acknowledgeCall(FID, noUuid)).toBeUndefined();
    const ack = acknowledgeCall(FID, RUNNING as TaskStatus);
    expect(ack?.acknowledge.uuid).toBe(RUNNING.uuid);
  });
});
