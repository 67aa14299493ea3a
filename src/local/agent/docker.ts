import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { CommandInfoJson, ContainerInfoJson } from "./api.js";
import type { CommandLine } from "./command-line.js";

/** Where the Docker containerizer mounts the sandbox inside the container (agent flag --sandbox_directory). */
export const CONTAINER_SANDBOX = "/mnt/mesos/sandbox";

/** The Docker image a task asks for, from either containerizer's ContainerInfo. */
export function dockerImageOf(container: ContainerInfoJson | undefined): string | undefined {
  if (container === undefined) return undefined;
  if (container.type === "DOCKER") return container.docker?.image;
  const image = container.mesos?.image;
  return image?.type === "DOCKER" ? image.docker?.name : undefined;
}

export function findOnPath(name: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const detections = new Map<string, Promise<string | undefined>>();

/** detectDockerEngine, asked once per PATH for the life of this process (every agent of a cluster shares it). */
export function dockerEngineFor(pathVariable: string | undefined): Promise<string | undefined> {
  const key = pathVariable ?? "";
  let detection = detections.get(key);
  if (detection === undefined) {
    detection = detectDockerEngine(pathVariable);
    detections.set(key, detection);
  }
  return detection;
}

/** A Docker engine is usable when the `docker` CLI is on PATH and its daemon answers. */
export function detectDockerEngine(
  pathVariable: string | undefined,
  timeoutMs = 3000,
): Promise<string | undefined> {
  const cli = findOnPath("docker", pathVariable);
  if (cli === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(cli, ["version", "--format", "{{.Server.Version}}"], { timeout: timeoutMs }, (error) => {
      resolve(error === null ? cli : undefined);
    });
  });
}

export interface DockerRunInput {
  cli: string;
  image: string;
  containerName: string;
  sandbox: string;
  command: CommandInfoJson;
  env: Readonly<Record<string, string>>;
}

/**
 * `docker run` as the Docker containerizer builds it: host networking, the sandbox mounted at /mnt/mesos/sandbox,
 * shell=true overriding the entrypoint with `/bin/sh -c value`, shell=false appending value and arguments after the
 * image (so the image's entrypoint stays).
 */
export function dockerRunCommand(input: DockerRunInput): CommandLine {
  const args = [
    "run",
    "--rm",
    "--name",
    input.containerName,
    "--net",
    "host",
    "-v",
    `${input.sandbox}:${CONTAINER_SANDBOX}`,
  ];
  for (const [name, value] of Object.entries(input.env)) {
    if (!name.startsWith("MESOS_")) continue;
    args.push("-e", `${name}=${name === "MESOS_SANDBOX" ? CONTAINER_SANDBOX : value}`);
  }
  // The Docker containerizer resolves no secrets: a SECRET variable gets its (absent) `value`, i.e. the empty
  // string (src/docker/docker.cpp, the environment loop of `Docker::RunOptions::create`).
  for (const variable of input.command.environment?.variables ?? [])
    args.push("-e", `${variable.name}=${variable.value ?? ""}`);
  if (input.command.shell ?? true) {
    args.push("--entrypoint", "/bin/sh", input.image, "-c", input.command.value ?? "");
  } else {
    args.push(input.image);
    if (input.command.value !== undefined) args.push(input.command.value);
    args.push(...(input.command.arguments ?? []));
  }
  return { file: input.cli, args, argv0: "docker" };
}
