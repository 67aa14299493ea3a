import type { Offer } from "../../src/mesos/types/mesos.js";

/** One offer from agent-1.local: 4 cpus, 4096 MB and host ports 31000–31010, for building TaskInfos in tests. */
export const agentOffer: Offer = {
  id: { value: "o1" },
  framework_id: { value: "f1" },
  agent_id: { value: "a1" },
  hostname: "agent-1.local",
  resources: [
    { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
    { name: "mem", type: "SCALAR", scalar: { value: 4096 } },
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31010 }] } },
  ],
};
