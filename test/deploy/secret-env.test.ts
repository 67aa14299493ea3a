import { describe, expect, it } from "vitest";
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
