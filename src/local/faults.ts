import { isObject, type JsonObject } from "./json.js";
import type { AdminHandler } from "./master/http.js";
import type { LocalMaster } from "./master/master.js";

/**
 * The test-only fault injection endpoint (POST /__titan_local/faults). It is not part of Mesos: it lets tests
 * break the local cluster in the ways a real one breaks. Body: `{"type": "<FAULT>", ...}`.
 *
 *   STOP_AGENT {agent_id}         the agent's machine dies with its tasks
 *   RESTART_AGENT {agent_id}      a stopped agent comes back empty, as a new agent (answer: {agent_id})
 *   PARTITION_AGENT {agent_id}    the agent is cut off; its tasks keep running
 *   HEAL_AGENT {agent_id}         the partition ends; the agent re-registers with its tasks
 *   FAIL_OVER_MASTER {reregister_delay_ms}
 *                                 a new master is elected: scheduler streams drop, tasks survive; agents
 *                                 re-register after the delay (default 0), unknown to the master until then
 *   DROP_UPDATES {count}          the next `count` status update deliveries are lost (retries follow)
 *   DUPLICATE_UPDATES {count}     the next `count` deliveries are sent twice
 *   DELAY_UPDATES {ms, count}     the next `count` deliveries are held back `ms` milliseconds
 *   WITHHOLD_OFFERS {withhold}    stop (true) or resume (false) making offers
 *   HOLD_ACCEPTS {count}          the next `count` ACCEPT calls are neither applied nor answered; each is dropped
 *                                 when its caller goes away (a call lost in flight); count 0 holds no more and
 *                                 applies the calls still held (a slow master)
 *   LOSE_ACCEPTS {count}          the next `count` ACCEPT calls are answered 202 and then lost: no task, no update,
 *                                 their offers back with the allocator (a master that failed over after answering)
 *
 * GET answers the agents and the faults in force.
 */

/** What the fault endpoint and the test helper can do to a running cluster. */
export interface FaultActions {
  /** The agent's machine dies with its tasks; the master notices after its unreachable timeout. */
  stopAgent(agentId: string): Promise<void>;
  /** A stopped agent's machine comes back empty and registers as a new agent; returns the new agent id. */
  restartAgent(agentId: string): Promise<string>;
  partitionAgent(agentId: string): void;
  healAgent(agentId: string): void;
  failoverMaster(reregisterDelayMs?: number): void;
  dropUpdates(count: number): void;
  duplicateUpdates(count: number): void;
  delayUpdates(ms: number, count: number): void;
  withholdOffers(withhold: boolean): void;
  holdAccepts(count: number): void;
  loseAccepts(count: number): void;
}

function count(body: JsonObject): number {
  const n = Number(body.count ?? 1);
  if (!Number.isInteger(n) || n < 0) throw new Error("'count' must be a non-negative integer");
  return n;
}

function agentId(body: JsonObject): string {
  if (typeof body.agent_id !== "string" || body.agent_id === "") throw new Error("'agent_id' is required");
  return body.agent_id;
}

function snapshot(master: LocalMaster): JsonObject {
  return {
    agents: [...master.agents.values()].map((a) => ({
      agent_id: a.id,
      hostname: a.handle.hostname,
      state: a.state,
      partitioned: a.partitioned,
      stopped: a.dead,
    })),
    faults: {
      drop_updates: master.delivery.faults.drop,
      duplicate_updates: master.delivery.faults.duplicate,
      delay_updates: master.delivery.faults.delay,
      withhold_offers: master.withholdOffers,
      hold_accepts: master.heldAccepts.toHold,
      lose_accepts: master.lostAccepts,
      held_accepts: master.heldAccepts.waiting.size,
    },
  };
}

async function apply(actions: FaultActions, body: JsonObject): Promise<JsonObject> {
  switch (body.type) {
    case "STOP_AGENT":
      await actions.stopAgent(agentId(body));
      return {};
    case "RESTART_AGENT":
      return { agent_id: await actions.restartAgent(agentId(body)) };
    case "PARTITION_AGENT":
      actions.partitionAgent(agentId(body));
      return {};
    case "HEAL_AGENT":
      actions.healAgent(agentId(body));
      return {};
    case "FAIL_OVER_MASTER": {
      const delay = Number(body.reregister_delay_ms ?? 0);
      if (!Number.isFinite(delay) || delay < 0)
        throw new Error("'reregister_delay_ms' must be a non-negative number");
      actions.failoverMaster(delay);
      return {};
    }
    case "DROP_UPDATES":
      actions.dropUpdates(count(body));
      return {};
    case "DUPLICATE_UPDATES":
      actions.duplicateUpdates(count(body));
      return {};
    case "DELAY_UPDATES": {
      const ms = Number(body.ms);
      if (!Number.isFinite(ms) || ms < 0) throw new Error("'ms' must be a non-negative number");
      actions.delayUpdates(ms, count(body));
      return {};
    }
    case "WITHHOLD_OFFERS":
      actions.withholdOffers(body.withhold !== false);
      return {};
    case "HOLD_ACCEPTS":
      actions.holdAccepts(count(body));
      return {};
    case "LOSE_ACCEPTS":
      actions.loseAccepts(count(body));
      return {};
    default:
      throw new Error(`unknown fault type '${String(body.type)}'`);
  }
}

export function faultHandler(actions: FaultActions, master: LocalMaster): AdminHandler {
  return async (method, body) => {
    if (method === "GET") return { status: 200, body: snapshot(master) };
    if (method !== "POST") return { status: 405, body: { error: "use GET or POST" } };
    if (!isObject(body)) return { status: 400, body: { error: "expected a JSON object" } };
    try {
      return { status: 200, body: await apply(actions, body) };
    } catch (error) {
      return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
    }
  };
}
