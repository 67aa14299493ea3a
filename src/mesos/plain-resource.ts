/**
 * Whether a mesos.v1.Resource is one a plain task may be given: not revocable, not shared, and not a disk with a
 * DiskInfo (a MOUNT or PATH disk, a persistent volume). The master's `Resources::contains` matches a resource only
 * with one of the same DiskInfo (src/common/resources.cpp `subtractable`), so a task asking for plain `disk` can never
 * take any of these; the plan counts, and the deploy carves, only plain resources.
 */
export function isPlainResource(resource: {
  revocable?: unknown;
  shared?: unknown;
  disk?: unknown;
}): boolean {
  return absent(resource.revocable) && absent(resource.shared) && absent(resource.disk);
}

function absent(value: unknown): boolean {
  return value === undefined || value === null;
}
