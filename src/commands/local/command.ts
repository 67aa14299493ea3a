import type { Command } from "commander";
import { addFlags, defaultedFlag, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { type CommandContext, flagAction } from "../types.js";

/** The agents' resources unless --agent-resources says otherwise (the ports range moves when it is in use). */
export const DEFAULT_AGENT_RESOURCES = "cpus:4;mem:8192;disk:20000;ports:[31000-32000]";

export const localUpFlagTable = {
  agents: defaultedFlag("--agents <n>", "number of agents", "3"),
  agentResources: defaultedFlag(
    "--agent-resources <spec>",
    "resources of each agent, in Mesos' --resources text or JSON form (JSON declares MOUNT and PATH disks)",
    DEFAULT_AGENT_RESOURCES,
  ),
  zones: defaultedFlag("--zones <list>", "zones to spread agents over (comma-separated)", "a,b,c"),
  faultDomain: valueFlag(
    "--fault-domain <region>",
    "give the master and agents fault domains in this region, as Mesos' --domain does: zones become the agents' fault-domain zones instead of a zone attribute",
  ),
  port: defaultedFlag("--port <port>", "the master's port (0 picks a free one)", "5050"),
  offerTimeout: valueFlag(
    "--offer-timeout <duration>",
    "rescind offers a framework holds longer than this, as a master's --offer_timeout does (default: never, as Mesos)",
  ),
  executorRegistrationTimeout: valueFlag(
    "--executor-registration-timeout <duration>",
    "fail a task whose image pull or fetch takes longer than this, as an agent's --executor_registration_timeout (default 1m, as Mesos)",
  ),
  foreground: switchFlag("--foreground", "run in this terminal until interrupted"),
  zk: valueFlag(
    "--zk <url>",
    "also publish the master in ZooKeeper, as a real master does (zk://host:2181/mesos)",
  ),
  auth: valueFlag(
    "--auth <principal:secretfile>",
    "HTTP Basic credentials every API requires (default: principal titan, a generated secret)",
  ),
} as const;

export type LocalUpOptions = OptionsOf<typeof localUpFlagTable>;

export const localStatusFlagTable = { json: switchFlag("--json", "print as JSON") } as const;

export type LocalStatusOptions = OptionsOf<typeof localStatusFlagTable>;

export const localAgentsFlagTable = { json: switchFlag("--json", "print as JSON") } as const;

export type LocalAgentsOptions = OptionsOf<typeof localAgentsFlagTable>;

export const localAgentsAddFlagTable = {
  shape: valueFlag(
    "--shape <shape>",
    "the new agents' resources, as `titan plan --shape` reads them (default: the first agent's)",
  ),
  zone: valueFlag(
    "--zone <zone>",
    "the new agents' zone: an attribute, or their fault domain's on a cluster started with --fault-domain (default: the zone with the fewest agents)",
  ),
  faultDomain: valueFlag(
    "--fault-domain <region>",
    "the new agents' fault-domain region on a cluster started with --fault-domain (default: the master's; another region makes them remote agents)",
  ),
  json: switchFlag("--json", "print as JSON"),
} as const;

export type LocalAgentsAddOptions = OptionsOf<typeof localAgentsAddFlagTable>;

const AGENTS_EXIT_CODES = `
Exit codes: 0 done, 2 usage error, an unknown agent or a shape, zone or count that cannot be used, 1 the cluster
is not running or refused (or another error).`;

const AGENTS_HELP = `
Examples:
  titan local agents                                   list the agents (ID, hostname, zone, resources, state)
  titan local agents add 2 --shape 16cpu,64Gi --zone b  two more agents, while the cluster runs
  titan local agents remove agent-4.local              shut an agent down for good (its tasks are lost)

Added agents get their own free block of host ports. A removed agent unregisters as a real agent shutting down
does: the master reports its tasks TASK_LOST (REASON_AGENT_REMOVED), then the agent kills them and exits.
${AGENTS_EXIT_CODES}`;

const UP_HELP = `
Examples:
  titan local up                                   3 agents, master on 127.0.0.1:5050
  titan local up --agents 5 --zones a,b
  titan local up \\
      --agent-resources "cpus:8;mem:16384;disk:50000;ports:[31000-32000]"
  titan local up --foreground                      run in this terminal until Ctrl-C
  titan local up --zk zk://127.0.0.1:2181/mesos    also publish the master in ZooKeeper
  titan local up --offer-timeout 30s               take back offers a framework sits on for 30 s
  titan local up --executor-registration-timeout 5m  give slow image pulls 5 minutes
  titan local up --auth ops:./ops.secret           require these credentials instead of a generated secret

Every command on the built-in \`local\` context uses the cluster this starts, on whatever port it listens.

Exit codes: 0 started (with --foreground: stopped with Ctrl-C), 2 usage error, 1 already running, the port is in
use, or the cluster did not start (or another error).`;

/** `titan local up|status|down`: the embedded Mesos-compatible cluster on this machine. */
export function registerLocal(program: Command, ctx: CommandContext): void {
  const local = program
    .command("local")
    .description("run a Mesos-compatible cluster on this machine (master and agents on 127.0.0.1)")
    .addHelpText(
      "after",
      "\nExamples:\n  titan local up\n  titan local status\n  titan local agents add 1 --shape 8cpu,16Gi\n  titan local down\n\nThe built-in `local` context points at it; `titan deploy` (without --dry-run) starts it when it is not running, and every other command says it is not running.",
    );

  const up = local.command("up").description("start the local cluster in the background and print its URL");
  addFlags(up, localUpFlagTable)
    .addHelpText("after", UP_HELP)
    .action(
      flagAction(ctx, localUpFlagTable, async (env, opts) => {
        const { runLocalUp } = await import("./up.js");
        return runLocalUp(env, opts);
      }),
    );

  const status = local
    .command("status")
    .description("show the local cluster's agents, their resources and tasks");
  addFlags(status, localStatusFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan local status\n  titan local status --json\n\nExit codes: 0 shown, 2 usage error, 1 the cluster is not running or does not answer (or another error).",
    )
    .action(
      flagAction(ctx, localStatusFlagTable, async (env, opts) => {
        const { runLocalStatus } = await import("./status.js");
        return runLocalStatus(env, opts);
      }),
    );

  registerAgents(local, ctx);

  local
    .command("down")
    .description("stop every task and the local cluster")
    .addHelpText(
      "after",
      "\nExamples:\n  titan local down\n\nExit codes: 0 stopped (or not running), 2 usage error, 1 it did not stop in time and was killed (or another\nerror).",
    )
    .action(
      flagAction(ctx, {}, async (env) => {
        const { runLocalDown } = await import("./down.js");
        return runLocalDown(env);
      }),
    );
}

function registerAgents(local: Command, ctx: CommandContext): void {
  const agents = local
    .command("agents")
    .description("list the local cluster's agents; add or remove agents while it runs");
  addFlags(agents, localAgentsFlagTable)
    .addHelpText("after", AGENTS_HELP)
    .action(
      flagAction(ctx, localAgentsFlagTable, async (env, opts) => {
        const { runLocalAgents } = await import("./agents.js");
        return runLocalAgents(env, opts);
      }),
    );
  const add = agents.command("add").argument("<count>", "how many agents").description("start more agents");
  addFlags(add, localAgentsAddFlagTable)
    .addHelpText(
      "after",
      `\nExamples:\n  titan local agents add 2 --shape 16cpu,64Gi --zone b\n${AGENTS_EXIT_CODES}`,
    )
    .action(
      flagAction(ctx, localAgentsAddFlagTable, async (env, opts, count: string) => {
        const { runLocalAgentsAdd } = await import("./agents.js");
        return runLocalAgentsAdd(env, opts, count);
      }),
    );
  const remove = agents
    .command("remove")
    .argument("<agent...>", "agent ids or hostnames")
    .description("shut agents down for good; their tasks are lost");
  addFlags(remove, localAgentsFlagTable)
    .addHelpText(
      "after",
      `\nExamples:\n  titan local agents remove agent-4.local agent-5.local\n${AGENTS_EXIT_CODES}`,
    )
    .action(
      flagAction(ctx, localAgentsFlagTable, async (env, opts, ids: string[]) => {
        const { runLocalAgentsRemove } = await import("./agents.js");
        return runLocalAgentsRemove(env, opts, ids);
      }),
    );
}
