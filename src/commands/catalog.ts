import type { Command } from "commander";
import type { CommandContext } from "./types.js";

type Register = (program: Command, ctx: CommandContext) => void;

/**
 * Every top-level command: how `titan --help` lists it, and how to load its full definition. Only the command
 * being run is loaded (its flags, help and subcommands); the others stay entries in this table, which keeps
 * start-up from loading every command module. A test keeps `term` and `summary` equal to what each module
 * declares.
 */
export interface CatalogEntry {
  name: string;
  /** As commander prints it in the root help: name, `[options]`, arguments. */
  term: string;
  summary: string;
  load(): Promise<Register>;
}

export const catalog: readonly CatalogEntry[] = [
  {
    name: "validate",
    term: "validate [options]",
    summary: "check manifests and report every problem at once (exit 2 when invalid)",
    load: async () => (await import("./validate/command.js")).registerValidate,
  },
  {
    name: "plan",
    term: "plan [options]",
    summary: "show what a deploy would change and where every instance would land, without changing anything",
    load: async () => (await import("./plan/command.js")).registerPlan,
  },
  {
    name: "deploy",
    term: "deploy [options]",
    summary: "deploy the manifests to the cluster: plan, confirm, then a health-gated rolling update",
    load: async () => (await import("./deploy/command.js")).registerDeploy,
  },
  {
    name: "scale",
    term: "scale [options] <app> <count>",
    summary: "change how many instances of an app run (a deploy of its running release with a new count)",
    load: async () => (await import("./scale/command.js")).registerScale,
  },
  {
    name: "restart",
    term: "restart [options] <app>",
    summary: "replace every instance of an app with a fresh one, rolling, with the deploy's health gates",
    load: async () => (await import("./restart/command.js")).registerRestart,
  },
  {
    name: "drain",
    term: "drain [options] [agent...]",
    summary:
      "move titan's instances off agents, with the deploy's health gates, then bring them down for maintenance",
    load: async () => (await import("./drain/command.js")).registerDrain,
  },
  {
    name: "rollback",
    term: "rollback [options] <app>",
    summary: "deploy an earlier release again (default: the one before the running release)",
    load: async () => (await import("./rollback/command.js")).registerRollback,
  },
  {
    name: "releases",
    term: "releases [options] <app>",
    summary: "list an app's releases: number, outcome, image, manifest digest, who and when",
    load: async () => (await import("./releases/command.js")).registerReleases,
  },
  {
    name: "stop",
    term: "stop [options] <apps...>",
    summary:
      "stop every instance of one or more apps; --purge also removes their Mesos frameworks and titan's records",
    load: async () => (await import("./stop/command.js")).registerStop,
  },
  {
    name: "ps",
    term: "ps [options] [apps...]",
    summary: "show the instances of titan apps: state, health, host and ports, zone, age",
    load: async () => (await import("./ps/command.js")).registerPs,
  },
  {
    name: "top",
    term: "top [options] [apps...]",
    summary: "show the cpu and memory the running instances of titan apps use, beside what they were given",
    load: async () => (await import("./top/command.js")).registerTop,
  },
  {
    name: "status",
    term: "status [options] [apps...]",
    summary: "say in one line per app whether it is OK: counts, running release, last deploy",
    load: async () => (await import("./status/command.js")).registerStatus,
  },
  {
    name: "logs",
    term: "logs [options] <app[/instance]>",
    summary: "print (and follow) the output of an app's instances from their Mesos sandboxes",
    load: async () => (await import("./logs/command.js")).registerLogs,
  },
  {
    name: "supervise",
    term: "supervise [options] [apps...]",
    summary: "keep apps at their desired state: relaunch, reconcile, hold their frameworks (foreground)",
    load: async () => (await import("./supervise/command.js")).registerSupervise,
  },
  {
    name: "init",
    term: "init [options]",
    summary: "write a commented titan.yaml for a new app (asks on a terminal; flags for scripts)",
    load: async () => (await import("./init/command.js")).registerInit,
  },
  {
    name: "schema",
    term: "schema",
    summary: "print the JSON Schema of titan.yaml, for editors that complete and check YAML",
    load: async () => (await import("./schema/command.js")).registerSchema,
  },
  {
    name: "local",
    term: "local",
    summary: "run a Mesos-compatible cluster on this machine (master and agents on 127.0.0.1)",
    load: async () => (await import("./local/command.js")).registerLocal,
  },
  {
    name: "state",
    term: "state",
    summary: "export and import titan's records (releases, framework ids, deploy progress) between stores",
    load: async () => (await import("./state/command.js")).registerState,
  },
  {
    name: "context",
    term: "context",
    summary: "list, show and switch the clusters and regions titan targets",
    load: async () => (await import("./context/command.js")).registerContext,
  },
  {
    name: "config",
    term: "config",
    summary: "edit the user config: clusters, regions and contexts",
    load: async () => (await import("./config/command.js")).registerConfig,
  },
  {
    name: "completion",
    term: "completion <shell>",
    summary: "print the shell completion script for bash, zsh or fish",
    load: async () => (await import("./completion/command.js")).registerCompletion,
  },
  {
    name: "version",
    term: "version [options]",
    summary: "print titan's version and the Node.js it runs on",
    load: async () => (await import("./version/command.js")).registerVersion,
  },
];
