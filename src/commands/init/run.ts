import { stat, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { checkOutputDir, outputFileError } from "../../cli/output-file.js";
import { DEFAULT_MANIFEST, parseManifests } from "../../manifest/index.js";
import { gatherAnswers } from "./answers.js";
import type { InitOptions } from "./command.js";
import { renderManifest } from "./template.js";

export async function runInit(env: Env, opts: InitOptions): Promise<number> {
  const file = opts.file ?? DEFAULT_MANIFEST;
  const target = resolve(env.cwd, file);
  await checkOutputDir(file, target);
  if (!opts.force && (await exists(target))) {
    throw new UsageError(
      `${file} already exists`,
      "pass --force to overwrite it, or -f to write another file",
    );
  }
  const answers = await gatherAnswers(env, opts);
  const text = renderManifest(answers);
  // What init writes must validate; a failure here is a bug in the template, reported as such.
  parseManifests([{ file, text }]);
  try {
    await writeFile(target, text, { flag: opts.force ? "w" : "wx" });
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "EEXIST") {
      throw new UsageError(
        `${file} already exists`,
        "pass --force to overwrite it, or -f to write another file",
      );
    }
    throw outputFileError(file, error);
  }
  writeLine(env.io.err, `wrote ${file} for app ${answers.name}`);
  writeLine(env.io.err, `next: titan validate${file === DEFAULT_MANIFEST ? "" : ` -f ${file}`}`);
  return 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
