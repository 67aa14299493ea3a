import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TitanError } from "../cli/errors.js";
import { ImageResolveError } from "./errors.js";
import { DOCKER_HUB } from "./reference.js";

/** A username and password (or token) for one registry host, and where it came from (for messages only). */
export interface Credential {
  username: string;
  password: string;
  source: string;
}

/** Credentials titan's own config names for the cluster's registry: only ever sent to that host. */
export interface ConfiguredCredential {
  host: string;
  username: string;
  /** Read only once the registry asks for a login: a registry that lets anyone pull needs no password set. */
  password: () => Promise<string>;
}

export interface CredentialOptions {
  vars: Readonly<Record<string, string | undefined>>;
  configured?: ConfiguredCredential;
  /** How long a `docker-credential-*` helper may take. */
  helperTimeoutMs?: number;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The keys Docker uses for Docker Hub in config.json and towards credential helpers. */
const HUB_KEY = "https://index.docker.io/v1/";

/** `https://host:port/v1/` and `host:port` both name host:port; every Docker Hub spelling names docker.io. */
export function configKeyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
  return host === "index.docker.io" || host === "registry-1.docker.io" ? DOCKER_HUB : host;
}

export function dockerConfigPath(vars: CredentialOptions["vars"]): string | undefined {
  if (vars.DOCKER_CONFIG !== undefined && vars.DOCKER_CONFIG !== "")
    return join(vars.DOCKER_CONFIG, "config.json");
  return vars.HOME === undefined || vars.HOME === "" ? undefined : join(vars.HOME, ".docker", "config.json");
}

async function readDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as DockerConfig) : undefined;
  } catch {
    throw new ImageResolveError(`${path} is not valid JSON`, "fix or remove the Docker config file");
  }
}

/**
 * Finds the credential for a registry host: titan's config for the cluster's registry first, then
 * ~/.docker/config.json as the Docker CLI reads it (credHelpers[host], else credsStore, else auths[host]).
 * Secrets are never part of an error message; helpers' output is never echoed.
 */
export class Credentials {
  private config: Promise<DockerConfig | undefined> | undefined;
  private readonly found = new Map<string, Promise<Credential | undefined>>();

  constructor(private readonly options: CredentialOptions) {}

  /** Where credentials were looked for, for the message of a 401. */
  describeSources(domain: string): string {
    const sources: string[] = [];
    if (this.options.configured?.host === domain) sources.push("the cluster's `registry` in titan's config");
    const path = dockerConfigPath(this.options.vars);
    if (path !== undefined) sources.push(path);
    return sources.join(" and ");
  }

  lookup(domain: string): Promise<Credential | undefined> {
    let found = this.found.get(domain);
    if (found === undefined) {
      found = this.find(domain);
      this.found.set(domain, found);
    }
    return found;
  }

  private async find(domain: string): Promise<Credential | undefined> {
    const configured = this.options.configured;
    if (configured !== undefined && configured.host === domain)
      return {
        username: configured.username,
        password: await configuredPassword(configured),
        source: "titan config",
      };
    const path = dockerConfigPath(this.options.vars);
    if (path === undefined) return undefined;
    this.config ??= readDockerConfig(path);
    const config = await this.config;
    if (config === undefined) return undefined;
    const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => configKeyHost(k) === domain);
    const helper = helperKey === undefined ? undefined : config.credHelpers?.[helperKey];
    if (helper !== undefined) return this.fromHelper(helper, domain, `credHelpers["${helperKey}"]`);
    if (config.credsStore !== undefined) {
      const stored = await this.fromHelper(config.credsStore, domain, "credsStore");
      if (stored !== undefined) return stored;
    }
    const authKey = Object.keys(config.auths ?? {}).find((k) => configKeyHost(k) === domain);
    const entry = authKey === undefined ? undefined : config.auths?.[authKey];
    if (entry === undefined) return undefined;
    const source = `${path} auths["${authKey}"]`;
    if (entry.auth !== undefined && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0)
        throw new ImageResolveError(
          `${source} is not base64 of "user:password"`,
          "log in again with docker login",
        );
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
    }
    if (entry.username !== undefined && entry.password !== undefined)
      return { username: entry.username, password: entry.password, source };
    return undefined;
  }

  /** Runs `docker-credential-<helper> get` with the server URL on stdin, as the Docker CLI does. */
  private fromHelper(helper: string, domain: string, origin: string): Promise<Credential | undefined> {
    const program = `docker-credential-${helper}`;
    const timeoutMs = this.options.helperTimeoutMs ?? 10_000;
    const serverUrl = domain === DOCKER_HUB ? HUB_KEY : domain;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.options.vars)) if (v !== undefined) env[k] = v;
    return new Promise((resolve, reject) => {
      const child = execFile(
        program,
        ["get"],
        { timeout: timeoutMs, killSignal: "SIGKILL", env, maxBuffer: 64 * 1024 },
        (error, stdout) => {
          if (error !== null) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "ENOENT")
              return reject(
                new ImageResolveError(
                  `${origin} names ${program}, which is not on PATH`,
                  `install ${program} or remove ${origin} from the Docker config`,
                ),
              );
            if (error.killed)
              return reject(
                new ImageResolveError(
                  `${program} (${origin}) did not answer within ${timeoutMs / 1000}s`,
                  "check the credential helper (is a keychain prompt waiting?)",
                ),
              );
            // Helpers exit non-zero with "credentials not found" when they hold nothing for the host.
            return resolve(undefined);
          }
          try {
            resolve(parseHelperOutput(stdout, program, origin));
          } catch (parseError) {
            reject(parseError);
          }
        },
      );
      child.stdin?.on("error", () => {});
      child.stdin?.end(serverUrl);
    });
  }
}

/** The configured password, read now that the registry asks for a login; a reference that cannot be read says so. */
async function configuredPassword(configured: ConfiguredCredential): Promise<string> {
  try {
    return await configured.password();
  } catch (error) {
    if (!(error instanceof TitanError)) throw error;
    throw new ImageResolveError(
      `${configured.host} asks for a login: ${error.message}`,
      error.hint ?? "check the cluster's `registry` password in titan's config",
      error,
    );
  }
}

function parseHelperOutput(stdout: string, program: string, origin: string): Credential {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new ImageResolveError(
      `${program} (${origin}) returned invalid JSON (its output is not shown)`,
      "check the credential helper; run it by hand with `get`",
    );
  }
  const record = parsed as { Username?: unknown; Secret?: unknown };
  if (typeof record.Username !== "string" || typeof record.Secret !== "string")
    throw new ImageResolveError(
      `${program} (${origin}) returned JSON without Username and Secret (its output is not shown)`,
      "check the credential helper; run it by hand with `get`",
    );
  return { username: record.Username, password: record.Secret, source: `${program} (${origin})` };
}
