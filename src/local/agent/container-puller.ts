import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type PullTarget, registryBase } from "./container-image-name.js";

const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** The most a manifest may be: real ones are a few KiB, and the agent holds one in memory to parse it. */
export const MAX_MANIFEST_BYTES = 4 << 20;

/** The most a token server's answer may be: it holds one bearer token, a few KiB at most. */
export const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;

/** What a layer blob is and where its verified bytes are cached. */
export interface PulledLayer {
  digest: string;
  mediaType: string;
  path: string;
}

export interface PulledImage {
  config: ImageConfig;
  layers: PulledLayer[];
  /** Layers fetched from the registry on this pull (0 when every layer came from the cache). */
  downloaded: number;
}

/** The runtime part of an image config (`config` in the OCI image config). */
export interface ImageConfig {
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

/** A pull that cannot complete; the message is what the task's TASK_FAILED says. */
export class PullError extends Error {}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
}

const NODE_ARCH: Readonly<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ppc64: "ppc64le",
  s390x: "s390x",
};

/**
 * Pulls an image into a content-addressed blob store (`blobs/sha256/<hex>`), as the Mesos docker store's registry
 * puller does: manifest (an index is narrowed to this host's platform), config, then each layer; every blob's bytes
 * are hashed and compared with its digest before it enters the store, so a bad blob is never cached.
 */
export class ImagePuller {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly storeDir: string,
    private readonly arch: string = NODE_ARCH[process.arch] ?? process.arch,
  ) {}

  async pull(target: PullTarget, signal: AbortSignal): Promise<PulledImage> {
    let manifest = await this.manifest(target, target.reference, signal);
    if (Array.isArray(manifest.manifests)) {
      const entries = manifest.manifests as Descriptor[];
      const chosen = entries.find((m) => m.platform?.os === "linux" && m.platform.architecture === this.arch);
      if (chosen === undefined)
        throw new PullError(`No manifest for platform linux/${this.arch} in the image index`);
      manifest = await this.manifest(target, chosen.digest, signal);
    }
    const config = manifest.config as Descriptor | undefined;
    const layers = (manifest.layers as Descriptor[] | undefined) ?? [];
    if (config === undefined) throw new PullError("The image manifest has no config");
    const configBlob = await this.blob(target, config.digest, signal);
    const parsed = JSON.parse(await readFile(configBlob.path, "utf8")) as { config?: ImageConfig };
    let downloaded = 0;
    const pulled: PulledLayer[] = [];
    for (const layer of layers) {
      const blob = await this.blob(target, layer.digest, signal);
      if (blob.downloaded) downloaded++;
      pulled.push({ digest: layer.digest, mediaType: layer.mediaType ?? "", path: blob.path });
    }
    return { config: parsed.config ?? {}, layers: pulled, downloaded };
  }

  private async manifest(
    target: PullTarget,
    reference: string,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const response = await this.get(target, `manifests/${reference}`, { accept: ACCEPT }, signal);
    const bytes = await readCapped(response, MAX_MANIFEST_BYTES);
    if (bytes === undefined)
      throw new PullError(`The manifest for '${reference}' is larger than ${MAX_MANIFEST_BYTES >> 20} MiB`);
    if (reference.startsWith("sha256:")) {
      const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
      if (actual !== reference)
        throw new PullError(`Manifest digest mismatch: expected '${reference}', got '${actual}'`);
    }
    try {
      return JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new PullError(`The registry sent a manifest for '${reference}' that is not JSON`);
    }
  }

  private blobPath(digest: string): string {
    const [algorithm, hex] = digest.split(":");
    if (algorithm !== "sha256" || hex === undefined || !/^[0-9a-f]{64}$/.test(hex))
      throw new PullError(`Unsupported blob digest '${digest}'`);
    return join(this.storeDir, "blobs", "sha256", hex);
  }

  private async blob(
    target: PullTarget,
    digest: string,
    signal: AbortSignal,
  ): Promise<{ path: string; downloaded: boolean }> {
    const path = this.blobPath(digest);
    if (await exists(path)) return { path, downloaded: false };
    await mkdir(join(this.storeDir, "blobs", "sha256"), { recursive: true });
    const temp = `${path}.${randomUUID()}.partial`;
    const response = await this.get(target, `blobs/${digest}`, {}, signal);
    const hash = createHash("sha256");
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      if (response.body === null) throw new PullError(`Empty response for blob '${digest}'`);
      await pipeline(Readable.fromWeb(response.body), hashing, createWriteStream(temp), { signal });
      const actual = `sha256:${hash.digest("hex")}`;
      if (actual !== digest)
        throw new PullError(`Blob digest mismatch: expected '${digest}', got '${actual}'`);
      await rename(temp, path);
    } finally {
      await rm(temp, { force: true });
    }
    return { path, downloaded: true };
  }

  /** GET with anonymous bearer tokens when the registry asks for one. */
  private async get(
    target: PullTarget,
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Response> {
    const url = `${registryBase(target.registry)}/v2/${target.repository}/${path}`;
    const scope = `repository:${target.repository}:pull`;
    const cached = this.tokens.get(`${target.registry} ${scope}`);
    const withToken = (token: string | undefined) =>
      fetch(url, {
        headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
        signal,
      });
    const unreachable = (error: unknown): never => {
      throw new PullError(`Failed to reach registry ${target.registry}: ${describe(error)}`);
    };
    let response = await withToken(cached).catch(unreachable);
    if (response.status === 401) {
      const token = await this.anonymousToken(response.headers.get("www-authenticate"), scope, signal);
      if (token === undefined)
        throw new PullError(
          `The registry ${target.registry} requires credentials to pull '${target.repository}'`,
        );
      this.tokens.set(`${target.registry} ${scope}`, token);
      response = await withToken(token).catch(unreachable);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new PullError(
        `Unexpected HTTP response '${response.status}' when fetching ${path} of '${target.repository}'`,
      );
    }
    return response;
  }

  private async anonymousToken(
    header: string | null,
    scope: string,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    if (header === null || !/^bearer /i.test(header)) return undefined;
    const params = new Map<string, string>();
    for (const match of header.matchAll(/([a-z]+)="([^"]*)"/gi))
      params.set((match[1] ?? "").toLowerCase(), match[2] ?? "");
    const realm = params.get("realm");
    if (realm === undefined) return undefined;
    const url = new URL(realm);
    const service = params.get("service");
    if (service !== undefined) url.searchParams.set("service", service);
    url.searchParams.set("scope", scope);
    const response = await fetch(url, { signal }).catch((error: unknown) => {
      throw new PullError(`Failed to reach the auth service '${shown(url)}': ${describe(error)}`);
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const bytes = await readCapped(response, MAX_TOKEN_RESPONSE_BYTES);
    if (bytes === undefined)
      throw new PullError(
        `The response to GET '${shown(url)}' is larger than ${MAX_TOKEN_RESPONSE_BYTES >> 20} MiB`,
      );
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(bytes.toString("utf8")) as { token?: string; access_token?: string };
    } catch (error) {
      throw new PullError(`Parsing the JSON object failed: ${describe(error)}`);
    }
    return body.token ?? body.access_token;
  }
}

/** A body of at most `maxBytes`, or undefined as soon as it is longer (the rest is never read). */
async function readCapped(response: Response, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(response.headers.get("content-length") ?? "0") > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  const parts: Buffer[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream.
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts, size);
}

/**
 * A token request's URL for a task's failure, which anyone who may read the task sees: the realm with the
 * `service` and `scope` the agent asked for, without user info or any other query parameter the registry's
 * challenge put in the realm (it may carry a credential).
 */
function shown(url: URL): string {
  const copy = new URL(url);
  copy.username = "";
  copy.password = "";
  for (const name of [...copy.searchParams.keys()])
    if (name !== "service" && name !== "scope") copy.searchParams.delete(name);
  return copy.href;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
