import { commandLine } from "../../cli/command-line.js";
import { UsageError } from "../../cli/errors.js";
import { sameSpec } from "../../deploy/releases.js";
import type { AppSpec } from "../../manifest/types.js";
import { resumeCommand } from "../../observe/deploy-wait.js";
import { finishFirstHint } from "../../release/app-release.js";
import { newestDeployed } from "../../state/deployed.js";
import type { LockRecord, Release } from "../../state/types.js";

/** What a drain can do with one titan app of the cluster, as its releases in the state store say. */
export type DrainApp =
  /** Its newest deployed release runs and nothing came after it: its instances on the agents move with that spec. */
  | { app: string; kind: "moves"; spec: AppSpec }
  /**
   * Its newest release is pending with the running spec (an interrupted drain or move): resumed, even once nothing of
   * the app is left on the agents.
   */
  | { app: string; kind: "resumes"; spec: AppSpec }
  /**
   * Its newest release is pending and is not a move of a deployed one: another spec or count (a deploy, `scale` or
   * `restart` running or interrupted), or the app's first release. Moving would supersede it halfway, or, with no
   * deployed release, there is nothing to move with.
   */
  | { app: string; kind: "unfinished"; release: Release; deployed?: Release }
  /** No release of it was ever deployed and none is pending (its only releases failed): no spec to move it with. */
  | { app: string; kind: "undeployed"; release: Release }
  /** No release in this state store (another config's app, or records lost): not titan's here to move. */
  | { app: string; kind: "unknown" };

/** How a drain treats the app, from its releases (oldest first). */
export function drainApp(app: string, releases: readonly Release[]): DrainApp {
  const last = releases.at(-1);
  if (last === undefined) return { app, kind: "unknown" };
  const deployed = newestDeployed(releases);
  if (last.outcome === "pending") {
    if (deployed !== undefined && sameSpec(last, deployed))
      return { app, kind: "resumes", spec: deployed.spec };
    return { app, kind: "unfinished", release: last, ...(deployed === undefined ? {} : { deployed }) };
  }
  if (deployed === undefined) return { app, kind: "undeployed", release: last };
  return { app, kind: "moves", spec: deployed.spec };
}

/** The spec a drain moves the app's instances with, if it moves them. */
export function movedSpec(app: DrainApp): AppSpec | undefined {
  return app.kind === "moves" || app.kind === "resumes" ? app.spec : undefined;
}

/** The spec of the app's running release (its newest deployed one), whose constraints scale-in advice keeps. */
export function runningSpec(app: DrainApp): AppSpec | undefined {
  return app.kind === "unfinished" ? app.deployed?.spec : movedSpec(app);
}

/** Where the refused app's instances run on the agents being drained, and how to name commands for its target. */
export interface RefusalContext {
  /** Host names of the agents being drained that run its instances. */
  hosts: readonly string[];
  /** The target flags the drain was given (`--context prod`), for the commands a hint names. */
  target: readonly string[];
}

/**
 * Why a drain refuses to go on over this app, which has instances on the agents being drained and no deploy running
 * (a running one is refused first, `lockedRefusal`); undefined when it moves them. A drain changes nothing rather
 * than bring its instances down with the machines: the app has an interrupted release (finished or undone first),
 * or titan has no deployed release of it to move them with.
 */
export function drainRefusal(app: DrainApp, context: RefusalContext): UsageError | undefined {
  const on = `on ${context.hosts.join(", ")}`;
  const command = (...words: string[]) => `\`${commandLine(["titan", ...words, ...context.target])}\``;
  const stop = `take it down on purpose with ${command("stop", app.app)}`;
  if (app.kind === "unfinished") {
    const { release, deployed } = app;
    const which =
      deployed === undefined ? "its first" : `of another spec or count than release ${deployed.number}`;
    const why =
      deployed === undefined
        ? `no release of it was deployed, so titan has none to move its instances ${on} with, and bringing the agents down would lose them`
        : `draining would supersede it with release ${deployed.number}'s spec`;
    const hint =
      deployed === undefined
        ? `finish it first: re-run \`${resumeCommand(release)}\` (${command("status", app.app)} says where it stands), or ${stop}; then drain`
        : `${finishFirstHint(app.app, release)}; then drain`;
    return new UsageError(
      `${app.app} has a release still unfinished (release ${release.number}, ${which}; its deploy was interrupted): ${why}`,
      hint,
    );
  }
  if (app.kind === "undeployed") {
    const { release } = app;
    return new UsageError(
      `no release of ${app.app} was deployed (release ${release.number} ${outcomeWords(release)}), yet its instances run ${on}: titan has no deployed release to move them with, and bringing the agents down would lose them`,
      `deploy a release of it that works (${command("releases", app.app)} says why release ${release.number} did not), or ${stop}; then drain`,
    );
  }
  return undefined;
}

/**
 * Why a drain refuses to bring agents down while a deploy of `app` holds its lock, whatever agents its instances
 * run on now (none, for a first deploy that launched nothing yet). That deploy was planned before the drain: it may
 * have launched instances there before the agents joined the maintenance schedule, which the machines would take
 * down with them mid-rollout, or bound instances to agents that take nothing new once they are DRAINING. Only its
 * end makes what it launched known to the drain's plan.
 */
export function lockedRefusal(
  app: string,
  lock: LockRecord,
  context: { hosts: readonly string[]; target: readonly string[] },
): UsageError {
  const status = `\`${commandLine(["titan", "status", app, "--wait", ...context.target])}\``;
  return new UsageError(
    `a deploy of ${app} is running (${lock.user}@${lock.host}, pid ${lock.pid}, ${lock.purpose}): it may still launch instances on ${context.hosts.join(", ")}, which draining would bring down with the machines`,
    `wait for that deploy to end (${status}), then drain`,
  );
}

function outcomeWords(release: Release): string {
  switch (release.outcome) {
    case "rolled_back":
      return "was rolled back";
    case "superseded":
      return "was superseded";
    default:
      return release.outcome;
  }
}
