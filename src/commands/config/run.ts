import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { configFilePath } from "../../cli/paths.js";
import { didYouMean } from "../../cli/suggest.js";
import { builtinCluster, builtinNameTaken, LOCAL } from "../../config/builtin.js";
import { loadConfigForEdit, loadUserConfig, type UserConfig } from "../../config/index.js";
import { parseMasterList } from "../../config/resolve.js";
import { parseSecretRef } from "../../config/secret-ref.js";
import { runningLocalUrl } from "../../config/target.js";
import { type ConfigEdit, deleteIn, saveConfig, setIn } from "../../config/write.js";
import type { SetClusterOptions } from "./command.js";

/** A cluster or context named `local` would hide the built-in one. */
function notBuiltinName(kind: "cluster" | "context", name: string): void {
  if (name !== LOCAL) return;
  const { message, hint } = builtinNameTaken(kind);
  throw new UsageError(message, hint);
}

export async function runSetCluster(env: Env, name: string, opts: SetClusterOptions): Promise<number> {
  notBuiltinName("cluster", name);
  if (opts.master === undefined)
    throw new UsageError("set-cluster needs --master", "e.g. --master https://m1:5050,https://m2:5050");
  const masters = parseMasterList(opts.master, "--master");
  if ((opts.principal === undefined) !== (opts.secret === undefined)) {
    throw new UsageError(
      "--principal and --secret go together",
      'e.g. --principal titan --secret "env:MESOS_SECRET"',
    );
  }
  if (opts.secret !== undefined) {
    const parsed = parseSecretRef(opts.secret);
    if (typeof parsed === "string")
      throw new UsageError(`--secret: ${parsed}`, 'pass "env:NAME" or "file:/path"');
  }
  const cluster: Record<string, unknown> = { masters };
  if (opts.principal !== undefined && opts.secret !== undefined) {
    cluster.auth = { principal: opts.principal, secret: opts.secret };
  }
  if (opts.caFile !== undefined) cluster.ca_file = await caFileFlag(env, opts.caFile);
  if (opts.state !== undefined) cluster.state = opts.state;
  if (opts.registry !== undefined) cluster.registry = opts.registry;
  if (opts.role !== undefined) cluster.role = opts.role;
  if (opts.user !== undefined) cluster.user = opts.user;
  const loaded = await loadConfigForEdit(env);
  await saveConfig(loaded.config.file, loaded.document, [setIn(["clusters", name], cluster)], (path) =>
    clusterFlagOf(name, path),
  );
  writeLine(env.io.err, `cluster "${name}" set (${masters.length} master${masters.length === 1 ? "" : "s"})`);
  return 0;
}

const CLUSTER_FLAGS: Readonly<Record<string, string>> = {
  masters: "--master",
  auth: "--principal/--secret",
  ca_file: "--ca-file",
  state: "--state",
  registry: "--registry",
  role: "--role",
  user: "--user",
};

function clusterFlagOf(name: string, path: string): string | undefined {
  const prefix = `clusters.${name}`;
  if (path === prefix) return "<name>";
  if (!path.startsWith(`${prefix}.`)) return undefined;
  const key = path.slice(prefix.length + 1).split(/[.[]/)[0] ?? "";
  return CLUSTER_FLAGS[key];
}

/**
 * `--ca-file`, checked now rather than at the first command that connects: a readable PEM bundle, kept as an
 * absolute path so that it means the same file from any directory.
 */
async function caFileFlag(env: Env, file: string): Promise<string> {
  const path = resolve(env.cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(
      `--ca-file: cannot read ${file} (${code})`,
      "pass the PEM bundle of the CA that signed the masters' certificates",
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----"))
    throw new UsageError(
      `--ca-file: ${file} is not a PEM bundle (it has no -----BEGIN CERTIFICATE----- line)`,
      "pass the CA certificate(s) in PEM form",
    );
  return path;
}

function definedCluster(config: UserConfig, cluster: string): void {
  const known = [LOCAL, ...Object.keys(config.clusters)];
  if (known.includes(cluster)) return;
  const guess = didYouMean(cluster, known);
  throw new UsageError(
    `--cluster: cluster "${cluster}" is not defined`,
    guess ? `did you mean "${guess}"?` : `define it first: titan config set-cluster ${cluster} --master URL`,
  );
}

function mappedRegion(config: UserConfig, region: string, flag: string): void {
  if (config.regions[region] !== undefined) return;
  const guess = didYouMean(region, Object.keys(config.regions));
  throw new UsageError(
    `${flag}: region "${region}" is not mapped to a cluster`,
    guess ? `did you mean "${guess}"?` : `map it first: titan config set-region ${region} --cluster NAME`,
  );
}

export async function runSetRegion(env: Env, region: string, cluster: string | undefined): Promise<number> {
  if (cluster === undefined)
    throw new UsageError(
      "set-region needs --cluster",
      `e.g. titan config set-region ${region} --cluster prod`,
    );
  const loaded = await loadConfigForEdit(env);
  definedCluster(loaded.config, cluster);
  await saveConfig(loaded.config.file, loaded.document, [setIn(["regions", region], cluster)], (path) =>
    path === `regions.${region}` ? "--cluster" : undefined,
  );
  writeLine(env.io.err, `region "${region}" is served by cluster "${cluster}"`);
  return 0;
}

/** `--regions a,b`: each region once, and at least one (an empty list leaves nothing to pick a region from). */
function regionsFlag(text: string): string[] {
  const regions = text
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  const hint = "e.g. --regions us-east,eu-west (each region once)";
  if (regions.length === 0) throw new UsageError("--regions names no region", hint);
  const twice = regions.find((region, i) => regions.indexOf(region) !== i);
  if (twice !== undefined) throw new UsageError(`--regions names ${twice} twice`, hint);
  return regions;
}

export async function runSetContext(
  env: Env,
  name: string,
  opts: { cluster?: string; region?: string; regions?: string; use?: boolean },
): Promise<number> {
  notBuiltinName("context", name);
  if (opts.cluster === undefined && opts.region === undefined && opts.regions === undefined) {
    throw new UsageError(
      "a context needs --cluster, --region or --regions",
      `e.g. titan config set-context ${name} --cluster prod`,
    );
  }
  const context: Record<string, string | string[]> = {};
  if (opts.cluster !== undefined) context.cluster = opts.cluster;
  if (opts.region !== undefined) context.region = opts.region;
  if (opts.regions !== undefined) context.regions = regionsFlag(opts.regions);
  const edits: ConfigEdit[] = [setIn(["contexts", name], context)];
  if (opts.use) edits.push(setIn(["current_context"], name));
  const loaded = await loadConfigForEdit(env);
  if (opts.cluster !== undefined) definedCluster(loaded.config, opts.cluster);
  if (opts.region !== undefined && opts.cluster === undefined)
    mappedRegion(loaded.config, opts.region, "--region");
  for (const region of context.regions ?? []) mappedRegion(loaded.config, region, "--regions");
  await saveConfig(loaded.config.file, loaded.document, edits, (path) =>
    path === `contexts.${name}` ? "<name>" : undefined,
  );
  writeLine(env.io.err, `context "${name}" set${opts.use ? " and in use" : ""}`);
  return 0;
}

export async function runDelete(
  env: Env,
  kind: "cluster" | "context" | "region",
  name: string,
): Promise<number> {
  const loaded = await loadConfigForEdit(env);
  const { config } = loaded;
  const section =
    kind === "cluster" ? config.clusters : kind === "context" ? config.contexts : config.regions;
  if (!(name in section)) {
    const builtin = name === LOCAL && kind !== "region";
    throw new UsageError(
      builtin
        ? `the ${kind} "${LOCAL}" is built in and cannot be deleted`
        : `${kind} "${name}" is not in the config`,
      `run \`titan config view\` to see what is defined`,
    );
  }
  const edits: ConfigEdit[] = [
    deleteIn([`${kind === "cluster" ? "clusters" : kind === "context" ? "contexts" : "regions"}`, name]),
  ];
  if (kind === "context" && config.currentContext === name) edits.push(deleteIn(["current_context"]));
  await saveConfig(config.file, loaded.document, edits);
  writeLine(env.io.err, `${kind} "${name}" deleted`);
  return 0;
}

export async function runView(env: Env, opts: { json: boolean }): Promise<number> {
  const loaded = await loadUserConfig(env);
  if (opts.json) {
    const { config } = loaded;
    const clusters = Object.fromEntries(
      Object.values(config.clusters).map((c) => [
        c.name,
        {
          masters: c.masters,
          role: c.role,
          ...(c.user ? { user: c.user } : {}),
          ...(c.auth ? { auth: { principal: c.auth.principal, secret: c.auth.secret.raw } } : {}),
          ...(c.caFile ? { ca_file: c.caFile } : {}),
          ...(c.state ? { state: c.state } : {}),
          ...(c.registry ? { registry: c.registry } : {}),
        },
      ]),
    );
    const contexts = Object.fromEntries(
      Object.values(config.contexts).map((c) => [
        c.name,
        {
          ...(c.cluster ? { cluster: c.cluster } : {}),
          ...(c.region ? { region: c.region } : {}),
          ...(c.regions ? { regions: c.regions } : {}),
        },
      ]),
    );
    writeLine(
      env.io.out,
      JSON.stringify({
        file: config.file,
        current_context: config.currentContext ?? null,
        clusters,
        regions: config.regions,
        contexts,
      }),
    );
    return 0;
  }
  if (!loaded.exists) {
    const file = loaded.config.file;
    writeLine(
      env.io.err,
      loaded.nullDevice
        ? `TITAN_CONFIG is ${file}: no config; the built-in "local" context is in use (below)`
        : `no config file yet at ${file}; the built-in "local" context is in use (below)`,
    );
    const local = builtinCluster(env.paths);
    const running = await runningLocalUrl(env);
    env.io.out.write(
      [
        loaded.nullDevice
          ? `# built in: TITAN_CONFIG is ${file}, so no config is read or written`
          : `# built in: no config file yet (titan config set-cluster/set-context writes ${file})`,
        `current_context: ${LOCAL}`,
        "clusters:",
        `  ${LOCAL}:`,
        running === undefined
          ? "    # not running: `titan local up` (or a deploy) starts it here"
          : "    # your local cluster, running",
        `    masters: [${running ?? local.masters.join(", ")}]`,
        `    state: ${local.state ?? ""}`,
        "contexts:",
        `  ${LOCAL}: { cluster: ${LOCAL} }`,
        "",
      ].join("\n"),
    );
    return 0;
  }
  env.io.out.write(loaded.document.toString({ lineWidth: 0 }));
  return 0;
}

export async function runPath(env: Env): Promise<number> {
  writeLine(env.io.out, configFilePath(env.vars, env.paths));
  return 0;
}
