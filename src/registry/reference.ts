import { parseImageReference } from "../manifest/image-ref.js";
import { ImageResolveError } from "./errors.js";

/** An image reference with its registry made explicit, as `docker pull` normalises it. */
export interface ImageName {
  /** Registry host[:port] as written or defaulted, e.g. `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** The reference as written in the manifest. */
  original: string;
}

export const DOCKER_HUB = "docker.io";
const DOCKER_HUB_API = "registry-1.docker.io";

/**
 * Splits `[domain/]path[:tag][@digest]` by the rule of distribution/reference's splitDockerDomain: the first path
 * component is a registry when it contains a `.` or a `:`, or is `localhost`; otherwise the image lives in the
 * default registry (Docker Hub, where one-component names get `library/`, or the cluster's `registry`).
 */
export function normaliseImage(text: string, defaultRegistry?: string): ImageName {
  const parsed = parseImageReference(text);
  if (!parsed.ok) throw new ImageResolveError(parsed.message, parsed.hint);
  const { name, tag, digest } = parsed.ref;
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const hasDomain = slash !== -1 && (/[.:]/.test(first) || first === "localhost");
  let domain = hasDomain ? first : (defaultRegistry ?? DOCKER_HUB);
  let repository = hasDomain ? name.slice(slash + 1) : name;
  if (domain === "index.docker.io") domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  return {
    domain,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    original: text,
  };
}

/** The host the Registry HTTP API v2 is served from (Docker Hub's API lives on its own host). */
export function apiHost(domain: string): string {
  return domain === DOCKER_HUB ? DOCKER_HUB_API : domain;
}

/** Loopback registries speak plain http by default, as Docker allows for 127.0.0.0/8 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** `domain/repository`, the name a pinned reference carries (`…@sha256:…`). */
export function repositoryName(image: ImageName): string {
  return `${image.domain}/${image.repository}`;
}

/** How the reference was written, without its digest: `name[:tag]`. */
export function writtenName(image: ImageName): string {
  return image.original.replace(/@.*$/, "");
}
