import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const setClusterFlagTable = {
  master: valueFlag("--master <urls>", "master URL(s), comma-separated (several for HA); required"),
  principal: valueFlag("--principal <name>", "principal for HTTP basic auth"),
  secret: valueFlag("--secret <ref>", "the principal's secret as a reference: env:NAME or file:/path"),
  caFile: valueFlag("--ca-file <path>", "CA bundle to verify the masters' TLS certificates"),
  state: valueFlag(
    "--state <url>",
    "state store URL: file:///path or zk://host:port,.../path (default: file:// in the data dir)",
  ),
  registry: valueFlag("--registry <url>", "default Docker registry"),
  role: valueFlag("--role <role>", "Mesos role for titan's frameworks (default *)"),
  user: valueFlag("--user <user>", "Unix user tasks run as on the agents (default nobody)"),
} as const;

export type SetClusterOptions = OptionsOf<typeof setClusterFlagTable>;

const setRegionFlagTable = {
  cluster: valueFlag("--cluster <name>", "the cluster serving the region; required"),
} as const;

export const setContextFlagTable = {
  cluster: valueFlag("--cluster <name>", "the context's cluster"),
  region: valueFlag("--region <region>", "the context's default region"),
  regions: valueFlag(
    "--regions <list>",
    "the regions the context spans, comma-separated (each mapped with set-region)",
  ),
  use: switchFlag("--use", "also make it the current context"),
} as const;

export type SetContextOptions = OptionsOf<typeof setContextFlagTable>;

const viewFlagTable = { json: switchFlag("--json", "print as JSON") } as const;

/** Every config subcommand reads the config file, and the editing ones write it. */
const CONFIG_EXIT_CODES = `
Exit codes: 0 done, 2 usage error or a config file that is not valid (nothing is written), 1 the config file
could not be read or written (or another error).`;

export function registerConfig(program: Command, ctx: CommandContext): void {
  const config = program
    .command("config")
    .description("edit the user config: clusters, regions and contexts")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  titan config set-cluster prod-us-east \\",
        "      --master https://m1:5050,https://m2:5050 \\",
        '      --principal titan --secret "env:MESOS_SECRET" --ca-file /etc/titan/ca.pem',
        "  titan config set-region us-east --cluster prod-us-east",
        "  titan config set-context prod --region us-east --use",
        "  titan config view",
      ].join("\n"),
    );
  addFlags(
    config.command("set-cluster").description("add or replace a cluster").argument("<name>", "cluster name"),
    setClusterFlagTable,
  )
    .addHelpText(
      "after",
      "\nExamples:\n  titan config set-cluster prod-us-east --master https://m1:5050,https://m2:5050\n  titan config set-cluster prod-us-east --master https://m1:5050 \\\n      --principal titan --secret env:MESOS_SECRET --ca-file /etc/titan/ca.pem",
    )
    .action(
      flagAction(ctx, setClusterFlagTable, async (env, opts, name: string) => {
        const { runSetCluster } = await import("./run.js");
        return runSetCluster(env, name, opts);
      }),
    );
  addFlags(
    config
      .command("set-region")
      .description("map a region to the cluster that serves it")
      .argument("<region>", "region name, as in a manifest's regions:"),
    setRegionFlagTable,
  )
    .addHelpText("after", "\nExamples:\n  titan config set-region us-east --cluster prod-us-east")
    .action(
      flagAction(ctx, setRegionFlagTable, async (env, opts, region: string) => {
        const { runSetRegion } = await import("./run.js");
        return runSetRegion(env, region, opts.cluster);
      }),
    );
  addFlags(
    config
      .command("set-context")
      .description("add or replace a context naming a cluster or a region")
      .argument("<name>", "context name"),
    setContextFlagTable,
  )
    .addHelpText(
      "after",
      "\nExamples:\n  titan config set-context prod --region us-east --use\n  titan config set-context staging --cluster staging\n  titan config set-context prod --regions us-east,eu-west,ap-south",
    )
    .action(
      flagAction(ctx, setContextFlagTable, async (env, opts, name: string) => {
        const { runSetContext } = await import("./run.js");
        return runSetContext(env, name, opts);
      }),
    );
  for (const kind of ["cluster", "context", "region"] as const) {
    config
      .command(`delete-${kind}`)
      .description(`remove a ${kind}`)
      .argument("<name>", `${kind} name`)
      .addHelpText(
        "after",
        `\nExample:\n  titan config delete-${kind} ${kind === "region" ? "us-east" : "staging"}`,
      )
      .action(
        flagAction(ctx, {}, async (env, _opts, name: string) => {
          const { runDelete } = await import("./run.js");
          return runDelete(env, kind, name);
        }),
      );
  }
  addFlags(
    config.command("view").description("print the config (secrets appear only as references)"),
    viewFlagTable,
  )
    .addHelpText("after", "\nExamples:\n  titan config view\n  titan config view --json")
    .action(
      flagAction(ctx, viewFlagTable, async (env, opts) => {
        const { runView } = await import("./run.js");
        return runView(env, opts);
      }),
    );
  config
    .command("path")
    .description("print the config file's path")
    .addHelpText(
      "after",
      "\nExamples:\n  titan config path\n  TITAN_CONFIG=/tmp/titan.yaml titan config path",
    )
    .action(
      flagAction(ctx, {}, async (env) => {
        const { runPath } = await import("./run.js");
        return runPath(env);
      }),
    );
  for (const command of [config, ...config.commands]) command.addHelpText("after", CONFIG_EXIT_CODES);
}
