import { UsageError } from "../cli/errors.js";

/**
 * Why a Mesos master would refuse `role` as a framework's role (src/common/roles.cpp `roles::validate`, which
 * Master::validateFramework applies at SUBSCRIBE), or undefined for a valid one: `*`, or `/`-separated components,
 * none empty, `.`, `..` or `*`, none starting with `-`, none holding whitespace or DEL.
 */
export function mesosRoleProblem(role: string): string | undefined {
  if (role === "*") return undefined;
  if (role === "") return "a role cannot be empty";
  if (role.startsWith("/") || role.endsWith("/") || role.includes("//"))
    return "a role's path cannot start or end with a slash or hold two slashes in a row";
  for (const component of role.split("/")) {
    if (component === "." || component === ".." || component === "*")
      return `'${component}' cannot be a component of a role`;
    if (component.startsWith("-")) return `the component '${component}' starts with a dash`;
    if (/[\t\n\v\f\r \x7f]/.test(component)) return `the component '${component}' holds whitespace`;
  }
  return undefined;
}

export const ROLE_HINT = "a role is `*` or names separated by `/`, such as titan or web/prod";

/** A role from `--role` or TITAN_ROLE, trimmed: a usage error when empty or not one a Mesos master accepts. */
export function roleFlag(text: string): string {
  const role = text.trim();
  if (role === "") throw new UsageError("--role is empty", "pass a Mesos role such as `titan`, or `*`");
  // A master refuses to subscribe a framework with such a role: a plan must not promise a deploy it cannot do.
  const problem = mesosRoleProblem(role);
  if (problem !== undefined)
    throw new UsageError(
      `--role ${JSON.stringify(role)} is not a role a Mesos master accepts: ${problem}`,
      ROLE_HINT,
    );
  return role;
}
