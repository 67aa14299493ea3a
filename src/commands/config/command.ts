import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";

export interface SetClusterOptions {
  master: string;
  principal?: string;
  secret?: string;
  caFile?: string;
  state?: string;
  registry?: string;
  role?: string;
}

export function registerConfig(program: Command, ctx: CommandContext): void {
  const config = program
    .command("config")
    .description("edit the user config: clusters, regions and contexts")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  titan config set-cluster prod-us-east --master https://m1:5050,https://m2:5050 \\",
        '      --principal titan --secret "env:MESOS_SECRET" --ca-file /etc/titan/ca.pem',
        "  titan config set-region us-east --cluster prod-us-east",
        "  titan config set-context prod --region us-east --use",
        "  titan config view",
      ].join("\n"),
    );
  config
    .command("set-cluster")
    .description("add or replace a cluster")
    .argument("<name>", "cluster name")
    .requiredOption("--master <urls>", "master URL(s), comma-separated (several for HA)")
    .option("--principal <name>", "principal for HTTP basic auth")
    .option("--secret <ref>", "the principal's secret as a reference: env:NAME or file:/path")
    .option("--ca-file <path>", "CA bundle to verify the masters' TLS certificates")
    .option("--state <url>", "state store URL (file:///path)")
    .option("--registry <url>", "default Docker registry")
    .option("--role <role>", "Mesos role for titan's frameworks (default *)")
    .addHelpText(
      "after",
      "\nExamples:\n  titan config set-cluster prod-us-east --master https://m1:5050,https://m2:5050\n  titan config set-cluster prod-us-east --master https://m1:5050 --principal titan --secret env:MESOS_SECRET --ca-file /etc/titan/ca.pem",
    )
    .action(
      lazyAction(ctx, async (env, name: string, opts: SetClusterOptions) => {
        const { runSetCluster } = await import("./run.js");
        return runSetCluster(env, name, opts);
      }),
    );
  config
    .command("set-region")
    .description("map a region to the cluster that serves it")
    .argument("<region>", "region name, as in a manifest's regions:")
    .requiredOption("--cluster <name>", "the cluster serving the region")
    .addHelpText("after", "\nExamples:\n  titan config set-region us-east --cluster prod-us-east")
    .action(
      lazyAction(ctx, async (env, region: string, opts: { cluster: string }) => {
        const { runSetRegion } = await import("./run.js");
        return runSetRegion(env, region, opts.cluster);
      }),
    );
  config
    .command("set-context")
    .description("add or replace a context naming a cluster or a region")
    .argument("<name>", "context name")
    .option("--cluster <name>", "the context's cluster")
    .option("--region <region>", "the context's default region")
    .option("--use", "also make it the current context")
    .addHelpText(
      "after",
      "\nExamples:\n  titan config set-context prod --region us-east --use\n  titan config set-context staging --cluster staging",
    )
    .action(
      lazyAction(
        ctx,
        async (env, name: string, opts: { cluster?: string; region?: string; use?: boolean }) => {
          const { runSetContext } = await import("./run.js");
          return runSetContext(env, name, opts);
        },
      ),
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
        lazyAction(ctx, async (env, name: string) => {
          const { runDelete } = await import("./run.js");
          return runDelete(env, kind, name);
        }),
      );
  }
  config
    .command("view")
    .description("print the config (secrets appear only as references)")
    .option("--json", "print as JSON")
    .addHelpText("after", "\nExamples:\n  titan config view\n  titan config view --json")
    .action(
      lazyAction(ctx, async (env, opts: { json?: boolean }) => {
        const { runView } = await import("./run.js");
        return runView(env, { json: opts.json === true });
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
      lazyAction(ctx, async (env) => {
        const { runPath } = await import("./run.js");
        return runPath(env);
      }),
    );
}
