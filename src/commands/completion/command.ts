import type { Command } from "commander";
import type { CommandContext } from "../types.js";

const HELP = `
Examples:
  source <(titan completion bash)                 bash: add this line to ~/.bashrc
  source <(titan completion zsh)                  zsh: add this line to ~/.zshrc, after compinit
  titan completion fish > ~/.config/fish/completions/titan.fish

Completes commands, subcommands and flags (titan's own before the command or after it), --context and --region
values and context names from the config, app names from the state store of the context the line targets, and
APP/N instance ids for titan logs.

Exit codes: 0 printed (completing never fails: what cannot be read offers nothing), 2 usage error or a shell
it has no script for.`;

export function registerCompletion(program: Command, ctx: CommandContext): void {
  program
    .command("completion")
    .description("print the shell completion script for bash, zsh or fish")
    .argument("<shell>", "bash, zsh or fish")
    .allowExcessArguments()
    .addHelpText("after", HELP)
    .action(async (shell: string, _opts: unknown, command: Command) => {
      const { runCompletion } = await import("./run.js");
      // The scripts pass the words typed so far after `__complete --`; they are not arguments of their own.
      ctx.setExitCode(await runCompletion(ctx.env(), shell, command.args.slice(1)));
    });
}
