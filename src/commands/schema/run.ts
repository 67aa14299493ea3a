import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { manifestJsonSchema } from "../../manifest/index.js";

export async function runSchema(env: Env): Promise<number> {
  writeLine(env.io.out, JSON.stringify(manifestJsonSchema(), null, 2));
  return 0;
}
