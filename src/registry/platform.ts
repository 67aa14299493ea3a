import { ImageResolveError } from "./errors.js";

/** An OCI platform: `os/architecture[/variant]`, e.g. `linux/amd64`, `linux/arm64/v8`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

const PLATFORM = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/;

export function parsePlatform(text: string): Platform | undefined {
  const match = PLATFORM.exec(text);
  if (match === null) return undefined;
  const [, os = "", architecture = "", variant] = match;
  return { os, architecture, ...(variant === undefined ? {} : { variant }) };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p !== undefined).join("/");
}

export interface IndexEntry {
  digest: string;
  mediaType: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/**
 * The entry of an index for a platform, as containerd's platform matcher picks it: os and architecture must be
 * equal; a wanted variant must match, and with no variant wanted the first entry of the architecture wins.
 * Attestation entries (`unknown/unknown`) never match.
 */
export function choosePlatform(entries: readonly IndexEntry[], wanted: Platform, image: string): IndexEntry {
  const candidates = entries.filter(
    (e) => e.platform?.os === wanted.os && e.platform?.architecture === wanted.architecture,
  );
  const exact =
    wanted.variant === undefined
      ? candidates[0]
      : candidates.find((e) => e.platform?.variant === wanted.variant);
  if (exact !== undefined) return exact;
  const offered = entries
    .map((e) => e.platform)
    .filter((p): p is NonNullable<IndexEntry["platform"]> => p?.os !== undefined && p.os !== "unknown")
    .map((p) => [p.os, p.architecture, p.variant].filter((x) => x !== undefined).join("/"));
  throw new ImageResolveError(
    `image ${image} has no variant for ${formatPlatform(wanted)}`,
    offered.length === 0
      ? "the index lists no platforms"
      : `it is built for ${[...new Set(offered)].join(", ")}; set \`platform:\` in the manifest to one of them`,
  );
}
