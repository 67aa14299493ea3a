import { describe, expect, it } from "vitest";
import { checkSecretDelivery } from "../../src/deploy/environment.js";
import { launchSpec } from "../../src/deploy/task-spec.js";
import { environmentInfo, taskInfo } from "../../src/mesos/task-builder.js";
import { appSpec } from "../plan/builders.js";
import { agentOffer } from "../support/offers.js";
import { checkShape } from "../support/proto-shape.js";

const offer = agentOffer;

describe("Mesos secrets in the environment", () => {
  it("sends references as SECRET variables of type REFERENCE, values as VALUE", () => {
    expect(
      environmentInfo({ LOG: "info" }, { DB_PASSWORD: { name: "payments/db", key: "password" } }),
    ).toEqual({
      environment: {
        variables: [
          { name: "LOG", type: "VALUE", value: "info" },
          {
            name: "DB_PASSWORD",
            type: "SECRET",
            secret: { type: "REFERENCE", reference: { name: "payments/db", key: "password" } },
          },
        ],
      },
    });
    expect(environmentInfo(undefined, { TOKEN: { name: "t" } }).environment?.variables).toEqual([
      { name: "TOKEN", type: "SECRET", secret: { type: "REFERENCE", reference: { name: "t" } } },
    ]);
    expect(environmentInfo({}, {})).toEqual({});
  });

  it("keeps the resolved value of a referenced variable out of the TaskInfo, which stays a valid TaskInfo", () => {
    const info = taskInfo(
      launchSpec({
        spec: appSpec({ command: ["node", "server.js"] }),
        taskId: "api.3.1.2",
        release: 3,
        instance: 1,
        digest: "sha256:abc",
        region: null,
        offer,
        ports: { http: 31005 },
        environment: { LOG_LEVEL: "info", DB_PASSWORD: "hunter2" },
        secretReferences: { DB_PASSWORD: { name: "payments/db" } },
      }),
    );
    expect(JSON.stringify(info)).not.toContain("hunter2");
    const variables = info.command?.environment?.variables ?? [];
    expect(variables.find((v) => v.name === "DB_PASSWORD")).toEqual({
      name: "DB_PASSWORD",
      type: "SECRET",
      secret: { type: "REFERENCE", reference: { name: "payments/db" } },
    });
    expect(checkShape(info, "mesos.v1.TaskInfo")).toEqual([]);
  });
});

describe("mesos: env references in a deploy", () => {
  it("carve sends them as REFERENCE secrets with the proto's field names, never a value", async () => {
    const { carveLaunches } = await import("../../src/deploy/carve.js");
    const spec = appSpec({
      command: ["node", "server.js"],
      env: {
        LOG: { kind: "plain", value: "info" },
        DB: {
          kind: "secret",
          source: "mesos",
          ref: "payments/db",
          key: "password",
          raw: "mesos:payments/db#password",
        },
      },
    });
    const release = { number: 1, manifestDigest: "sha256:abc" } as Parameters<
      typeof carveLaunches
    >[1]["target"]["release"];
    const launches = carveLaunches(
      [
        {
          offer,
          placement: {
            instance: 0,
            agentId: offer.agent_id.value,
            hostname: offer.hostname,
            ports: { http: 31005 },
          } as never,
        },
      ],
      {
        app: "api",
        target: { spec, release, environment: { LOG: "info" } },
        region: null,
        now: 0,
        nextIncarnation: () => 1,
      },
    );
    const [launch] = launches.get(offer) ?? [];
    const info = launch?.info;
    expect(info?.command?.environment?.variables).toContainEqual({
      name: "DB",
      type: "SECRET",
      secret: { type: "REFERENCE", reference: { name: "payments/db", key: "password" } },
    });
    expect(checkShape(info, "mesos.v1.TaskInfo")).toEqual([]);
  });

  it("refuses references a cluster cannot resolve, before anything changes", () => {
    const spec = appSpec({
      env: { DB: { kind: "secret", source: "mesos", ref: "payments/db", raw: "mesos:payments/db" } },
    });
    expect(() => checkSecretDelivery([spec], { name: "prod", secrets: "none" })).toThrow(
      /api's env DB is a Mesos secret reference, but cluster prod does not resolve Mesos secrets/,
    );
    expect(() => checkSecretDelivery([spec], { name: "prod", secrets: "mesos" })).not.toThrow();
    expect(() =>
      checkSecretDelivery([{ ...spec, image: "nginx" }], {
        name: "prod",
        secrets: "mesos",
        containerizer: "docker",
      }),
    ).toThrow(/Docker containerizer, which has no secret resolver/);
    expect(() => checkSecretDelivery([appSpec({})], { name: "prod" })).not.toThrow();
  });
});
