import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/errors.js";
import { masterOrigin } from "../../src/mesos/zk-leader.js";
import { digestId } from "../../src/state/zk-protocol.js";
import { parseZkUrl } from "../../src/state/zk-url.js";

describe("zk:// URLs", () => {
  it("lists the ensemble, defaults the port and keeps the base path", () => {
    expect(parseZkUrl("zk://zk1:2181,zk2,[::1]:2182/titan/prod/")).toEqual({
      hosts: [
        { host: "zk1", port: 2181 },
        { host: "zk2", port: 2181 },
        { host: "::1", port: 2182 },
      ],
      path: "/titan/prod",
      display: "zk://zk1:2181,zk2,[::1]:2182/titan/prod",
    });
  });

  it("takes digest credentials as a secret reference and never displays them", () => {
    const url = parseZkUrl("zk://titan:file:/etc/titan/zk-secret@zk1:2181/titan");
    expect(url.auth).toEqual({ user: "titan", secretRef: "file:/etc/titan/zk-secret" });
    expect(url.display).toBe("zk://titan@zk1:2181/titan");
    expect(parseZkUrl("zk://titan:env:ZK_SECRET@zk1/titan").auth?.secretRef).toBe("env:ZK_SECRET");
  });

  it.each([
    ["zk://zk1:2181", "needs a base path"],
    ["zk://zk1:2181/", "needs a base path"],
    ["zk://zk1:99999/titan", "is not host:port"],
    ["http://zk1:2181/titan", "must start with zk://"],
    ["zk://titan:hunter2@zk1/titan", "must be a secret reference"],
    ["zk://127.0.0.1:22181/ti tan", 'the base path holds invalid characters: " "'],
    ["zk://titan:hunter2@127.0.0.1:22181/ti tan", 'the base path holds invalid characters: " "'],
    ["zk://zk1:2181/titan/prod é", 'the base path holds invalid characters: " " "é"'],
    ["zk://zk1:2181/titan//prod", "the base path has an empty name (//)"],
    ["zk://127.0.0.1:22181/titan?x=1", "a query (?…) is not allowed"],
    ["zk://titan:env:ZK@127.0.0.1:22181/titan?pw=hunter2", "a query (?…) is not allowed"],
    ["zk://zk1:2181?x=1", "a query (?…) is not allowed"],
    ["zk://zk1:2181/titan#x", "a fragment (#…) is not allowed"],
  ])("refuses %s", (text, why) => {
    let error: unknown;
    try {
      parseZkUrl(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).not.toContain("hunter2");
  });

  it("derives ZooKeeper's digest ACL id", () => {
    // base64(sha1("super:test")) as ZooKeeper's DigestAuthenticationProvider documents it
    expect(digestId("super", "test")).toBe("super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  });
});

describe("MasterInfo from a json.info_ node", () => {
  const info = {
    id: "0b7a4e51-4f6c-4b55-8d3c-6a1f2b3c4d5e",
    ip: 16777343,
    port: 5050,
    pid: "master@127.0.0.1:5050",
    hostname: "localhost",
    version: "1.12.0",
    address: { hostname: "m1.example", ip: "127.0.0.1", port: 5051 },
    capabilities: [{ type: "AGENT_UPDATE" }],
  };

  it("prefers address.hostname and address.port", () => {
    const found = masterOrigin(info, "http");
    expect(found?.url.origin).toBe("http://m1.example:5051");
    expect(found?.id).toBe(info.id);
  });

  it("falls back to hostname, address.ip, then the packed ip", () => {
    const { address: _, ...bare } = info;
    expect(masterOrigin(bare, "https")?.url.origin).toBe("https://localhost:5050");
    expect(masterOrigin({ ...bare, hostname: undefined }, "http")?.url.origin).toBe("http://127.0.0.1:5050");
    expect(masterOrigin({ id: "x", ip: 83951626, port: 5050 }, "http")?.url.origin).toBe(
      "http://10.0.1.5:5050",
    );
  });

  it("ignores nodes without an address", () => {
    expect(masterOrigin({ id: "x" }, "http")).toBeUndefined();
    expect(masterOrigin("nonsense", "http")).toBeUndefined();
  });
});

describe("zk:// URLs in the config", () => {
  const diagnostics = async (text: string): Promise<string> => {
    const { parseConfigDocument, validateConfig } = await import("../../src/config/load.js");
    try {
      validateConfig(parseConfigDocument(text), "config.yaml");
      return "";
    } catch (error) {
      return JSON.stringify((error as { diagnostics: unknown }).diagnostics);
    }
  };

  it("accepts zk:// masters and state", async () => {
    const text =
      'clusters:\n  team:\n    masters: ["zk://zk1:2181,zk2:2181/mesos"]\n    state: zk://t:env:ZK@zk1/titan\n';
    expect(await diagnostics(text)).toBe("");
  });

  it("says to quote a zk:// URL that YAML split at its commas", async () => {
    expect(await diagnostics("clusters:\n  team:\n    masters: [zk://zk1:2181,zk2:2181/mesos]\n")).toContain(
      "needs a base path (in a YAML [ ] list, quote a zk:// URL that names several hosts)",
    );
  });

  it("refuses a state URL with a literal password", async () => {
    const text = "clusters:\n  team:\n    masters: [http://m1:5050]\n    state: zk://u:pw@zk1:2181/titan\n";
    const found = await diagnostics(text);
    expect(found).toContain("secret reference");
    expect(found).not.toContain(":pw@");
  });
});
