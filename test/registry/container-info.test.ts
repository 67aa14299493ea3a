import { describe, expect, it } from "vitest";
import { parseConfigDocument, validateConfig } from "../../src/config/load.js";
import { containerSpec, launchSpec } from "../../src/deploy/task-spec.js";
import { taskInfo } from "../../src/mesos/task-builder.js";
import { launchReference } from "../../src/registry/launch-reference.js";
import { normaliseImage } from "../../src/registry/reference.js";
import { appSpec } from "../plan/builders.js";
import { agentOffer } from "../support/offers.js";
import { checkShape } from "../support/proto-shape.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const offer = agentOffer;

describe("the ContainerInfo of a pinned image", () => {
  const spec = appSpec({
    image: `registry.example.com:5000/team/web:1.4@${DIGEST}`,
    ports: [
      { name: "http", protocol: "tcp", containerPort: 80 },
      { name: "admin", protocol: "tcp" },
    ],
  });
  const ports = { http: 31005, admin: 31006 };

  it("runs name@sha256 under the Mesos containerizer by default", () => {
    expect(containerSpec(spec, ports)).toEqual({
      kind: "mesos",
      image: `registry.example.com:5000/team/web@${DIGEST}`,
    });
  });

  it("maps host ports to container ports with BRIDGE networking under the Docker containerizer", () => {
    const info = taskInfo(
      launchSpec({
        spec,
        taskId: "web.1.0.1",
        release: 1,
        instance: 0,
        digest: "sha256:abc",
        region: null,
        offer,
        ports,
        environment: {},
        containerizer: "docker",
      }),
    );
    expect(info.container).toEqual({
      type: "DOCKER",
      docker: {
        image: `registry.example.com:5000/team/web@${DIGEST}`,
        network: "BRIDGE",
        port_mappings: [
          { host_port: 31005, container_port: 80, protocol: "tcp" },
          { host_port: 31006, container_port: 31006, protocol: "tcp" },
        ],
      },
    });
    expect(checkShape(info, "mesos.v1.TaskInfo")).toEqual([]);
  });

  it("keeps the tag out of what the agent pulls, and leaves an unpinned reference alone", () => {
    expect(launchReference(`localhost:5000/a:1@${DIGEST}`)).toBe(`localhost:5000/a@${DIGEST}`);
    expect(launchReference(`busybox@${DIGEST}`)).toBe(`busybox@${DIGEST}`);
    expect(launchReference("localhost:5000/a:1")).toBe("localhost:5000/a:1");
  });
});

describe("image references", () => {
  it("default to Docker Hub with library/, or to the cluster's registry", () => {
    expect(normaliseImage("busybox:1.36")).toMatchObject({
      domain: "docker.io",
      repository: "library/busybox",
      tag: "1.36",
    });
    expect(normaliseImage("team/app")).toMatchObject({ domain: "docker.io", repository: "team/app" });
    expect(normaliseImage("team/app:2", "registry.example.com")).toMatchObject({
      domain: "registry.example.com",
      repository: "team/app",
    });
    expect(normaliseImage("localhost/app:1")).toMatchObject({ domain: "localhost", repository: "app" });
    expect(normaliseImage(`127.0.0.1:5000/a/b@${DIGEST}`)).toMatchObject({
      domain: "127.0.0.1:5000",
      repository: "a/b",
      digest: DIGEST,
    });
  });
});

function parseConfigText(text: string, file: string) {
  return validateConfig(parseConfigDocument(text), file);
}

describe("the cluster's registry and containerizer settings", () => {
  it("reads a registry host, or a map with credentials by reference, and the containerizer", () => {
    const config = parseConfigText(
      `clusters:
  a: { masters: [http://m:5050], registry: registry.example.com }
  b:
    masters: [http://m:5050]
    registry: { url: "https://r.example.com:5000", username: ci, password: "env:REGISTRY_PASSWORD" }
    containerizer: docker
`,
      "config.yaml",
    );
    expect(config.clusters.a?.registry).toBe("registry.example.com");
    expect(config.clusters.b).toMatchObject({
      registry: "https://r.example.com:5000",
      registryAuth: { username: "ci", password: { source: "env", ref: "REGISTRY_PASSWORD" } },
      containerizer: "docker",
    });
  });

  it("refuses a password written out and an unknown containerizer", () => {
    expect(() =>
      parseConfigText(
        `clusters:
  b: { masters: [http://m:5050], registry: { url: r.example.com, username: ci, password: hunter2 }, containerizer: podman }
`,
        "config.yaml",
      ),
    ).toThrow(/2 errors in the titan config/);
  });
});
