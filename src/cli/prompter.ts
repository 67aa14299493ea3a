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

/** Prompts read io.stdin and draw on io.err, so stdout stays data only. */
export function inquirerPrompter(io: IO): Prompter {
  const context = { input: io.stdin, output: io.err };
  const load = () => import("@inquirer/prompts");
  return {
    async confirm(message, defaultValue) {
      const { confirm } = await load();
      return confirm({ message, default: defaultValue }, context);
    },
    async input(message, options = {}) {
      const { input } = await load();
      return input(
        {
          message,
          default: options.default,
          validate: options.validate,
        },
        context,
      );
    },
    async select(message, choices) {
      const { select } = await load();
      return select(
        { message, choices: choices.map((c) => ({ value: c.value, name: c.name ?? c.value })) },
        context,
      );
    },
  };
}
