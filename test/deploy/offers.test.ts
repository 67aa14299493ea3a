import { describe, expect, it } from "vitest";
import { offerToAgent } from "../../src/deploy/offers.js";
import { agentOffer } from "../support/offers.js";

const inZone = (zone: string) => ({
  fault_domain: { region: { name: "us-east-1" }, zone: { name: zone } },
});

describe("an offer as the placement engine sees its agent", () => {
  it("takes the region and zone of the agent's fault domain, as the plan read them from the state", () => {
    const agent = offerToAgent({ ...agentOffer, domain: inZone("us-east-1b") });
    expect(agent.attributes).toEqual({ region: "us-east-1", zone: "us-east-1b" });
  });

  it("lets an attribute of the same name win over the fault domain", () => {
    const agent = offerToAgent({
      ...agentOffer,
      domain: inZone("us-east-1b"),
      attributes: [{ name: "zone", type: "TEXT", text: { value: "rack-zone-7" } }],
    });
    expect(agent.attributes).toEqual({ zone: "rack-zone-7", region: "us-east-1" });
  });

  it("has neither without a domain", () => {
    expect(offerToAgent(agentOffer).attributes).toEqual({});
  });
});
