import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { loadTarget, loadUserConfig } from "../../config/index.js";
import { allContexts } from "../../config/resolve.js";
import { catalog } from "../catalog.js";
import { type Completion, type CompletionSources, complete, type TypedTarget } from "./candidates.js";
import { completionScripts, FISH_COMPLETE, NO_SPACE } from "./scripts.js";

/** `titan completion SHELL` prints the script; `titan completion __complete -- WORDS…` answers the script. */
export async function runCompletion(env: Env, shell: string, typed: readonly string[]): Promise<number> {
  if (shell === "__complete" || shell === FISH_COMPLETE) {
    const result = await complete(typed, sources(env));
    if (result.kind === "files") writeLine(env.io.out, "__files__");
    else {
      const words = shell === FISH_COMPLETE ? keptOpenForFish(result) : result.words;
      if (result.open === true && shell !== FISH_COMPLETE) writeLine(env.io.out, NO_SPACE);
      for (const word of words) writeLine(env.io.out, word);
    }
    return 0;
  }
  // Only the scripts' own call passes words after the shell; after a shell's name one is a mistake.
  if (typed.length > 0)
    throw new UsageError(
      `too many arguments for 'completion'. Expected 1 argument but got ${typed.length + 1}.`,
      "run `titan completion --help` for usage",
    );
  const script = completionScripts[shell];
  if (script === undefined)
    throw new UsageError(`no completion for the shell ${JSON.stringify(shell)}`, "use bash, zsh or fish");
  env.io.out.write(script);
  return 0;
}

/**
 * fish adds a space after a word it completes alone and has no way to be told otherwise; offering the open word
 * also with the `/` that goes on after it (`web`, `web/`) makes fish insert their common part, `web`, and stop.
 */
function keptOpenForFish(result: Completion & { kind: "words" }): string[] {
  const [only] = result.words;
  if (result.open !== true || result.words.length !== 1 || only === undefined) return result.words;
  return [only, `${only}/`];
}

/** Completion must never fail loudly: a broken config or a missing store just offers nothing. */
async function quietly<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch {
    return fallback;
  }
}

function sources(env: Env): CompletionSources {
  const storeDir = async (typed: TypedTarget): Promise<string> => {
    const target = await loadTarget(env, typed);
    const url =
      target.cluster.state ?? pathToFileURL(join(env.paths.dataDir, "state", target.cluster.name)).href;
    return fileURLToPath(url);
  };
  return {
    catalog,
    apps: (typed) => quietly(async () => (await readdir(join(await storeDir(typed), "apps"))).sort(), []),
    instances: (app, typed) =>
      quietly(async () => {
        const { FileStateStore } = await import("../../state/file-store.js");
        const { targetRelease } = await import("../ps/target.js");
        const store = new FileStateStore(pathToFileURL(await storeDir(typed)).href, {
          clock: env.clock,
          hostname: "completion",
        });
        return targetRelease(await store.releases(app))?.spec.instances ?? 0;
      }, 0),
    contexts: () => quietly(async () => Object.keys(allContexts((await loadUserConfig(env)).config)), []),
    regions: () => quietly(async () => Object.keys((await loadUserConfig(env)).config.regions), []),
  };
}
