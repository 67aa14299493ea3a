/**
 * The one rule for an app's name, used by the manifest, the state store, `logs` and every command that takes an
 * app: a lowercase DNS label (usable as a Mesos framework name and task id part and as a hostname part).
 */
export const APP_NAME = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The rule in words, for hints. */
export const APP_NAME_RULE =
  "lowercase letters, digits and '-', starting with a letter, not ending with '-', at most 63 characters";

export function isAppName(text: string): boolean {
  return APP_NAME.test(text);
}
