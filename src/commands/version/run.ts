import { readFileSync } from "node:fs";
import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import type { VersionOptions } from "./command.js";

export function titanVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export async function runVersion(env: Env, opts: VersionOptions): Promise<number> {
  const info = {
    titan: titanVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
  };
  if (opts.json) writeLine(env.io.out, JSON.stringify(info));
  else writeLine(env.io.out, `titan ${info.titan} (node ${info.node}, ${info.platform})`);
  return 0;
}
