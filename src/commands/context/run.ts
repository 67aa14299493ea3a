import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { didYouMean } from "../../cli/suggest.js";
import { renderTable } from "../../cli/table.js";
import { LOCAL_MASTER } from "../../config/builtin.js";
import { loadConfigForEdit, loadUserConfig } from "../../config/index.js";
import {
  allClusters,
  allContexts,
  currentContextName,
  resolveTarget,
  spannedRegions,
  type TargetFlags,
} from "../../config/resolve.js";
import { runningLocalUrl, targetFrom } from "../../config/target.js";
import type { ClusterConfig, UserConfig } from "../../config/types.js";
import { DEFAULT_TASK_USER } from "../../config/types.js";
import { saveConfig, setIn } from "../../config/write.js";

export async function runContextList(env: Env, opts: { json: boolean }): Promise<number> {
  const { config } = await loadUserConfig(env);
  const contexts = allContexts(config);
  const clusters = allClusters(config, env.paths);
  const current = currentContextName(config, {}, env.vars).name;
  const localUrl = await runningLocalUrl(env);
  const rows = Object.values(contexts)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((context) => {
      const clusterName = context.cluster ?? (context.region ? config.regions[context.region] : undefined);
      const cluster = clusterName ? clusters[clusterName] : undefined;
      return {
        name: context.name,
        current: context.name === current,
        cluster: clusterName ?? null,
        region: context.region ?? null,
        // The built-in cluster is wherever `titan local up` started it; a deploy starts it on the default port.
        masters: cluster?.builtin ? [localUrl ?? LOCAL_MASTER] : [...(cluster?.masters ?? [])],
        ...(cluster?.builtin ? { running: localUrl !== undefined } : {}),
        builtin: context.builtin,
      };
    });
  if (opts.json) {
    writeLine(env.io.out, JSON.stringify({ current, contexts: rows }));
    return 0;
  }
  const c = env.io.color;
  writeLine(
    env.io.out,
    renderTable(
      ["", "NAME", "CLUSTER", "REGION", "MASTERS"],
      rows.map((r) => [
        r.current ? c.green("*") : "",
        r.builtin ? `${r.name} ${c.dim("(built-in)")}` : r.name,
        r.cluster ?? "-",
        r.region ?? "-",
        `${r.masters.join(",") || "-"}${r.running === false ? c.dim(" (not running)") : ""}`,
      ]),
    ),
  );
  return 0;
}

export async function runContextUse(env: Env, name: string): Promise<number> {
  const loaded = await loadConfigForEdit(env);
  const contexts = allContexts(loaded.config);
  if (!(name in contexts)) {
    const guess = didYouMean(name, Object.keys(contexts));
    throw new UsageError(
      `context "${name}" is not defined`,
      guess ? `did you mean "${guess}"?` : "create it with `titan config set-context NAME --cluster C`",
    );
  }
  await saveConfig(loaded.config.file, loaded.document, [setIn(["current_context"], name)]);
  writeLine(env.io.err, `switched to context "${name}"`);
  return 0;
}

function describeCluster(cluster: ClusterConfig): Record<string, unknown> {
  return {
    name: cluster.name,
    builtin: cluster.builtin,
    role: cluster.role,
    user: cluster.user ?? DEFAULT_TASK_USER,
    ...(cluster.auth ? { auth: { principal: cluster.auth.principal, secret: cluster.auth.secret.raw } } : {}),
    ...(cluster.caFile ? { ca_file: cluster.caFile } : {}),
    ...(cluster.state ? { state: cluster.state } : {}),
    ...(cluster.registry ? { registry: cluster.registry } : {}),
  };
}

/** One resolved target as `context show` prints it: the JSON fields and the text lines. */
interface ShownTarget {
  json: Record<string, unknown>;
  lines: Array<[string, string]>;
}

async function showTarget(env: Env, config: UserConfig, flags: TargetFlags): Promise<ShownTarget> {
  const target = resolveTarget(config, env.paths, flags, env.vars);
  const resolved = targetFrom(env, target, flags);
  // The local context's masters are this user's running local cluster, as every command uses them.
  const masters = resolved.local
    ? await resolved.masters().then(
        (urls) => ({ urls: [...urls], origin: "your local cluster" }),
        () => ({ urls: [], origin: "your local cluster, not running: titan local up" }),
      )
    : { urls: [...target.masters], origin: target.mastersOrigin };
  const json = {
    region: target.region ?? null,
    masters: masters.urls,
    masters_from: masters.origin,
    cluster: describeCluster(target.cluster),
    state: resolved.stateUrl,
  };
  const lines: Array<[string, string]> = [
    ["cluster", `${target.cluster.name}${target.cluster.builtin ? " (built-in)" : ""}`],
    ["region", target.region ?? "-"],
    ["masters", `${masters.urls.join(", ") || "-"} (from ${masters.origin})`],
    ["role", resolved.role],
  ];
  if (target.cluster.auth)
    lines.push(["auth", `${target.cluster.auth.principal}, secret ${target.cluster.auth.secret.raw}`]);
  if (target.cluster.caFile) lines.push(["ca file", target.cluster.caFile]);
  lines.push(["state", `${resolved.stateUrl}${target.cluster.state ? "" : " (default)"}`]);
  if (target.cluster.registry) lines.push(["registry", target.cluster.registry]);
  return { json, lines };
}

/**
 * The resolved target; for a context that spans regions (and no --region), each region's, as `ps` and `status`
 * read them.
 */
export async function runContextShow(env: Env, opts: TargetFlags & { json: boolean }): Promise<number> {
  const { config } = await loadUserConfig(env);
  const { name, origin } = currentContextName(config, opts, env.vars);
  const regions = spannedRegions(config, opts, env.vars);
  const shown =
    regions.length === 0
      ? [await showTarget(env, config, opts)]
      : await Promise.all(regions.map((region) => showTarget(env, config, { ...opts, region })));
  const print = (key: string, value: string, indent = "") =>
    writeLine(env.io.out, `${indent}${env.io.color.bold(key.padEnd(9))} ${value}`);
  if (regions.length === 0) {
    const [one] = shown;
    if (opts.json) {
      writeLine(
        env.io.out,
        JSON.stringify({ context: name, context_from: origin, ...one?.json, config_file: config.file }),
      );
      return 0;
    }
    print("context", `${name} (from ${origin})`);
    for (const [key, value] of one?.lines ?? []) print(key, value);
    print("config", config.file);
    return 0;
  }
  if (opts.json) {
    writeLine(
      env.io.out,
      JSON.stringify({
        context: name,
        context_from: origin,
        regions: shown.map((one) => one.json),
        config_file: config.file,
      }),
    );
    return 0;
  }
  print("context", `${name} (from ${origin})`);
  print("regions", regions.join(", "));
  print("config", config.file);
  for (const one of shown) {
    writeLine(env.io.out, "");
    writeLine(env.io.out, env.io.color.bold(String(one.json.region)));
    for (const [key, value] of one.lines) if (key !== "region") print(key, value, "  ");
  }
  return 0;
}
