import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";
import type { StoreFlags } from "./run.js";

const STORE_HELP =
  "the state store URL (file:///dir or zk://host:2181,…/path); default: the target cluster's";

export function registerState(program: Command, ctx: CommandContext): void {
  const state = program
    .command("state")
    .description(
      "export and import titan's records (releases, framework ids, deploy progress) between stores",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  # move a file store to ZooKeeper\n  titan state export --store file:///var/lib/titan -o state.json\n  titan state import state.json --store zk://zk1:2181,zk2:2181,zk3:2181/titan",
    );
  state
    .command("export")
    .description("write every record of the store (or of the named apps) as one JSON document")
    .argument("[apps...]", "only these apps")
    .option("--store <url>", STORE_HELP)
    .option("--context <name>", "the context whose cluster's store to read")
    .option("--region <region>", "the region whose cluster's store to read")
    .option("-o, --output <file>", "write to this file (mode 0600) instead of stdout")
    .addHelpText(
      "after",
      "\nExamples:\n  titan state export > state.json\n  titan state export api web --context prod -o prod.json",
    )
    .action(
      lazyAction(ctx, async (env, apps: string[], opts: StoreFlags & { output?: string }) => {
        const { runStateExport } = await import("./run.js");
        return runStateExport(env, apps, opts);
      }),
    );
  state
    .command("import")
    .description("write the records of an export into a store, each app in one step; locks are never copied")
    .argument("<file>", "a file written by `titan state export`")
    .option("--store <url>", STORE_HELP)
    .option("--context <name>", "the context whose cluster's store to write")
    .option("--region <region>", "the region whose cluster's store to write")
    .option("--replace", "replace the records of apps the store already holds")
    .addHelpText(
      "after",
      "\nExamples:\n  titan state import state.json --store zk://zk1:2181/titan\n  titan state import state.json --context prod --replace",
    )
    .action(
      lazyAction(ctx, async (env, file: string, opts: StoreFlags & { replace?: boolean }) => {
        const { runStateImport } = await import("./run.js");
        return runStateImport(env, file, opts);
      }),
    );
}
