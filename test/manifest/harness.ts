import { Command, CommanderError } from "commander";
import { formatDiagnostic } from "../../src/cli/diagnostics.js";
import { TitanError, ValidationError } from "../../src/cli/errors.js";
import { registerInit } from "../../src/commands/init/command.js";
import { registerSchema } from "../../src/commands/schema/command.js";
import { registerValidate } from "../../src/commands/validate/command.js";
import { type TestEnvOptions, testEnv } from "../support/env.js";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  asked: string[];
}

/**
 * Runs the manifest commands through commander with an in-memory Env, reporting thrown errors the way the CLI
 * entry point does (diagnostics and the error line on stderr; the error object on stdout with --json).
 */
export async function runManifestCommand(
  argv: readonly string[],
  options: TestEnvOptions = {},
): Promise<CommandResult> {
  const t = testEnv(options);
  let code = 0;
  const program = new Command("titan").exitOverride().configureOutput({
    writeOut: (s) => t.env.io.out.write(s),
    writeErr: (s) => t.env.io.err.write(s),
    outputError: () => {},
  });
  const ctx = {
    env: () => t.env,
    setExitCode: (c: number) => {
      code = c;
    },
  };
  registerValidate(program, ctx);
  registerInit(program, ctx);
  registerSchema(program, ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      code = error.code === "commander.helpDisplayed" ? 0 : 2;
      t.env.io.err.write(`${error.message}\n`);
    } else if (error instanceof TitanError) {
      code = error.exitCode;
      if (argv.includes("--json")) {
        const body = {
          code: error.exitCode,
          message: error.message,
          ...(error.hint ? { hint: error.hint } : {}),
          ...(error instanceof ValidationError ? { diagnostics: error.diagnostics } : {}),
        };
        const time = new Date(t.env.clock.now()).toISOString();
        t.env.io.out.write(`${JSON.stringify({ error: body, time })}\n`);
      }
      if (error instanceof ValidationError) {
        for (const d of error.diagnostics) t.env.io.err.write(`${formatDiagnostic(d, t.env.io.errColor)}\n`);
      }
      t.env.io.err.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
    } else {
      throw error;
    }
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: t.out(), stderr: t.err(), asked: t.prompter.asked };
}
