import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSign, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalAgent } from "../src/local/agent/agent.js";
import type { AgentStatus, TaskInfoJson } from "../src/local/agent/api.js";
import { ImageContainers } from "../src/local/agent/container-image-containers.js";
import { TokenCache } from "../src/registry/auth.js";
import { RegistryClient } from "../src/registry/client.js";
import { Credentials } from "../src/registry/credentials.js";
import { RegistryHttp } from "../src/registry/http.js";
import { DEFAULT_PLATFORM } from "../src/registry/platform.js";
import { ImageResolver } from "../src/registry/resolve.js";

/**
 * Images: resolving a tag to a digest against a token-authenticated docker-registry on loopback (cold: a new client,
 * token fetched; warm: the token cached and the connection kept), pulling and unpacking examples/hello-image (first
 * pull into an empty store; cached blobs, unpack only), and launch → TASK_RUNNING on a local agent for an image task
 * under runc against a plain command task.
 */

const root = join(import.meta.dirname, "..", "..");
const fixtures = join(root, "test", "registry", "fixtures");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

async function startTokenServer(): Promise<{ server: Server; realm: string }> {
  const key = readFileSync(join(fixtures, "token-signing-key.pem"), "utf8");
  const der = new X509Certificate(readFileSync(join(fixtures, "token-signing-cert.pem"))).raw.toString(
    "base64",
  );
  const server = createServer((req, res) => {
    const scope = new URL(req.url ?? "/", "http://x").searchParams.get("scope") ?? "";
    const [type, name, actions] = scope.split(":");
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const input = `${b64({ typ: "JWT", alg: "RS256", x5c: [der] })}.${b64({
      iss: "bench",
      sub: "bench",
      aud: "bench",
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: String(Math.random()),
      access: [{ type, name, actions: (actions ?? "").split(",") }],
    })}`;
    const token = `${input}.${createSign("RSA-SHA256").update(input).sign(key).toString("base64url")}`;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, realm: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token` };
}

async function startRegistry(dir: string, realm?: string): Promise<{ child: ChildProcess; host: string }> {
  const auth = realm
    ? `auth: { token: { realm: "${realm}", service: bench, issuer: bench, rootcertbundle: "${join(fixtures, "token-signing-cert.pem")}" } }\n`
    : "";
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog: { level: info, accesslog: { disabled: true } }\nstorage: { filesystem: { rootdirectory: "${join(dir, "data")}" } }\nhttp: { addr: 127.0.0.1:0, secret: bench }\n${auth}`,
  );
  const child = spawn("/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const host = await new Promise<string>((resolve, reject) => {
    let log = "";
    child.stderr?.on("data", (c: Buffer) => {
      log += c.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", () => reject(new Error(`registry exited: ${log}`)));
  });
  return { child, host };
}

async function resolveTimes(host: string): Promise<{ cold: number; warm: number }> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 15; i++) {
    const http = new RegistryHttp();
    const resolver = new ImageResolver(
      new RegistryClient({ http, credentials: new Credentials({ vars: {} }), tokens: new TokenCache() }),
    );
    let t = performance.now();
    await resolver.resolve(`${host}/hello-image:1.0`, DEFAULT_PLATFORM);
    cold.push(performance.now() - t);
    t = performance.now();
    await resolver.resolve(`${host}/hello-image:1.0`, DEFAULT_PLATFORM);
    warm.push(performance.now() - t);
    await http.close();
  }
  return { cold: median(cold), warm: median(warm) };
}

async function provisionTimes(image: string, dir: string): Promise<{ first: number; cached: number }> {
  const first: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < 5; i++) {
    const workDir = mkdtempSync(join(dir, "agent-"));
    const containers = new ImageContainers(workDir, process.env.PATH, process.getuid?.());
    for (const [n, list] of [
      [0, first],
      [1, cached],
    ] as const) {
      const sandbox = mkdtempSync(join(dir, "sandbox-"));
      const t = performance.now();
      const container = await containers.provision({
        image,
        containerId: `c${i}-${n}`,
        command: { shell: true, value: "true" },
        taskEnv: {},
        sandbox,
        account: undefined,
        log: () => undefined,
        signal: new AbortController().signal,
      });
      list.push(performance.now() - t);
      await container.destroy();
    }
  }
  return { first: median(first), cached: median(cached) };
}

async function launchToRunning(image: string, dir: string): Promise<{ image: number; command: number }> {
  const statuses: AgentStatus[] = [];
  const agent = createLocalAgent({
    id: "bench-S0",
    hostname: "bench",
    attributes: {},
    resources: { cpus: 8, mem: 8192, disk: 8192, ports: [] },
    workDir: mkdtempSync(join(dir, "launch-")),
    onStatus: (s) => statuses.push(s),
  });
  await agent.start();
  const task = (id: string, withImage: boolean): TaskInfoJson => ({
    name: id,
    task_id: { value: id },
    agent_id: { value: "bench-S0" },
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }],
    command: { shell: true, value: "sleep 30" },
    ...(withImage
      ? { container: { type: "MESOS", mesos: { image: { type: "DOCKER", docker: { name: image } } } } }
      : {}),
  });
  const running = async (id: string, withImage: boolean): Promise<number> => {
    const t = performance.now();
    agent.launch("bench-framework", task(id, withImage));
    while (!statuses.some((s) => s.taskId === id && s.state === "TASK_RUNNING")) {
      if (statuses.some((s) => s.taskId === id && s.state === "TASK_FAILED")) throw new Error(`${id} failed`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return performance.now() - t;
  };
  await running("warmup", true);
  const images: number[] = [];
  const commands: number[] = [];
  for (let i = 0; i < 10; i++) {
    images.push(await running(`image-${i}`, true));
    commands.push(await running(`command-${i}`, false));
  }
  await agent.stop();
  return { image: median(images), command: median(commands) };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const dir = mkdtempSync(join(tmpdir(), "titan-bench-images-"));
  const tokens = await startTokenServer();
  const plain = await startRegistry(mkdtempSync(join(dir, "plain-")));
  const secured = await startRegistry(mkdtempSync(join(dir, "token-")), tokens.realm);
  try {
    const build = (host: string) =>
      execFileSync(join(root, "examples", "hello-image", "build.sh"), [host, "1.0"], { encoding: "utf8" })
        .trim()
        .split(" ");
    const [, digest] = build(plain.host);
    // Pushing to the token registry needs a push token: copy the image with skopeo using one from the server.
    execFileSync("skopeo", [
      "--insecure-policy",
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      "--dest-registry-token",
      await pushToken(tokens.realm),
      `docker://${plain.host}/hello-image:1.0`,
      `docker://${secured.host}/hello-image:1.0`,
    ]);
    const image = `${plain.host}/hello-image@${digest}`;
    const resolve = await resolveTimes(secured.host);
    const provision = await provisionTimes(image, dir);
    const launch = await launchToRunning(image, dir);
    const markdown = [
      "Against Debian's docker-registry on loopback; medians. Resolve: 15 runs against a registry with token auth",
      "(cold: a new client, so a token fetch and a new connection; warm: the same client again, token cached). Pull and",
      "unpack: examples/hello-image (static busybox, one layer), 5 runs, into an empty blob store and again with the",
      "blobs cached (unpack only). Launch → TASK_RUNNING: a local agent, 10 runs each, the image's blobs cached.",
      "",
      "| measure | time |",
      "| --- | ---: |",
      `| resolve tag → digest, cold (token fetched) | ${ms(resolve.cold)} ms |`,
      `| resolve tag → digest, warm (token cached) | ${ms(resolve.warm)} ms |`,
      `| pull + unpack, first | ${ms(provision.first)} ms |`,
      `| pull + unpack, blobs cached | ${ms(provision.cached)} ms |`,
      `| launch → TASK_RUNNING, image task under runc | ${ms(launch.image)} ms |`,
      `| launch → TASK_RUNNING, command task | ${ms(launch.command)} ms |`,
    ].join("\n");
    return { title: "Images: resolve, pull and unpack, launch under runc", markdown };
  } finally {
    plain.child.kill();
    secured.child.kill();
    tokens.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pushToken(realm: string): Promise<string> {
  const res = await fetch(`${realm}?service=bench&scope=repository:hello-image:pull,push`);
  return ((await res.json()) as { token: string }).token;
}
