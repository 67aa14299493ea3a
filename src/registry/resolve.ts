import { createHash } from "node:crypto";
import { typoDistance } from "../cli/suggest.js";
import type { RegistryClient } from "./client.js";
import { ImageResolveError } from "./errors.js";
import type { RegistryResponse } from "./http.js";
import { bareMediaType, isIndex, isManifest, MANIFEST_ACCEPT } from "./media-types.js";
import { choosePlatform, formatPlatform, type IndexEntry, type Platform } from "./platform.js";
import { type ImageName, normaliseImage, repositoryName } from "./reference.js";

/** An image pinned to the digest of the manifest for one platform. */
export interface ResolvedImage {
  /** As written in the manifest. */
  written: string;
  /** What the app now runs: `name[:tag]@sha256:…` (the tag kept for people, the digest for the agent). */
  pinned: string;
  /** The single-platform manifest's digest. */
  digest: string;
  /** The index (manifest list) the tag or digest named, when it named one. */
  indexDigest?: string;
  platform: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Pins image references to digests through the Registry HTTP API v2: a tag by its manifest's bytes (GET). */
export class ImageResolver {
  constructor(
    private readonly client: RegistryClient,
    private readonly defaultRegistry?: string,
  ) {}

  async resolve(text: string, platform: Platform): Promise<ResolvedImage> {
    const image = normaliseImage(text, this.defaultRegistry);
    const reference = image.digest ?? image.tag ?? "latest";
    if (image.digest !== undefined && !DIGEST.test(image.digest))
      throw new ImageResolveError(
        `${text}: titan pins sha256 digests only`,
        "write the digest as sha256:<64 lowercase hex digits>",
      );
    // A digest names its own bytes (the agent checks them when it pulls), so a HEAD that confirms it is enough.
    // A tag's digest is only what the registry says: it is pinned from the hash of the manifest's bytes (GET),
    // never from a HEAD's Docker-Content-Digest, which a broken registry or proxy may get wrong.
    if (image.digest !== undefined) {
      const head = await this.client.send(image, `manifests/${reference}`, "HEAD", {
        accept: MANIFEST_ACCEPT,
      });
      if (head.status === 404) throw await this.notFound(image, reference);
      const headDigest = head.headers["docker-content-digest"];
      if (headDigest !== undefined && headDigest !== image.digest)
        throw integrity(image, `the registry names it ${headDigest}`);
      if (
        head.status === 200 &&
        isManifest(bareMediaType(head.headers["content-type"])) &&
        headDigest !== undefined
      )
        return this.pinned(image, image.digest, platform);
    }
    const manifest = await this.fetchManifest(image, reference);
    if (!isIndex(manifest.mediaType)) return this.pinned(image, manifest.digest, platform);
    const entry = choosePlatform(manifest.entries, platform, text);
    await this.checkExists(image, entry.digest);
    return { ...this.pinned(image, entry.digest, platform), indexDigest: manifest.digest };
  }

  private pinned(image: ImageName, digest: string, platform: Platform): ResolvedImage {
    const written = image.original.replace(/@.*$/, "");
    const hasDomain = written.startsWith(`${image.domain}/`);
    const name = hasDomain || image.domain === "docker.io" ? written : `${image.domain}/${written}`;
    return {
      written: image.original,
      pinned: `${name}@${digest}`,
      digest,
      platform: formatPlatform(platform),
    };
  }

  private async fetchManifest(
    image: ImageName,
    reference: string,
  ): Promise<{ digest: string; mediaType: string; entries: IndexEntry[] }> {
    const response = await this.client.send(image, `manifests/${reference}`, "GET", {
      accept: MANIFEST_ACCEPT,
    });
    if (response.status === 404) throw await this.notFound(image, reference);
    if (response.status !== 200) throw unexpected(image, response);
    const digest = sha256Digest(response.body);
    const declared = response.headers["docker-content-digest"];
    if (declared !== undefined && declared !== digest)
      throw integrity(image, `Docker-Content-Digest says ${declared}, the bytes hash to ${digest}`);
    if (reference.startsWith("sha256:") && reference !== digest)
      throw integrity(image, `asked for ${reference}, the bytes hash to ${digest}`);
    let body: { mediaType?: unknown; manifests?: unknown };
    try {
      body = JSON.parse(response.body.toString("utf8")) as typeof body;
    } catch {
      throw unexpected(image, response);
    }
    const declaredType = bareMediaType(response.headers["content-type"]);
    const mediaType =
      typeof body.mediaType === "string"
        ? body.mediaType
        : isIndex(declaredType) || isManifest(declaredType)
          ? declaredType
          : Array.isArray(body.manifests)
            ? "application/vnd.oci.image.index.v1+json"
            : "";
    if (!isIndex(mediaType) && !isManifest(mediaType))
      throw new ImageResolveError(
        `${image.original}: the registry sent ${describeType(mediaType || declaredType)}, which titan cannot run`,
        "titan runs Docker schema 2 and OCI images; rebuild and push the image with a current tool",
      );
    const entries = Array.isArray(body.manifests) ? (body.manifests as IndexEntry[]) : [];
    return { digest, mediaType, entries };
  }

  private async checkExists(image: ImageName, digest: string): Promise<void> {
    const head = await this.client.send(image, `manifests/${digest}`, "HEAD", { accept: MANIFEST_ACCEPT });
    if (head.status === 404) throw await this.notFound(image, digest);
    if (head.status !== 200) throw unexpected(image, head);
  }

  private async notFound(image: ImageName, reference: string): Promise<ImageResolveError> {
    const where = `${repositoryName(image)}`;
    if (reference.startsWith("sha256:"))
      return new ImageResolveError(
        `image ${image.original} not found: ${where} has no manifest ${reference}`,
        "the digest may have been deleted; pin a digest that exists or use a tag",
      );
    const tags = await this.tags(image);
    if (tags === undefined)
      return new ImageResolveError(
        `image ${image.original} not found: ${where} does not exist or lists no tags`,
        "check the repository name and that the image was pushed",
      );
    const nearest = [...tags]
      .sort((a, b) => typoDistance(reference, a) - typoDistance(reference, b) || a.localeCompare(b))
      .slice(0, 3);
    return new ImageResolveError(
      `image ${image.original} not found: ${where} has no tag ${reference}`,
      nearest.length === 0 ? "push the tag first" : `nearest tags: ${nearest.join(", ")}`,
    );
  }

  private async tags(image: ImageName): Promise<string[] | undefined> {
    try {
      const response = await this.client.send(image, "tags/list?n=1000", "GET", {
        accept: "application/json",
      });
      if (response.status !== 200) return undefined;
      const body = JSON.parse(response.body.toString("utf8")) as { tags?: unknown };
      return Array.isArray(body.tags)
        ? body.tags.filter((t): t is string => typeof t === "string")
        : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A media type in a message: quoted, so no article has to agree with it ("a application/…"). */
function describeType(type: string): string {
  return type === "" ? "a document of no known type" : `a document of type "${type}"`;
}

function integrity(image: ImageName, detail: string): ImageResolveError {
  return new ImageResolveError(
    `integrity check failed for ${image.original}: ${detail}`,
    "the registry or a proxy altered the manifest; titan never falls back to the tag",
  );
}

function unexpected(image: ImageName, response: RegistryResponse): ImageResolveError {
  const type = bareMediaType(response.headers["content-type"]) || "no content type";
  const what = type === "text/html" ? "an HTML page" : type;
  return new ImageResolveError(
    `${image.domain} answered HTTP ${response.status} with ${what} where a manifest of ${image.original} was expected`,
    "check the registry address; a proxy or login page may be in the way",
  );
}
