import { isObject, type JsonObject } from "../json.js";

/**
 * The master's check of a task's `CommandInfo.environment` (src/master/validation.cpp
 * task::internal::validateCommandInfo -> src/common/validation.cpp validateEnvironment and validateSecret): a
 * SECRET variable carries a secret and no value, a REFERENCE secret a reference and no value, a VALUE variable
 * (the default type) a value and no secret. Returns the master's TASK_ERROR message, or undefined.
 */
export function commandInfoError(command: unknown): string | undefined {
  if (!isObject(command) || !isObject(command.environment)) return undefined;
  const variables = command.environment.variables;
  if (!Array.isArray(variables)) return undefined;
  for (const variable of variables) {
    if (!isObject(variable)) continue;
    const error = variableError(variable);
    if (error !== undefined) return `Task's \`CommandInfo\` is invalid: ${error}`;
  }
  return undefined;
}

function variableError(variable: JsonObject): string | undefined {
  const name = typeof variable.name === "string" ? variable.name : "";
  const has = (key: string): boolean => variable[key] !== undefined && variable[key] !== null;
  if (variable.type === "SECRET") {
    if (!has("secret")) return `Environment variable '${name}' of type 'SECRET' must have a secret set`;
    if (has("value")) return `Environment variable '${name}' of type 'SECRET' must not have a value set`;
    const error = secretError(isObject(variable.secret) ? variable.secret : {});
    if (error !== undefined) return `Environment variable '${name}' specifies an invalid secret: ${error}`;
    return undefined;
  }
  // Absent, VALUE, or a type this master does not know (stout reads an unknown enum name as unset: VALUE).
  if (!has("value")) return `Environment variable '${name}' of type 'VALUE' must have a value set`;
  if (has("secret")) return `Environment variable '${name}' of type 'VALUE' must not have a secret set`;
  return undefined;
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
