import type { Env } from "../cli/env.js";
import type { ClusterConfig } from "../config/types.js";
import type { AppSpec } from "../manifest/types.js";
import { describePin, type PinnedImage, type PinOutcome } from "./pin.js";

/**
 * Pins every app's image against the cluster's registry settings before a plan or deploy is made: nothing on the
 * cluster changes until every image has a digest. Apps without images never open a registry connection.
 */
export async function pinAppImages(
  env: Env,
  cluster: ClusterConfig,
  apps: readonly AppSpec[],
  planned: readonly PinnedImage[] = [],
  launches: (app: AppSpec) => boolean = () => true,
): Promise<PinOutcome> {
  if (!apps.some((app) => app.image !== undefined && launches(app))) return { apps: [...apps], images: [] };
  const { imageResolverFor } = await import("./index.js");
  const { pinImages } = await import("./pin.js");
  const handle = await imageResolverFor(env, cluster);
  try {
    return await pinImages(apps, handle.resolver, planned, launches);
  } finally {
    await handle.close();
  }
}

/**
 * The plan's `images:` block: one line per app, `written → digest (platform)`, or, for an app in `replacing` (a
 * rollback), `what runs → digest (platform)`.
 */
export function imageLines(
  images: readonly PinnedImage[],
  replacing: ReadonlyMap<string, string> = new Map(),
): string[] {
  if (images.length === 0) return [];
  const width = Math.max(...images.map((i) => i.app.length));
  return [
    "images:",
    ...images.map((i) => `  ${i.app.padEnd(width)}  ${describePin(i, replacing.get(i.app))}`),
    "",
  ];
}

/** The plan JSON's `images`: snake_case, as the rest of the document. */
export function imagesToJson(images: readonly PinnedImage[]): Array<Record<string, string>> {
  return images.map((i) => ({
    app: i.app,
    written: i.written,
    pinned: i.pinned,
    digest: i.digest,
    ...(i.indexDigest === undefined ? {} : { index_digest: i.indexDigest }),
    platform: i.platform,
  }));
}

/** The images of a saved plan (`titan plan --out`); entries that are not well-formed are ignored. */
export function plannedImages(document: unknown): PinnedImage[] {
  const images = (document as { images?: unknown } | null)?.images;
  if (!Array.isArray(images)) return [];
  const text = (value: unknown): value is string => typeof value === "string" && value !== "";
  return images.flatMap((entry: Record<string, unknown>) => {
    const { app, written, pinned, digest, platform, index_digest: index } = entry ?? {};
    if (!text(app) || !text(written) || !text(pinned) || !text(digest) || !text(platform)) return [];
    return [{ app, written, pinned, digest, platform, ...(text(index) ? { indexDigest: index } : {}) }];
  });
}

export const NO_RESOLVE_NOTE =
  "images not resolved (--no-resolve): shown as written, not checked against a registry; titan deploy pins them to digests";
