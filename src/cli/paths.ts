import { homedir } from "node:os";
import { join } from "node:path";

/** The platform directories titan uses. XDG on Linux; the usual places on macOS and Windows. */
export interface PlatformPaths {
  /** Holds config.yaml (user config: clusters, regions, contexts). */
  configDir: string;
  /** Runtime state: the local cluster's pid, log and sandboxes. */
  stateDir: string;
  /** Durable data: the file:// state store (releases, framework ids, locks). */
  dataDir: string;
}

type EnvLike = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

export function platformPaths(
  env: EnvLike,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): PlatformPaths {
  const app = "titan";
  let base: PlatformPaths;
  if (platform === "darwin") {
    base = {
      configDir: join(home, "Library", "Preferences", app),
      stateDir: join(home, "Library", "Application Support", app, "state"),
      dataDir: join(home, "Library", "Application Support", app),
    };
  } else if (platform === "win32") {
    const appData = nonEmpty(env.APPDATA) ?? join(home, "AppData", "Roaming");
    const localAppData = nonEmpty(env.LOCALAPPDATA) ?? join(home, "AppData", "Local");
    base = {
      configDir: join(appData, app, "Config"),
      stateDir: join(localAppData, app, "State"),
      dataDir: join(localAppData, app, "Data"),
    };
  } else {
    base = {
      configDir: join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, ".config"), app),
      stateDir: join(nonEmpty(env.XDG_STATE_HOME) ?? join(home, ".local", "state"), app),
      dataDir: join(nonEmpty(env.XDG_DATA_HOME) ?? join(home, ".local", "share"), app),
    };
  }
  return {
    configDir: base.configDir,
    stateDir: nonEmpty(env.TITAN_STATE_DIR) ?? base.stateDir,
    dataDir: nonEmpty(env.TITAN_DATA_DIR) ?? base.dataDir,
  };
}

/** The user config file: TITAN_CONFIG, else config.yaml in the config directory. */
export function configFilePath(env: EnvLike, paths: PlatformPaths): string {
  return nonEmpty(env.TITAN_CONFIG) ?? join(paths.configDir, "config.yaml");
}
