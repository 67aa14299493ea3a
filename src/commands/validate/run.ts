import { warningLines } from "../../cli/diagnostics.js";
import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { loadManifests } from "../../manifest/index.js";
import type { ValidateOptions } from "./command.js";

/** Prints a one-line summary; invalid manifests throw a ValidationError, which main reports (exit 2). */
export async function runValidate(env: Env, opts: ValidateOptions): Promise<number> {
  const manifest = await loadManifests(opts.files, { cwd: env.cwd, stdin: env.io.stdin, signal: env.signal });
  const apps = manifest.apps;
  for (const line of warningLines(manifest.warnings, env.io.errColor)) writeLine(env.io.err, line);
  if (opts.json) {
    const summary = {
      ok: true,
      files: manifest.files,
      warnings: manifest.warnings,
      apps: apps.map((a) => ({
        name: a.name,
        file: a.source.file,
        line: a.source.line,
        col: a.source.col,
        instances: a.instances,
      })),
    };
    writeLine(env.io.out, JSON.stringify(summary));
    return 0;
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const names = apps.map((a) => a.name).join(", ");
  writeLine(
    env.io.out,
    `${env.io.color.green("ok")}: ${plural(apps.length, "app")} in ${plural(manifest.files.length, "file")} (${names})`,
  );
  return 0;
}
