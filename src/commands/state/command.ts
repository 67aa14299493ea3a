import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

const storeFlags = {
  store: valueFlag(
    "--store <url>",
    "the state store URL (file:///dir or zk://host:2181,…/path); default: the target cluster's",
  ),
  context: targetFlagTable.context,
  region: targetFlagTable.region,
} as const;

export const stateExportFlagTable = {
  ...storeFlags,
  output: valueFlag("-o, --output <file>", "write to this file (mode 0600) instead of stdout"),
} as const;

export const stateImportFlagTable = {
  ...storeFlags,
  replace: switchFlag("--replace", "replace the records of apps the store holds other records of"),
} as const;

export type StateExportOptions = OptionsOf<typeof stateExportFlagTable>;
export type StateImportOptions = OptionsOf<typeof stateImportFlagTable>;

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
  const exporting = state
    .command("export")
    .description("write every record of the store (or of the named apps) as one JSON document")
    .argument("[apps...]", "only these apps");
  addFlags(exporting, stateExportFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan state export > state.json\n  titan state export api web --context prod -o prod.json" +
        "\n\nExit codes: 0 exported, 2 usage error, a store that does not exist, an app it holds no records of, or an\n" +
        "output file that cannot be written, 130 interrupted, 1 the store could not be read (or another error).",
    )
    .action(
      flagAction(ctx, stateExportFlagTable, async (env, opts, apps: string[]) => {
        const { runStateExport } = await import("./run.js");
        return runStateExport(env, apps, opts);
      }),
    );
  const importing = state
    .command("import")
    .description("write the records of an export into a store, each app in one step; locks are never copied")
    .argument("<file>", "a file written by `titan state export`");
  addFlags(importing, stateImportFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan state import state.json --store zk://zk1:2181/titan\n  titan state import state.json --context prod --replace" +
        "\n\nExit codes: 0 imported (or the store held exactly these records already), 2 usage error, a file that is not an\n" +
        "unedited export, or apps the store holds other records of (without --replace), 130 interrupted, 1 the store\n" +
        "could not be written, a deploy holds an app's lock, or another error.",
    )
    .action(
      flagAction(ctx, stateImportFlagTable, async (env, opts, file: string) => {
        const { runStateImport } = await import("./run.js");
        return runStateImport(env, file, opts);
      }),
    );
}
