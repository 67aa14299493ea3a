import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { renderTable } from "../../cli/table.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import { shortDigest } from "../../cluster/digest.js";
import type { ClusterTarget } from "../../config/target.js";
import { instancesIn } from "../../plan/regions.js";
import { checkAppName } from "../../release/app-release.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { missingStore, missingStoreNote } from "../../state/missing.js";
import type { Release } from "../../state/types.js";
import { listedTasks, readTitanState } from "../ps/state.js";
import type { ReleasesOptions } from "./command.js";

export async function runReleases(env: Env, app: string, opts: ReleasesOptions): Promise<number> {
  checkAppName(app);
  const target = await env.target(opts);
  // It only reads: an ensemble that does not answer is said at once, not waited for as a deploy does.
  const store = await target.observedStore();
  let releases: Release[];
  let tasks = 0;
  try {
    releases = await store.releases(app);
    if (releases.length === 0) tasks = await tasksListed(env, target, app);
  } finally {
    await target.close();
  }
  if (releases.length === 0 && tasks === 0)
    throw unknownAppError(app, await missingStore(store).catch(() => undefined));
  if (releases.length === 0) {
    // Known by its tasks, as ps knows it: something other than this store's deploys launched them.
    if (opts.json) writeLine(env.io.out, JSON.stringify({ app, releases: [] }, null, 2));
    const missing = await missingStore(store).catch(() => undefined);
    writeLine(env.io.err, escapeTerminal(noReleaseNote(app, tasks, missing)));
    return 0;
  }
  const instances = (r: Release) => instancesIn(r.spec, target.region);
  if (opts.json) {
    const json = releases.map((r) => releaseJson(r, instances(r)));
    writeLine(env.io.out, JSON.stringify({ app, releases: json }, null, 2));
    return 0;
  }
  const rows = [...releases]
    .reverse()
    .map((r) => [
      String(r.number),
      r.outcome,
      String(instances(r)),
      r.image === undefined ? "(command)" : shortImage(r.image),
      shortDigest(r.manifestDigest),
      escapeTerminal(r.user),
      new Date(r.createdAt).toISOString().replace(/\.\d+Z$/, "Z"),
      escapeTerminal(detailOf(r)),
    ]);
  writeLine(
    env.io.out,
    renderTable(["RELEASE", "OUTCOME", "INSTANCES", "IMAGE", "SPEC", "USER", "CREATED", "DETAIL"], rows),
  );
  return 0;
}

/** How long `releases` waits for the cluster when the store has no release of the app: it is a question aside. */
const CLUSTER_WAIT_MS = 5000;

/**
 * How many tasks of the app the cluster lists (of frameworks not completed, in the target's region), 0 when the
 * cluster cannot be read within CLUSTER_WAIT_MS: `releases` reads the store, and then knows no more than it says.
 */
async function tasksListed(env: Env, target: ClusterTarget, app: string): Promise<number> {
  try {
    const signal = AbortSignal.any([env.signal, AbortSignal.timeout(CLUSTER_WAIT_MS)]);
    const { state, titanTasks } = await readTitanState(await target.client(), signal);
    return listedTasks(state, titanTasks.tasks, target.region).filter((t) => t.app === app).length;
  } catch (error) {
    if (env.signal.aborted) throw error;
    return 0;
  }
}

function noReleaseNote(app: string, tasks: number, missing: string | undefined): string {
  const listed = `${tasks} task${tasks === 1 ? "" : "s"}`;
  const note = `${app} has no release in this target's state store, though the cluster lists ${listed} of it: another config or state store deployed ${tasks === 1 ? "it" : "them"} (\`titan ps ${app}\` shows ${tasks === 1 ? "it" : "them"})`;
  // A store that does not exist is most likely a mistyped URL: said too, as ps warns of it.
  return missing === undefined
    ? note
    : `${note}; ${missingStoreNote(missing)}: check its URL with \`titan context show\``;
}

/**
 * What `--json` shows of a release: no spec (it is the manifest, available with `titan rollback --to`); `instances`
 * is what it runs in the region of its store.
 */
function releaseJson(r: Release, instances: number): Record<string, unknown> {
  return {
    number: r.number,
    outcome: r.outcome,
    instances,
    image: r.image ?? null,
    image_digest: r.imageDigest ?? null,
    manifest_digest: r.manifestDigest,
    user: r.user,
    created_at: new Date(r.createdAt).toISOString(),
    finished_at: r.finishedAt === undefined ? null : new Date(r.finishedAt).toISOString(),
    detail: r.detail ?? null,
    lagging: r.lagging ?? [],
    disruption_override: r.disruptionOverride ?? null,
    command: r.command ?? null,
    rollout: r.rollout ?? null,
  };
}

/**
 * The release's detail, the regions a multi-region deploy skipped (they lag this release), and why it replaced
 * instances outside the app's disruption windows.
 */
function detailOf(r: Release): string {
  const lag = r.lagging === undefined ? "" : `${r.lagging.join(", ")} skipped (lagging)`;
  const override =
    r.disruptionOverride === undefined ? "" : `outside its disruption windows: ${r.disruptionOverride}`;
  return [r.detail ?? "", lag, override].filter((part) => part !== "").join("; ");
}

/** `name:tag@sha256:` and the first 12 hex digits: the digest stays recognisable, the table stays narrow. */
function shortImage(image: string): string {
  return image.replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}$/, "@sha256:$1");
}
