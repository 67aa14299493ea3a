import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AppSpec, parseManifests } from "../../src/manifest/index.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/manifests");
const fixture = (name: string) => ({ file: name, text: readFileSync(join(FIXTURES, name), "utf8") });
const one = (text: string): AppSpec => {
  const [app] = parseManifests([{ file: "t.yaml", text }]).apps;
  if (!app) throw new Error("no app");
  return app;
};

describe("valid manifests", () => {
  it("normalises the example to the exact AppSpec", () => {
    const manifest = parseManifests([fixture("example.yaml")]);
    expect(manifest.files).toEqual(["example.yaml"]);
    expect(manifest.apps).toEqual([
      {
        name: "api",
        image: "registry.example.com/payments/api:1.4.2",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
        command: ["node", "server.js", "--port", "${PORT_HTTP}"],
        env: {
          LOG_LEVEL: { kind: "plain", value: "info" },
          DB_PASSWORD: {
            kind: "secret",
            source: "file",
            ref: "/run/secrets/db-password",
            raw: "file:/run/secrets/db-password",
          },
        },
        fetch: [],
        resources: { cpus: 0.5, mem: 512, disk: 1024, gpus: 0 },
        ports: [{ name: "http", protocol: "tcp" }],
        instances: 6,
        regions: { "us-east": 4, "eu-west": 2 },
        constraints: [
          { kind: "unique", attribute: "hostname" },
          { kind: "balance", attribute: "zone", hard: false },
          { kind: "attribute", attribute: "instance_type", op: "like", value: "m5\\..*" },
          { kind: "max_per", attribute: "rack", count: 2 },
        ],
        placement: "binpack",
        health: {
          probe: { kind: "http", port: "http", path: "/healthz", scheme: "http" },
          intervalMs: 10_000,
          timeoutMs: 2_000,
          graceMs: 30_000,
          delayMs: 0,
          failures: 3,
        },
        update: {
          maxSurge: { kind: "percent", value: 25 },
          maxUnavailable: { kind: "count", value: 0 },
          minHealthyTimeMs: 10_000,
          healthyDeadlineMs: 300_000,
          progressDeadlineMs: 600_000,
          autoRollback: true,
        },
        restart: { backoffMs: 1_000, factor: 2, maxDelayMs: 300_000 },
        killGraceMs: 30_000,
        labels: { team: "payments" },
        source: { file: "example.yaml", line: 1, col: 1, path: "" },
      },
    ]);
  });

  it("fills the documented defaults for a minimal app", () => {
    expect(one("name: web\nimage: nginx:1.27\n")).toEqual({
      name: "web",
      image: "nginx:1.27",
      env: {},
      fetch: [],
      resources: { cpus: 0.1, mem: 128, disk: 0, gpus: 0 },
      ports: [],
      instances: 1,
      constraints: [],
      placement: "binpack",
      update: {
        maxSurge: { kind: "percent", value: 25 },
        maxUnavailable: { kind: "count", value: 0 },
        minHealthyTimeMs: 10_000,
        healthyDeadlineMs: 300_000,
        progressDeadlineMs: 600_000,
        autoRollback: true,
      },
      restart: { backoffMs: 1_000, factor: 2, maxDelayMs: 300_000 },
      killGraceMs: 10_000,
      labels: {},
      source: { file: "t.yaml", line: 1, col: 1, path: "" },
    });
  });

  it("gives every app its own copy of each default, however many apps share it", () => {
    const text =
      "apps:\n  - name: a\n    image: x:1\n  - name: b\n    image: x:1\n  - name: c\n    image: x:1\n";
    const [a, b, c] = parseManifests([{ file: "t.yaml", text }]).apps;
    if (!a || !b || !c) throw new Error("three apps expected");
    expect(b.update).toEqual(a.update);
    expect(c.resources).toEqual(a.resources);
    expect(b.update).not.toBe(a.update);
    expect(b.update.maxSurge).not.toBe(a.update.maxSurge);
    expect(b.env).not.toBe(a.env);
    expect(c.constraints).not.toBe(b.constraints);
    expect(one("name: d\nimage: x:1\n").update).toEqual(a.update);
  });

  it("merges defaults into each app of an apps file", () => {
    const manifest = parseManifests([fixture("multi-app.yaml")]);
    const [web, catalog, worker] = manifest.apps;
    expect(manifest.apps.map((a) => a.name)).toEqual(["web", "catalog", "worker"]);
    expect(web?.resources).toEqual({ cpus: 0.25, mem: 256, disk: 0, gpus: 0 });
    expect(web?.env).toEqual({
      API_URL: { kind: "plain", value: "http://api.service:8080" },
      LOG_LEVEL: { kind: "plain", value: "info" },
    });
    expect(web?.constraints).toEqual([{ kind: "unique", attribute: "hostname" }]);
    expect(web?.update.maxSurge).toEqual({ kind: "count", value: 1 });
    expect(web?.update.autoRollback).toBe(true);
    expect(web?.source).toEqual({ file: "multi-app.yaml", line: 13, col: 5, path: "apps[0]" });
    // The app's own keys win, key by key inside merged sections.
    expect(catalog?.resources).toEqual({ cpus: 0.25, mem: 1024, disk: 0, gpus: 0 });
    expect(catalog?.env.LOG_LEVEL).toEqual({ kind: "plain", value: "debug" });
    expect(catalog?.env.DB_PASSWORD).toEqual({
      kind: "secret",
      source: "env",
      ref: "CATALOG_DB_PASSWORD",
      raw: "env:CATALOG_DB_PASSWORD",
    });
    expect(catalog?.instances).toBe(4);
    expect(catalog?.health?.probe).toEqual({ kind: "tcp", port: "admin" });
    expect(catalog?.labels).toEqual({ team: "storefront" });
    // Lists are replaced, not appended.
    expect(worker?.constraints).toEqual([
      { kind: "attribute", attribute: "instance_type", op: "unlike", value: "t2\\..*" },
    ]);
    expect(worker?.shell).toBe("python -m worker --concurrency 4");
    expect(worker?.image).toBeUndefined();
    expect(worker?.placement).toBe("spread");
  });

  it("takes a plain command task without an image", () => {
    const app = parseManifests([fixture("command-task.yaml")]).apps[0];
    expect(app).toMatchObject({
      name: "nightly-report",
      shell: "./report.sh --since 24h > report.txt",
      resources: { cpus: 0.1, mem: 64, disk: 0, gpus: 0 },
      killGraceMs: 2_000,
      restart: { backoffMs: 10_000, factor: 1.5, maxDelayMs: 600_000 },
    });
    expect(app?.image).toBeUndefined();
  });

  it("loads several sources into one manifest", () => {
    const manifest = parseManifests([
      fixture("example.yaml"),
      fixture("multi-app.yaml"),
      fixture("command-task.yaml"),
    ]);
    expect(manifest.apps.map((a) => a.name)).toEqual(["api", "web", "catalog", "worker", "nightly-report"]);
    expect(manifest.files).toEqual(["example.yaml", "multi-app.yaml", "command-task.yaml"]);
  });

  it("keeps env and label values as written", () => {
    const app = one(
      'name: a\nimage: nginx:1.27\nenv: { VERSION: 1.10, DEBUG: true, N: 007, Q: "x: y" }\nlabels: { tier: 2 }\n',
    );
    expect(app.env).toEqual({
      VERSION: { kind: "plain", value: "1.10" },
      DEBUG: { kind: "plain", value: "true" },
      N: { kind: "plain", value: "007" },
      Q: { kind: "plain", value: "x: y" },
    });
    expect(app.labels).toEqual({ tier: "2" });
  });

  it("reads YAML 1.2: `no` is text where text is expected", () => {
    expect(one("name: a\nimage: nginx:1.27\nenv: { ENABLED: no }\n").env.ENABLED).toEqual({
      kind: "plain",
      value: "no",
    });
  });

  it("takes port shorthands, udp ports, probes and units", () => {
    const app = one(
      [
        "name: dns",
        "image: coredns/coredns:1.11.1",
        "ports: [dns, { name: metrics }, { name: dns-udp, protocol: udp }]",
        "resources: { cpus: 1.25, mem: 1.5Gi, disk: 2Ti, gpus: 1 }",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
        "health: { command: [dig, '@127.0.0.1', '-p', '${PORT_DNS}'], interval: 1m30s, timeout: 500ms, delay: 2s }",
        "instances: 0",
        "update: { max_surge: 0, max_unavailable: 33.3% }",
      ].join("\n"),
    );
    expect(app.ports).toEqual([
      { name: "dns", protocol: "tcp" },
      { name: "metrics", protocol: "tcp" },
      { name: "dns-udp", protocol: "udp" },
    ]);
    expect(app.resources).toEqual({ cpus: 1.25, mem: 1536, disk: 2 * 1024 * 1024, gpus: 1 });
    expect(app.health).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${PORT_...}` is manifest syntax, not a template
      probe: { kind: "command", argv: ["dig", "@127.0.0.1", "-p", "${PORT_DNS}"] },
      intervalMs: 90_000,
      timeoutMs: 500,
      graceMs: 30_000,
      delayMs: 2_000,
      failures: 3,
    });
    expect(app.instances).toBe(0);
    expect(app.update.maxUnavailable).toEqual({ kind: "percent", value: 33.3 });
  });

  it("counts instances from regions when instances is absent", () => {
    const app = one("name: a\nimage: nginx:1.27\nregions: { us-east: 3, eu-west: 1, ap-south: 0 }\n");
    expect(app.instances).toBe(4);
    expect(app.regions).toEqual({ "us-east": 3, "eu-west": 1, "ap-south": 0 });
  });

  it("accepts image references by the Docker grammar", () => {
    for (const image of [
      "nginx",
      "nginx:1.27-alpine",
      "library/nginx",
      "localhost:5000/team/app:v1",
      "registry.example.com:443/a/b/c:1.0.0_rc1",
      `app@sha256:${"a".repeat(64)}`,
      `registry.example.com/app:1.0@sha256:${"0".repeat(64)}`,
      "my_app__x.y-z:TAG",
    ]) {
      expect(one(`name: a\nimage: "${image}"\n`).image).toBe(image);
    }
  });

  it("validates every fixture outside invalid/", () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(() => parseManifests(files.map(fixture))).not.toThrow();
  });
});
