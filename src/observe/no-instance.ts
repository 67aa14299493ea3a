import type { ReleaseOutcome } from "../state/types.js";
import { recoveringText } from "./recovering.js";

/** An app's newest release in the state store: what makes titan know the app even with no task. */
export interface NewestRelease {
  number: number;
  outcome: ReleaseOutcome;
}

/** What an app's releases say of it, for saying why it has no instance. */
export interface ReleasesSummary {
  newest: NewestRelease;
  /** The release whose count is the app's target (the newest that did not fail or get rolled back), if any. */
  wanted?: { number: number; instances: number };
  /** Agents the master has not heard from since it failed over (recovering.ts): their tasks are not listed. */
  recoveringAgents?: number;
}

/**
 * Why no release says how many instances an app wants although it has releases: none was deployed, and its newest
 * failed or was rolled back (`titan releases` says why). Undefined when its newest release did neither.
 */
export function undeployedText(app: string, newest: NewestRelease): string | undefined {
  if (newest.outcome !== "failed" && newest.outcome !== "rolled_back") return undefined;
  const ended = newest.outcome === "failed" ? "failed" : "was rolled back";
  return `no release was deployed (release ${newest.number} ${ended}: \`titan releases ${app}\`)`;
}

/**
 * Why an app titan knows by its releases has no instance running: `ps`, `top` and `logs` say it in the same words.
 * A release still pending (a deploy under way, or interrupted before an instance ran), no release deployed (each
 * failed or was rolled back), a stopped app (its release asks for none), or instances wanted that none runs — or
 * that none is listed, while agents a master that failed over recovered have not re-registered.
 */
export function whyNoInstance(
  app: string,
  { newest, wanted, recoveringAgents = 0 }: ReleasesSummary,
): string {
  if (newest.outcome === "pending")
    return `release ${newest.number} has not finished: a deploy runs it or was interrupted (\`titan status ${app}\`)`;
  if (wanted === undefined)
    return undeployedText(app, newest) ?? `no release was deployed (\`titan releases ${app}\`)`;
  if (wanted.instances === 0) return `it is stopped (release ${wanted.number} asks for no instance)`;
  const count = `${wanted.instances} instance${wanted.instances === 1 ? "" : "s"}`;
  if (recoveringAgents > 0)
    return `release ${wanted.number} asks for ${count} and none is listed: ${recoveringText(recoveringAgents)}`;
  return `release ${wanted.number} asks for ${count} and none runs (\`titan status ${app}\`)`;
}
