import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, createSign, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach } from "vitest";
import { tempDir } from "./tmp.js";

/** The CNCF distribution registry from Debian's docker-registry package (`registry` upstream). */
export const REGISTRY_BINARY = "/usr/bin/docker-registry";

export interface TestRegistry {
  /** host:port on loopback, e.g. 127.0.0.1:41234 */
  host: string;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface RegistryAuth {
  basic?: Readonly<Record<string, string>>;
  token?: { realm: string; service: string; issuer: string };
}

const stoppers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
});

const FIXTURES = join(import.meta.dirname, "..", "registry", "fixtures");
export const TOKEN_KEY = readFileSync(join(FIXTURES, "token-signing-key.pem"), "utf8");
export const TOKEN_CERT = readFileSync(join(FIXTURES, "token-signing-cert.pem"), "utf8");

function configYaml(dataDir: string, auth: RegistryAuth): string {
  const lines = [
    "version: 0.1",
    "log: { level: info, accesslog: { disabled: true } }",
    "storage:",
    `  filesystem: { rootdirectory: ${JSON.stringify(join(dataDir, "data"))} }`,
    "  delete: { enabled: true }",
    "http: { addr: 127.0.0.1:0, secret: titan-test-secret }",
  ];
  if (auth.basic !== undefined) {
    const file = join(dataDir, "htpasswd");
    const entries = Object.entries(auth.basic).map(([user, password]) =>
      execFileSync("htpasswd", ["-nbB", user, password], { encoding: "utf8" }).trim(),
    );
    writeFileSync(file, `${entries.join("\n")}\n`);
    lines.push(`auth: { htpasswd: { realm: titan-test, path: ${JSON.stringify(file)} } }`);
  }
  if (auth.token !== undefined) {
    const bundle = join(dataDir, "token-ca.pem");
    writeFileSync(bundle, TOKEN_CERT);
    const t = auth.token;
    lines.push(
      `auth: { token: { realm: ${JSON.stringify(t.realm)}, service: ${JSON.stringify(t.service)}, issuer: ${JSON.stringify(t.issuer)}, rootcertbundle: ${JSON.stringify(bundle)} } }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Starts docker-registry on a free loopback port with a temp config and storage; stopped after the test. */
export async function startRegistry(auth: RegistryAuth = {}): Promise<TestRegistry> {
  const dataDir = tempDir("titan-registry-");
  const config = join(dataDir, "config.yml");
  writeFileSync(config, configYaml(dataDir, auth));
  const child = spawn(REGISTRY_BINARY, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  const stop = () => stopChild(child);
  stoppers.push(stop);
  const host = await new Promise<string>((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`registry did not start:\n${log}`)), 15_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString("utf8");
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return { host, url: `http://${host}`, dataDir, stop };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** An HTTP server on a free loopback port, closed after the test. */
export async function startServer(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stoppers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

/** A JWT the distribution registry accepts: RS256, the signing certificate in x5c, access for the scope. */
export function signToken(claims: {
  issuer: string;
  service: string;
  subject: string;
  scope?: string;
}): string {
  const der = new X509Certificate(TOKEN_CERT).raw.toString("base64");
  const header = { typ: "JWT", alg: "RS256", x5c: [der] };
  const now = Math.floor(Date.now() / 1000);
  const access = [];
  if (claims.scope !== undefined) {
    const [type, name, actions] = claims.scope.split(":");
    access.push({ type, name, actions: (actions ?? "").split(",") });
  }
  const payload = {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.service,
    exp: now + 300,
    nbf: now - 10,
    iat: now,
    jti: createHash("sha256").update(String(Math.random())).digest("hex").slice(0, 16),
    access,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createSign("RSA-SHA256").update(input).sign(TOKEN_KEY);
  return `${input}.${base64url(signature)}`;
}

export interface TokenServer {
  url: string;
  realm: string;
  service: string;
  issuer: string;
  /** Token requests seen, with whether they carried credentials. */
  requests: Array<{ scope: string | null; user: string | undefined }>;
}

/** A small token server of the distribution token spec; `users` are the only accepted credentials. */
export async function startTokenServer(users: Readonly<Record<string, string>>): Promise<TokenServer> {
  const requests: TokenServer["requests"] = [];
  const service = "titan-test-registry";
  const issuer = "titan-test-issuer";
  const { url } = await startServer((req: IncomingMessage, res) => {
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    const user = basicUser(req.headers.authorization, users);
    requests.push({ scope: query.get("scope"), user: user ?? undefined });
    if (user === null || user === undefined) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED" }] }));
      return;
    }
    const scope = query.get("scope") ?? undefined;
    const token = signToken({ issuer, service, subject: user, ...(scope === undefined ? {} : { scope }) });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  return { url, realm: `${url}/token`, service, issuer, requests };
}

/** undefined: no credentials; null: wrong ones. */
function basicUser(
  header: string | undefined,
  users: Readonly<Record<string, string>>,
): string | null | undefined {
  if (header === undefined || !header.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = decoded.slice(0, colon);
  return users[user] !== undefined && users[user] === decoded.slice(colon + 1) ? user : null;
}
