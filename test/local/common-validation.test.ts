import { describe, expect, it } from "vitest";
import {
  checkInfoError,
  containerInfoError,
  environmentError,
  healthCheckError,
  normalizeHealthCheckType,
} from "../../src/local/common-validation.js";
import type { JsonObject } from "../../src/local/json.js";

describe("health checks as src/common/validation.cpp validateHealthCheck sees them", () => {
  it.each<[JsonObject, string | undefined]>([
    [{ type: "TCP", tcp: { port: 80 } }, undefined],
    [{ type: "HTTP", http: { port: 80, scheme: "https", path: "/ready" } }, undefined],
    [{ type: "COMMAND", command: { value: "true" } }, undefined],
    [{}, "HealthCheck must specify 'type'"],
    [{ type: "UNKNOWN" }, "'UNKNOWN' is not a valid health check type"],
    [{ type: "COMMAND" }, "Expecting 'command' to be set for COMMAND health check"],
    [{ type: "COMMAND", command: {} }, "Command health check must contain 'shell command'"],
    [{ type: "COMMAND", command: { shell: false } }, "Command health check must contain 'executable path'"],
    [
      { type: "COMMAND", command: { value: "true", environment: { variables: [{ name: "A" }] } } },
      "Health check's `CommandInfo` is invalid: Environment variable 'A' of type 'VALUE' must have a value set",
    ],
    [{ type: "HTTP" }, "Expecting 'http' to be set for HTTP health check"],
    [{ type: "HTTP", http: { port: 80, scheme: "ftp" } }, "Unsupported HTTP health check scheme: 'ftp'"],
    [
      { type: "HTTP", http: { port: 80, path: "ready" } },
      "The path 'ready' of HTTP health check must start with '/'",
    ],
    [{ type: "TCP" }, "Expecting 'tcp' to be set for TCP health check"],
    [{ type: "TCP", tcp: { port: 80 }, delay_seconds: -1 }, "Expecting 'delay_seconds' to be non-negative"],
    [
      { type: "TCP", tcp: { port: 80 }, grace_period_seconds: "-0.5" },
      "Expecting 'grace_period_seconds' to be non-negative",
    ],
    [
      { type: "TCP", tcp: { port: 80 }, timeout_seconds: -3 },
      "Expecting 'timeout_seconds' to be non-negative",
    ],
    [{ type: "TCP", tcp: { port: 80 }, timeout_seconds: 0, delay_seconds: 0 }, undefined],
  ])("%j: %s", (check, message) => {
    expect(healthCheckError(check)).toBe(message);
  });

  it("drops a type name Mesos does not know and takes the type from http or command alone", () => {
    const typed = (check: JsonObject) => {
      normalizeHealthCheckType(check);
      return check.type;
    };
    expect(typed({ http: { port: 1 } })).toBe("HTTP");
    expect(typed({ command: { value: "true" } })).toBe("COMMAND");
    expect(typed({ type: "GRPC", http: { port: 1 } })).toBe("HTTP");
    expect(typed({ http: { port: 1 }, command: { value: "true" } })).toBeUndefined();
    expect(typed({ tcp: { port: 1 } })).toBeUndefined();
    expect(typed({ type: "TCP", http: { port: 1 } })).toBe("TCP");
  });
});

describe("checks, environments and containers", () => {
  it.each<[JsonObject, string | undefined]>([
    [{ type: "TCP", tcp: { port: 80 } }, undefined],
    [{}, "CheckInfo must specify 'type'"],
    [{ type: "COMMAND" }, "Expecting 'command' to be set for COMMAND check"],
    [
      { type: "COMMAND", command: { command: { shell: false } } },
      "Command check must contain 'executable path'",
    ],
    [{ type: "HTTP", http: { port: 80, path: "x" } }, "The path 'x' of HTTP check must start with '/'"],
    [
      { type: "TCP", tcp: { port: 80 }, interval_seconds: -1 },
      "Expecting 'interval_seconds' to be non-negative",
    ],
  ])("check %j: %s", (check, message) => {
    expect(checkInfoError(check)).toBe(message);
  });

  it("refuses an UNKNOWN variable and a secret value holding a null byte", () => {
    expect(environmentError({ variables: [{ name: "A", type: "UNKNOWN", value: "x" }] })).toBe(
      "Environment variable of type 'UNKNOWN' is not allowed",
    );
    const secret = (text: string) => ({
      variables: [
        {
          name: "S",
          type: "SECRET",
          secret: { type: "VALUE", value: { data: Buffer.from(text).toString("base64") } },
        },
      ],
    });
    expect(environmentError(secret("a\0b"))).toBe(
      "Environment variable 'S' specifies a secret containing null bytes, which is not allowed in the environment",
    );
    expect(environmentError(secret("ab"))).toBeUndefined();
  });

  it.each<[JsonObject, string | undefined]>([
    [{ type: "MESOS", volumes: [{ container_path: "/d", mode: "RW", host_path: "/tmp" }] }, undefined],
    [
      { type: "MESOS", volumes: [{ container_path: "/d", mode: "RW" }] },
      "Invalid volume: Only one of them should be set: 'host_path', 'image' and 'source'",
    ],
    [
      { type: "MESOS", volumes: [{ container_path: "/d", mode: "RW", source: { type: "HOST_PATH" } }] },
      "Invalid volume: 'source.host_path' is not set for HOST_PATH volume",
    ],
    [
      {
        type: "MESOS",
        volumes: [{ container_path: "/d", mode: "RW", source: { host_path: { path: "/x" } } }],
      },
      "Invalid volume: 'source.type' is unknown",
    ],
    [
      {
        type: "MESOS",
        volumes: [{ container_path: "/d", mode: "RW", source: { type: "CSI_VOLUME", csi_volume: {} } }],
      },
      "Invalid volume: 'source.csi_volume.static_provisioning' is not set for CSI volume",
    ],
    [{ type: "DOCKER" }, "DockerInfo 'docker' is not set for DOCKER typed ContainerInfo"],
    [
      { type: "DOCKER", docker: { image: "a", parameters: [{ key: "name", value: "x" }] } },
      "Parameter in DockerInfo must not be 'name'",
    ],
    [{ type: "DOCKER", docker: { image: "a", parameters: [{ key: "label", value: "x" }] } }, undefined],
  ])("container %j: %s", (container, message) => {
    expect(containerInfoError(container)).toBe(message);
  });
});
