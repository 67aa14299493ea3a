import { setMaxListeners } from "node:events";
import type { Readable, Writable } from "node:stream";
import { Command, CommanderError } from "commander";
import { helpTargetAsCommand, usageErrorFrom } from "./cli/commander-errors.js";
import { formatDiagnostic } from "./cli/diagnostics.js";
import type { Env } from "./cli/env.js";
import { systemClock, withTargets } from "./cli/env.js";
import { InterruptedError, TitanError, UsageError, ValidationError } from "./cli/errors.js";
import { ExitCode, renderExitCodeTable, STDOUT_CLOSED } from "./cli/exit-codes.js";
import { addFlags } from "./cli/flags.js";
import { fitHelpText, formatHelpItem, helpWidthOf } from "./cli/help-layout.js";
import { createIO, flushed, type IO, writeLine } from "./cli/io.js";
import { StdoutUnwritable, stdoutUnwritableError } from "./cli/output-guard.js";
import { platformPaths } from "./cli/paths.js";
import { inquirerPrompter } from "./cli/prompter.js";
import { rootFlagTable } from "./cli/root-flags.js";
import { targetFlagTable } from "./cli/target-options.js";
import { escapeTerminal } from "./cli/terminal-text.js";
import { commandNameIn, commandTakenAsValue, registerCommands } from "./commands/index.js";

/** For the process entry point (bin/titan.js). */
export { guardOutput } from "./cli/output-guard.js";
export { secondSignalNote } from "./cli/stopping.js";
export { tuneV8For } from "./cli/v8-tuning.js";

export interface System {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted when the user interrupts (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

const ROOT_HELP = `
Examples:
  titan init                                   write a titan.yaml for a new app
  titan validate -f titan.yaml                 check a manifest
  titan plan --dry-run -f titan.yaml --snapshot state.json --region us-east
  titan ps                                     instances of every app: state, health, host:ports, zone, age
  titan logs api -f                            follow every instance's output, including new ones
  titan local up                               start the embedded local cluster
  titan context list                           the clusters and regions you can target
  titan --context prod ps                      target flags go before the command or after it

Exit codes:
${renderExitCodeTable()}

Environment: TITAN_CONFIG, TITAN_CONTEXT, TITAN_MASTER, TITAN_REGION, TITAN_ROLE, TITAN_FAILOVER_TIMEOUT,
TITAN_REGISTRY_TIMEOUT, TITAN_STATE_DIR, TITAN_DATA_DIR, NO_COLOR, FORCE_COLOR, CI.`;

/** Builds the root command. Commands register cheaply; each one imports its implementation only when it runs. */
export async function buildProgram(
  sys: System,
  result: { code: number; env?: Env },
  argv: readonly string[] = [],
): Promise<Command> {
  const program = new Command("titan");
  let cachedEnv: Env | undefined;
  const abort = sys.signal ?? new AbortController().signal;
  // Every request in flight listens to the command's signal until it ends (`logs -f` polls every stream at once,
  // `top` asks 32 agents at once): node's warning past 10 listeners would be printed on every such command.
  setMaxListeners(0, abort);
  const env = (): Env => {
    if (cachedEnv) return cachedEnv;
    const globals = program.opts<{ color?: boolean; debug?: boolean }>();
    const io: IO = createIO({
      stdin: sys.stdin,
      out: sys.stdout,
      err: sys.stderr,
      env: sys.env,
      noColorFlag: globals.color === false,
    });
    cachedEnv = withTargets({
      io,
      vars: sys.env,
      cwd: sys.cwd,
      paths: platformPaths(sys.env),
      clock: systemClock,
      debug: globals.debug === true,
      signal: abort,
      prompter: () => inquirerPrompter(io, abort),
    });
    result.env = cachedEnv;
    return cachedEnv;
  };

  program.description("Deploy and supervise containerised apps on Apache Mesos.");
  addFlags(addFlags(program, rootFlagTable), targetFlagTable)
    .helpOption("-h, --help", "show help for a command")
    .addHelpText("after", ROOT_HELP)
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .configureHelp({ formatItem: formatHelpItem })
    .configureOutput({
      getOutHelpWidth: () => helpWidthOf(sys.env, sys.stdout),
      getErrHelpWidth: () => helpWidthOf(sys.env, sys.stderr),
      // Only help and usage text goes through here: titan's own output is written by the commands.
      writeOut: (s) => sys.stdout.write(fitHelpText(s, helpWidthOf(sys.env, sys.stdout))),
      writeErr: (s) => sys.stderr.write(fitHelpText(s, helpWidthOf(sys.env, sys.stderr))),
      outputError: () => {
        // main() prints every error itself, in one format.
      },
    })
    .exitOverride();

  await registerCommands(
    program,
    {
      env,
      setExitCode: (code) => {
        result.code = code;
      },
    },
    argv,
  );
  return program;
}

/** Runs titan with the given arguments; the only place where errors become exit codes. */
export async function main(argv: readonly string[], sys: System): Promise<number> {
  const result: { code: number; env?: Env } = { code: ExitCode.Ok };
  const args = versionAsCommand(argv);
  const program = await buildProgram(sys, result, args);
  const json = args.includes("--json");
  const debug = args.includes("--debug");
  try {
    const taken = commandTakenAsValue(args);
    if (taken !== undefined)
      throw new UsageError(
        `${taken.flag} has no value: ${taken.command} is titan's command, given where the value goes`,
        `give the value first: titan ${taken.flag} ${taken.flag === "--master" ? "URL" : "NAME"} ${taken.command}`,
      );
    await program.parseAsync([...helpTargetAsCommand(program, args)], { from: "user" });
    // Success is claimed only for output that was delivered: wait for stdout to take what was written.
    await flushed(sys.stdout);
    return codeAfterDelivery(result.code, sys, { json, debug, env: result.env });
  } catch (error) {
    const unwritable = stdoutUnwritable(sys.signal);
    if (unwritable !== undefined && isInterruption(error))
      return reportError(stdoutUnwritableError(unwritable, error), sys, { json, debug, env: result.env });
    if (stoppedByReader(error, sys.signal)) return ExitCode.Interrupted;
    const failure = isParseError(error) ? usageErrorFrom(error, program, args) : error;
    return reportError(asInterruption(failure, sys.signal), sys, { json, debug, env: result.env });
  }
}

/**
 * The exit code of a command that returned `code`, once its output was delivered or not. A success is not one
 * when the output never reached its reader: 130 when the reader went away first (as for any command stopped by
 * it), 1 with one error line when stdout could not be written. A failure the command reached keeps its own code.
 */
function codeAfterDelivery(code: number, sys: System, options: ReportOptions): number {
  const unwritable = stdoutUnwritable(sys.signal);
  if (unwritable !== undefined) {
    const failed = reportError(stdoutUnwritableError(unwritable), sys, options);
    return code === ExitCode.Ok ? failed : code;
  }
  const readerGone = sys.signal?.aborted === true && sys.signal.reason === STDOUT_CLOSED;
  return readerGone && code === ExitCode.Ok ? ExitCode.Interrupted : code;
}

function stdoutUnwritable(signal: AbortSignal | undefined): StdoutUnwritable | undefined {
  return signal?.aborted === true && signal.reason instanceof StdoutUnwritable ? signal.reason : undefined;
}

/** The command stopped because its signal aborted, not for a failure of its own. */
function isInterruption(error: unknown): boolean {
  return !(error instanceof TitanError) || error instanceof InterruptedError;
}

/** A command cut short because nobody reads its output any more: nothing to say (there is no one to say it to). */
function stoppedByReader(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && signal.reason === STDOUT_CLOSED && !(error instanceof TitanError);
}

/** A request cut short by Ctrl-C fails with the signal's reason: that is an interruption, not a fault of titan's. */
function asInterruption(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted !== true || error instanceof TitanError || error instanceof CommanderError)
    return error;
  return new InterruptedError();
}

/** `titan --version` (or `-V`) without a command runs `titan version`, as every CLI answers it. */
function versionAsCommand(argv: readonly string[]): readonly string[] {
  if (commandNameIn(argv) !== undefined) return argv;
  const rest = argv.filter((arg) => arg !== "--version" && arg !== "-V");
  return rest.length === argv.length ? argv : [...rest, "version"];
}

interface ReportOptions {
  json: boolean;
  debug: boolean;
  env: Env | undefined;
}

/** Help and version end parsing with a CommanderError too; every other one is a usage error. */
function isHelpOrVersion(error: unknown): boolean {
  return (
    error instanceof CommanderError &&
    (error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help")
  );
}

function isParseError(error: unknown): error is CommanderError {
  return error instanceof CommanderError && !isHelpOrVersion(error);
}

function reportError(error: unknown, sys: System, options: ReportOptions): number {
  if (isHelpOrVersion(error)) return ExitCode.Ok;
  const io =
    options.env?.io ?? createIO({ stdin: sys.stdin, out: sys.stdout, err: sys.stderr, env: sys.env });
  const c = io.errColor;
  // Stamped as every line of a --json event stream is, since on one (deploy, scale, ...) it is the stream's last line.
  const time = new Date(options.env?.clock.now() ?? Date.now()).toISOString();
  if (error instanceof TitanError) {
    if (options.json) {
      const body: Record<string, unknown> = { code: error.exitCode, message: error.message };
      if (error.hint) body.hint = error instanceof ValidationError ? error.jsonHint : error.hint;
      if (error instanceof ValidationError) body.diagnostics = error.diagnostics;
      writeLine(io.out, JSON.stringify({ error: body, time }));
    }
    if (error instanceof ValidationError) {
      for (const d of error.diagnostics) writeLine(io.err, formatDiagnostic(d, c));
    }
    writeLine(io.err, `${c.red("error:")} ${escapeTerminal(error.message)}`);
    if (error.hint) writeLine(io.err, `${c.dim("hint:")} ${escapeTerminal(error.hint)}`);
    if (options.debug && error.stack) writeLine(io.err, c.dim(error.stack));
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (options.json) {
    writeLine(
      io.out,
      JSON.stringify({ error: { code: ExitCode.Runtime, message: `internal error: ${message}` }, time }),
    );
  }
  writeLine(io.err, `${c.red("error:")} internal error: ${escapeTerminal(message)}`);
  if (options.debug && error instanceof Error && error.stack) writeLine(io.err, c.dim(error.stack));
  else writeLine(io.err, `${c.dim("hint:")} re-run with --debug for a stack trace, and please report it`);
  return ExitCode.Runtime;
}
