import { isObject, type JsonObject } from "./json.js";

/**
 * The checks Mesos shares between master and agent (src/common/validation.cpp): a task's environment, health check,
 * check and container. Each returns the message Mesos gives, or undefined; callers add their own prefix ("Task
 * uses invalid health check: ", "Failed to create health checker: ").
 */

/** common/validation.cpp validateID: task, agent, executor and framework ids. */
export function validateId(id: string): string | undefined {
  if (id === "") return "ID must not be empty";
  // std::string::length counts bytes: NAME_MAX bounds the id as a path component, in UTF-8.
  if (Buffer.byteLength(id, "utf8") > 255) return "ID must not be greater than 255 characters";
  if (id === "." || id === "..") return `'${id}' is disallowed`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what Mesos refuses.
  if (/[\u0000-\u001f\u007f/\\]/.test(id)) return `'${id}' contains invalid characters`;
  return undefined;
}

/** A field as the master's JSON parser leaves it: present unless absent or null (null reads as unset). */
function has(object: JsonObject, key: string): boolean {
  return object[key] !== undefined && object[key] !== null;
}

/** A double as stout reads it into a proto field: a number or a numeric string ("Infinity" included). */
export function doubleOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isNaN(n) ? undefined : n;
}

/** validateEnvironment (and validateSecret for SECRET variables). */
export function environmentError(environment: unknown): string | undefined {
  if (!isObject(environment) || !Array.isArray(environment.variables)) return undefined;
  for (const variable of environment.variables) {
    if (!isObject(variable)) continue;
    const error = variableError(variable);
    if (error !== undefined) return error;
  }
  return undefined;
}

function variableError(variable: JsonObject): string | undefined {
  const name = typeof variable.name === "string" ? variable.name : "";
  if (variable.type === "UNKNOWN") return "Environment variable of type 'UNKNOWN' is not allowed";
  if (variable.type === "SECRET") {
    if (!has(variable, "secret"))
      return `Environment variable '${name}' of type 'SECRET' must have a secret set`;
    if (has(variable, "value"))
      return `Environment variable '${name}' of type 'SECRET' must not have a value set`;
    const secret = isObject(variable.secret) ? variable.secret : {};
    const error = secretError(secret);
    if (error !== undefined) return `Environment variable '${name}' specifies an invalid secret: ${error}`;
    if (secretData(secret).includes(0))
      return `Environment variable '${name}' specifies a secret containing null bytes, which is not allowed in the environment`;
    return undefined;
  }
  // Absent, VALUE, or a type this master does not know (stout reads an unknown enum name as unset: VALUE).
  if (!has(variable, "value")) return `Environment variable '${name}' of type 'VALUE' must have a value set`;
  if (has(variable, "secret"))
    return `Environment variable '${name}' of type 'VALUE' must not have a secret set`;
  return undefined;
}

/** The bytes of a VALUE secret (`Secret.Value.data` is `bytes`: base64 in JSON). */
function secretData(secret: JsonObject): Buffer {
  const data = isObject(secret.value) ? secret.value.data : undefined;
  return typeof data === "string" ? Buffer.from(data, "base64") : Buffer.alloc(0);
}

function secretError(secret: JsonObject): string | undefined {
  const hasReference = isObject(secret.reference);
  const hasValue = isObject(secret.value);
  if (secret.type === "REFERENCE") {
    if (!hasReference) return "Secret of type REFERENCE must have the 'reference' field set";
    if (hasValue) {
      const name = isObject(secret.reference) ? String(secret.reference.name ?? "") : "";
      return `Secret '${name}' of type REFERENCE must not have the 'value' field set`;
    }
  } else if (secret.type === "VALUE") {
    if (!hasValue) return "Secret of type VALUE must have the 'value' field set";
    if (hasReference) return "Secret of type VALUE must not have the 'reference' field set";
  }
  return undefined;
}

const HEALTH_CHECK_TYPES = new Set(["COMMAND", "HTTP", "TCP", "UNKNOWN"]);

/**
 * The health check a master keeps from the scheduler's: a type name it does not know is dropped (stout reads it as
 * unset), and a missing type is taken from `http` or `command` when exactly one of them is set (master.cpp
 * Master::accept, kept for v0 schedulers until Mesos 2.0). Changes `check` in place, as the master does its copy.
 */
export function normalizeHealthCheckType(check: JsonObject): void {
  if (typeof check.type === "string" && !HEALTH_CHECK_TYPES.has(check.type)) delete check.type;
  if (has(check, "type")) return;
  if (has(check, "command") && !has(check, "http")) check.type = "COMMAND";
  else if (has(check, "http") && !has(check, "command")) check.type = "HTTP";
}

/** validateHealthCheck, on a health check already normalised (`normalizeHealthCheckType`). */
export function healthCheckError(check: unknown): string | undefined {
  if (!isObject(check)) return undefined;
  switch (check.type) {
    case "COMMAND": {
      if (!isObject(check.command)) return "Expecting 'command' to be set for COMMAND health check";
      const commandError = commandValueError(check.command, "Command health check");
      if (commandError !== undefined) return commandError;
      const environment = environmentError(check.command.environment);
      if (environment !== undefined) return `Health check's \`CommandInfo\` is invalid: ${environment}`;
      break;
    }
    case "HTTP": {
      if (!isObject(check.http)) return "Expecting 'http' to be set for HTTP health check";
      const { scheme, path } = check.http;
      if (typeof scheme === "string" && scheme !== "http" && scheme !== "https")
        return `Unsupported HTTP health check scheme: '${scheme}'`;
      if (typeof path === "string" && !path.startsWith("/"))
        return `The path '${path}' of HTTP health check must start with '/'`;
      break;
    }
    case "TCP":
      if (!isObject(check.tcp)) return "Expecting 'tcp' to be set for TCP health check";
      break;
    case "UNKNOWN":
      return "'UNKNOWN' is not a valid health check type";
    default:
      return "HealthCheck must specify 'type'";
  }
  return negativeTimingError(check, [
    "delay_seconds",
    "grace_period_seconds",
    "interval_seconds",
    "timeout_seconds",
  ]);
}

const CHECK_TYPES = new Set(["COMMAND", "HTTP", "TCP", "UNKNOWN"]);

/** validateCheckInfo (a task's general check, `TaskInfo.check`). */
export function checkInfoError(check: JsonObject): string | undefined {
  const type = typeof check.type === "string" && CHECK_TYPES.has(check.type) ? check.type : undefined;
  switch (type) {
    case "COMMAND": {
      if (!isObject(check.command)) return "Expecting 'command' to be set for COMMAND check";
      const command = isObject(check.command.command) ? check.command.command : {};
      const commandError = commandValueError(command, "Command check");
      if (commandError !== undefined) return commandError;
      const environment = environmentError(command.environment);
      if (environment !== undefined) return `Check's \`CommandInfo\` is invalid: ${environment}`;
      break;
    }
    case "HTTP": {
      if (!isObject(check.http)) return "Expecting 'http' to be set for HTTP check";
      const { path } = check.http;
      if (typeof path === "string" && !path.startsWith("/"))
        return `The path '${path}' of HTTP check must start with '/'`;
      break;
    }
    case "TCP":
      if (!isObject(check.tcp)) return "Expecting 'tcp' to be set for TCP check";
      break;
    case "UNKNOWN":
      return "'UNKNOWN' is not a valid check type";
    default:
      return "CheckInfo must specify 'type'";
  }
  return negativeTimingError(check, ["delay_seconds", "interval_seconds", "timeout_seconds"]);
}

/** A command check runs `value`: a shell command, or the executable path when `shell` is false. */
function commandValueError(command: JsonObject, what: string): string | undefined {
  if (has(command, "value")) return undefined;
  return `${what} must contain ${command.shell === false ? "'executable path'" : "'shell command'"}`;
}

function negativeTimingError(check: JsonObject, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = doubleOf(check[field]);
    if (value !== undefined && value < 0) return `Expecting '${field}' to be non-negative`;
  }
  return undefined;
}

const VOLUME_SOURCES: Readonly<Record<string, readonly [field: string, message: string]>> = {
  DOCKER_VOLUME: ["docker_volume", "'source.docker_volume' is not set for DOCKER_VOLUME volume"],
  HOST_PATH: ["host_path", "'source.host_path' is not set for HOST_PATH volume"],
  SANDBOX_PATH: ["sandbox_path", "'source.sandbox_path' is not set for SANDBOX_PATH volume"],
  SECRET: ["secret", "'source.secret' is not set for SECRET volume"],
  CSI_VOLUME: ["csi_volume", "'source.csi_volume' is not set for CSI volume"],
};

/** validateVolume. */
function volumeError(volume: JsonObject): string | undefined {
  const set = ["host_path", "image", "source"].filter((key) => has(volume, key)).length;
  if (set !== 1) return "Only one of them should be set: 'host_path', 'image' and 'source'";
  if (!isObject(volume.source)) return undefined;
  const source = volume.source;
  const rule = typeof source.type === "string" ? VOLUME_SOURCES[source.type] : undefined;
  if (rule === undefined) return "'source.type' is unknown";
  const [field, message] = rule;
  if (!has(source, field)) return message;
  if (field === "csi_volume" && isObject(source.csi_volume) && !has(source.csi_volume, "static_provisioning"))
    return "'source.csi_volume.static_provisioning' is not set for CSI volume";
  return undefined;
}

/** validateContainerInfo: every volume, and a DOCKER container's `docker` with no `name` parameter. */
export function containerInfoError(container: JsonObject): string | undefined {
  for (const volume of Array.isArray(container.volumes) ? container.volumes : []) {
    if (!isObject(volume)) continue;
    const error = volumeError(volume);
    if (error !== undefined) return `Invalid volume: ${error}`;
  }
  if (container.type === "DOCKER") {
    if (!isObject(container.docker)) return "DockerInfo 'docker' is not set for DOCKER typed ContainerInfo";
    const parameters = Array.isArray(container.docker.parameters) ? container.docker.parameters : [];
    if (parameters.some((p) => isObject(p) && p.key === "name"))
      return "Parameter in DockerInfo must not be 'name'";
  }
  return undefined;
}

/** Characters no role component may hold (src/common/roles.cpp): whitespace and DEL. */
const ROLE_INVALID_CHARACTERS = /[\t\n\v\f\r \x7f]/;

/** src/common/roles.cpp `roles::validate`: `*`, or a path of components. */
export function roleError(role: string): string | undefined {
  if (role === "*") return undefined;
  if (role.startsWith("/")) return `Role '${role}' cannot start with a slash`;
  if (role.endsWith("/")) return `Role '${role}' cannot end with a slash`;
  if (role.includes("//")) return `Role '${role}' cannot contain two adjacent slashes`;
  const components = role.split("/").filter((c) => c !== "");
  if (components.length === 0) return "Role names cannot be the empty string";
  for (const component of components) {
    if (component === ".") return `Role '${role}' cannot include '.' as a component`;
    if (component === "..") return `Role '${role}' cannot include '..' as a component`;
    if (component === "*") return `Role '${role}' cannot include '*' as a component`;
    if (component.startsWith("-"))
      return `Role component '${component}' is invalid because it starts with a dash`;
    if (ROLE_INVALID_CHARACTERS.test(component))
      return `Role component '${component}' is invalid because it contains backspace or whitespace`;
  }
  return undefined;
}
