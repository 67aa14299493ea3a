import { commandLine } from "../../cli/command-line.js";
import type { Env } from "../../cli/env.js";
import { loadUserConfig, type TargetFlags } from "../../config/index.js";
import { allContexts, currentContextName } from "../../config/resolve.js";
import type { AppSpec } from "../../manifest/types.js";
import { instancesIn } from "../../plan/regions.js";
import { newestDeployed } from "../../state/deployed.js";

/**
 * The context's regions the apps' manifests no longer name where an app's running release still runs instances,
 * each as a note with the command that stops it. A plan or deploy over the regions the manifests name leaves such
 * a region alone, as it leaves every region it does not span: a region dropped from `regions:` is not a stop, which
 * `titan stop APP --region R` makes on purpose. Read from each region's state store only; one that cannot be read
 * is said so, not taken for "nothing runs there".
 */
export async function leftBehindNotes(
  env: Env,
  flags: TargetFlags,
  apps: readonly AppSpec[],
  spanned: readonly string[],
): Promise<string[]> {
  const { config } = await loadUserConfig(env);
  const { name } = currentContextName(config, flags, env.vars);
  const others = (allContexts(config)[name]?.regions ?? []).filter((r) => !spanned.includes(r));
  const named = apps.filter((app) => app.regions !== undefined);
  if (others.length === 0 || named.length === 0) return [];
  const notes = await Promise.all(
    others.map(async (region) => {
      const dropped = named.filter((app) => app.regions?.[region] === undefined);
      if (dropped.length === 0) return [];
      let target: Awaited<ReturnType<Env["target"]>> | undefined;
      try {
        target = await env.target({ ...flags, region });
        const store = await target.store();
        const lines: string[] = [];
        for (const app of dropped) {
          const running = newestDeployed(await store.releases(app.name));
          const instances = running === undefined ? 0 : instancesIn(running.spec, region);
          if (instances === 0) continue;
          const stop = commandLine(["titan", "stop", app.name, "--region", region]);
          const them = instances === 1 ? "it" : "them";
          lines.push(
            `${app.name} runs ${instances} instance${instances === 1 ? "" : "s"} in ${region}, which its manifest no longer names: a deploy leaves ${them} running there; \`${stop}\` stops ${them}`,
          );
        }
        return lines;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        return [
          `could not read ${region}'s state store to see whether ${dropped.map((a) => a.name).join(", ")} still run${dropped.length === 1 ? "s" : ""} there: ${why}`,
        ];
      } finally {
        await target?.close();
      }
    }),
  );
  return notes.flat();
}
