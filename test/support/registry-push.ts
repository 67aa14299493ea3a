import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

export function digestOf(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Pushes through the Registry HTTP API v2 (monolithic upload), as `docker push` does, with an optional Authorization. */
export class Pusher {
  constructor(
    readonly registryUrl: string,
    private readonly authorization?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.authorization === undefined ? extra : { ...extra, authorization: this.authorization };
  }

  async blob(repository: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = digestOf(bytes);
    const start = await fetch(`${this.registryUrl}/v2/${repository}/blobs/uploads/`, {
      method: "POST",
      headers: this.headers(),
    });
    if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get("location") ?? "", this.registryUrl);
    location.searchParams.set("digest", digest);
    const put = await fetch(location, {
      method: "PUT",
      headers: this.headers({ "content-type": "application/octet-stream" }),
      body: bytes,
    });
    if (put.status !== 201) throw new Error(`upload: HTTP ${put.status} ${await put.text()}`);
    return { digest, size: bytes.length };
  }

  async manifest(repository: string, reference: string, body: string, mediaType: string): Promise<string> {
    const res = await fetch(`${this.registryUrl}/v2/${repository}/manifests/${reference}`, {
      method: "PUT",
      headers: this.headers({ "content-type": mediaType }),
      body,
    });
    if (res.status !== 201) throw new Error(`manifest: HTTP ${res.status} ${await res.text()}`);
    return digestOf(body);
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    const res = await fetch(`${this.registryUrl}/v2/${repository}/manifests/${digest}`, {
      method: "DELETE",
      headers: this.headers(),
    });
    if (res.status !== 202) throw new Error(`delete: HTTP ${res.status} ${await res.text()}`);
  }

  /** A small single-platform image (config + one layer) under `tag`; returns the manifest digest. */
  async image(
    repository: string,
    tag: string,
    options: {
      architecture?: string;
      layer?: Buffer;
      config?: Record<string, unknown>;
      mediaType?: string;
    } = {},
  ): Promise<string> {
    const architecture = options.architecture ?? "amd64";
    const layer = options.layer ?? gzipSync(Buffer.from(`layer of ${repository}:${tag} ${architecture}`));
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os: "linux",
        config: options.config ?? {},
        rootfs: { type: "layers", diff_ids: [] },
      }),
    );
    const configBlob = await this.blob(repository, config);
    const layerBlob = await this.blob(repository, layer);
    const mediaType = options.mediaType ?? OCI_MANIFEST;
    const docker = mediaType === DOCKER_MANIFEST;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: docker
          ? "application/vnd.docker.container.image.v1+json"
          : "application/vnd.oci.image.config.v1+json",
        ...configBlob,
      },
      layers: [
        {
          mediaType: docker
            ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
            : "application/vnd.oci.image.layer.v1.tar+gzip",
          ...layerBlob,
        },
      ],
    });
    return this.manifest(repository, tag, manifest, mediaType);
  }

  /** A multi-platform OCI index under `tag` over one image per architecture. */
  async index(
    repository: string,
    tag: string,
    architectures: readonly string[],
  ): Promise<{ index: string; byArch: Record<string, string> }> {
    const byArch: Record<string, string> = {};
    const manifests = [];
    for (const architecture of architectures) {
      const digest = await this.image(repository, `${tag}-${architecture}`, { architecture });
      byArch[architecture] = digest;
      const res = await fetch(`${this.registryUrl}/v2/${repository}/manifests/${digest}`, {
        headers: this.headers({ accept: OCI_MANIFEST }),
      });
      const size = (await res.arrayBuffer()).byteLength;
      manifests.push({ mediaType: OCI_MANIFEST, digest, size, platform: { os: "linux", architecture } });
    }
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    return { index: await this.manifest(repository, tag, index, OCI_INDEX), byArch };
  }
}

export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
