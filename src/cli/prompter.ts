import type { Readable, Writable } from "node:stream";
import type { ChalkInstance } from "chalk";
import { InterruptedError } from "./errors.js";
import type { IO } from "./io.js";

/** The questions a command can ask. Tests pass a fake; the real one wraps @inquirer/prompts, loaded on first use. */
export interface Prompter {
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
  input(
    message: string,
    options?: { default?: string; validate?: (value: string) => true | string },
  ): Promise<string>;
  select<T extends string>(message: string, choices: ReadonlyArray<{ value: T; name?: string }>): Promise<T>;
}

/**
 * The prompts' default theme colours through node's styleText, which decides by stdout and the environment;
 * prompts draw on stderr and must honour --no-color, so every styled part is drawn with the stderr colour.
 */
export function promptTheme(c: ChalkInstance) {
  return {
    prefix: { idle: c.blue("?"), done: c.green("✔") },
    spinner: {
      interval: 80,
      frames: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"].map((f) => c.yellow(f)),
    },
    style: {
      answer: (text: string) => c.cyan(text),
      message: (text: string) => c.bold(text),
      error: (text: string) => c.red(`> ${text}`),
      defaultAnswer: (text: string) => c.dim(`(${text})`),
      help: (text: string) => c.dim(text),
      highlight: (text: string) => c.cyan(text),
      key: (text: string) => c.cyan(c.bold(`<${text}>`)),
      disabled: (text: string) => c.dim(text),
      description: (text: string) => c.cyan(text),
      keysHelpTip: (keys: [string, string][]) =>
        keys.map(([key, action]) => `${c.bold(key)} ${c.dim(action)}`).join(c.dim(" • ")),
    },
  };
}

/** The confirm prompt capitalises the default of a letter hint ("y/N") and colours any other. */
function confirmTheme(c: ChalkInstance) {
  const base = promptTheme(c);
  const confirmDefault = (text: string): string => {
    const first = text[0] ?? "";
    return first.toLowerCase() === first.toUpperCase() ? c.cyan(text) : first.toUpperCase() + text.slice(1);
  };
  return { ...base, style: { ...base.style, confirmDefault } };
}

/**
 * Ctrl-C at a prompt: the prompt library takes the terminal's SIGINT and fails with its own error, and a SIGTERM or
 * SIGHUP aborts the command's signal, which ends the prompt with another. Both are an interruption like any other
 * (exit 130), never an internal error.
 */
export function promptClosed(error: unknown): never {
  if (error instanceof Error && (error.name === "ExitPromptError" || error.name === "AbortPromptError"))
    throw new InterruptedError();
  throw error;
}

/**
 * Ctrl-D (the end of the input) at a prompt: the prompt library closes its line reader and never settles, which
 * would let the process run out of work and exit 0 without a word. A closed input is no answer, yes or no: the
 * prompt is ended as a signal ends it, an interruption (exit 130), as Ctrl-C at the same question. The reader
 * pauses its input when it closes; a prompt still unsettled a turn later was closed without an answer (an
 * answered one settles first, then closes).
 */
function untilInputEnds<T>(
  input: NodeJS.ReadableStream,
  signal: AbortSignal | undefined,
  ask: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ended = new AbortController();
  let settled = false;
  const onPause = (): void => {
    setImmediate(() => {
      if (!settled && input.isPaused()) ended.abort();
    });
  };
  input.on("pause", onPause);
  return ask(signal === undefined ? ended.signal : AbortSignal.any([signal, ended.signal])).finally(() => {
    settled = true;
    input.off("pause", onPause);
  });
}

/**
 * Prompts read io.stdin and draw on io.err, so stdout stays data only. The command's signal ends a prompt waiting
 * for an answer: a SIGTERM or SIGHUP stops the command at a question as Ctrl-C does, and so does Ctrl-D.
 */
export function inquirerPrompter(io: IO, signal?: AbortSignal): Prompter {
  const load = () => import("@inquirer/prompts");
  const ask = <T>(
    prompt: (context: { input: Readable; output: Writable; signal: AbortSignal }) => Promise<T>,
  ) =>
    untilInputEnds(io.stdin, signal, (stop) =>
      prompt({ input: io.stdin, output: io.err, signal: stop }),
    ).catch(promptClosed);
  return {
    async confirm(message, defaultValue) {
      const { confirm } = await load();
      return ask((context) =>
        confirm({ message, default: defaultValue, theme: confirmTheme(io.errColor) }, context),
      );
    },
    async input(message, options = {}) {
      const { input } = await load();
      return ask((context) =>
        input(
          {
            message,
            default: options.default,
            validate: options.validate,
            theme: promptTheme(io.errColor),
          },
          context,
        ),
      );
    },
    async select(message, choices) {
      const { select } = await load();
      return ask((context) =>
        select(
          {
            message,
            choices: choices.map((c) => ({ value: c.value, name: c.name ?? c.value })),
            theme: promptTheme(io.errColor),
          },
          context,
        ),
      );
    },
  };
}
