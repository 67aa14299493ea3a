import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { renderTable } from "../../cli/table.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import { shortDigest } from "../../cluster/digest.js";
import { instancesIn } from "../../plan/regions.js";
import { checkAppName } from "../../release/app-release.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { missingStore } from "../../state/missing.js";
import type { Release } from "../../state/types.js";
import type { ReleasesOptions } from "./command.js";

export async function runReleases(env: Env, app: string, opts: ReleasesOptions): Promise<number> {
  checkAppName(app);
  const target = await env.target(opts);
  // It only reads: an ensemble that does not answer is said at once, not waited for as a deploy does.
  const store = await target.observedStore();
  const releases = await store.releases(app).finally(() => target.close());
  if (releases.length === 0) throw unknownAppError(app, await missingStore(store).catch(() => undefined));
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
