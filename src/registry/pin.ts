import type { AppSpec } from "../manifest/types.js";
import { ImageResolveError } from "./errors.js";
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform } from "./platform.js";
import type { ImageResolver, ResolvedImage } from "./resolve.js";

/** One app's image as a plan shows it: `written → digest`. */
export interface PinnedImage extends ResolvedImage {
  app: string;
}

export type PinOutcome = { apps: AppSpec[]; images: PinnedImage[] };

/**
 * Every app with an image gets `image: name[:tag]@sha256:…` for its platform. The same reference and platform are
 * resolved once; apps already pinned by an earlier plan (`planned`) keep exactly that digest, once the registry
 * confirms it still has it (a saved plan may be older than a deleted manifest). An app that `launches` says
 * starts nothing (a stop, a scale to zero) is left as it is: taking instances away needs no registry.
 */
export async function pinImages(
  apps: readonly AppSpec[],
  resolver: Pick<ImageResolver, "resolve">,
  planned: readonly PinnedImage[] = [],
  launches: (app: AppSpec) => boolean = () => true,
): Promise<PinOutcome> {
  const lookups = new Map<string, Promise<ResolvedImage>>();
  const pinned = await Promise.all(
    apps.map(async (app): Promise<[AppSpec, PinnedImage | undefined]> => {
      if (app.image === undefined || !launches(app)) return [app, undefined];
      const platformText = app.platform ?? formatPlatform(DEFAULT_PLATFORM);
      const platform = parsePlatform(platformText);
      if (platform === undefined)
        throw new ImageResolveError(
          `${app.name}: platform ${platformText} is not os/arch`,
          "e.g. linux/amd64",
        );
      const fromPlan = planned.find(
        (p) => p.app === app.name && p.written === app.image && p.platform === platformText,
      );
      const key = `${app.image}\u0000${platformText}`;
      let lookup = lookups.get(key);
      if (fromPlan !== undefined) lookup = resolver.resolve(fromPlan.pinned, platform).then(() => fromPlan);
      else if (lookup === undefined) {
        lookup = resolver.resolve(app.image, platform);
        lookups.set(key, lookup);
      }
      const resolved = await lookup;
      const image: PinnedImage = { ...resolved, app: app.name };
      return [{ ...app, image: resolved.pinned }, image];
    }),
  );
  return {
    apps: pinned.map(([app]) => app),
    images: pinned.flatMap(([, image]) => (image === undefined ? [] : [image])),
  };
}

/**
 * `registry.example.com/api:1.4 → sha256:0123456789ab… (linux/amd64)`, for plans and deploys; with `replaces`, the
 * image that runs now (or `command`) on the left instead: `sha256:89ab… → sha256:0123… (linux/amd64)`.
 */
export function describePin(image: PinnedImage, replaces?: string): string {
  const short = (digest: string) => `${digest.slice(0, 19)}…`;
  const digestOf = (ref: string) => (ref.includes("@") ? short(ref.slice(ref.indexOf("@") + 1)) : ref);
  // What the image replaces (a rollback's running image), else how it was written (a tag, resolved here).
  const from = digestOf(replaces ?? image.written);
  const index = image.indexDigest === undefined ? "" : `, from index ${short(image.indexDigest)}`;
  return `${from} → ${image.digest} (${image.platform}${index})`;
}
