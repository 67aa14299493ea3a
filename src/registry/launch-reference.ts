/**
 * `name@sha256:…` without the tag, the form a Mesos agent pulls by, from a pinned `name:tag@sha256:…`. A reference
 * without a digest is returned as it is (an unresolved plan launches what was written).
 */
export function launchReference(pinned: string): string {
  const at = pinned.indexOf("@");
  if (at === -1) return pinned;
  const name = pinned.slice(0, at);
  const lastSlash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const bare = colon > lastSlash ? name.slice(0, colon) : name;
  return `${bare}${pinned.slice(at)}`;
}

/** The digest a pinned reference carries, if any. */
export function pinnedDigest(image: string): string | undefined {
  const at = image.indexOf("@");
  return at === -1 ? undefined : image.slice(at + 1);
}
