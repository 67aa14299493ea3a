/**
 * The agent's own reading of a Docker image name (as the Mesos docker store's reference parser does): the registry
 * is the first component when it has a `.` or `:` or is `localhost`, else Docker Hub (`library/` for one
 * component). Shares nothing with titan's resolver.
 */
export interface PullTarget {
  registry: string;
  repository: string;
  /** A digest or a tag. */
  reference: string;
}

export function parsePullTarget(name: string): PullTarget {
  let rest = name;
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at !== -1) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  const hasRegistry = slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = hasRegistry ? first : "registry-1.docker.io";
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  const colon = repository.lastIndexOf(":");
  if (colon !== -1) {
    if (at === -1) reference = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
  }
  if (registry === "docker.io" || registry === "index.docker.io") registry = "registry-1.docker.io";
  if (registry === "registry-1.docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, reference };
}

/** Registries on loopback are plain http, every other one https (the agent's --docker_registry default scheme). */
export function registryBase(registry: string): string {
  const host = registry.replace(/:\d+$/, "");
  const loopback = host === "localhost" || /^127\./.test(host) || host === "[::1]";
  return `${loopback ? "http" : "https"}://${registry}`;
}
