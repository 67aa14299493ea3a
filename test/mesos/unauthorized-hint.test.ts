import { describe, expect, it } from "vitest";
import { errorForStatus } from "../../src/mesos/responses.js";

describe("a 401 without credentials", () => {
  it("says how to give the cluster credentials", () => {
    const head = { status: 401, url: new URL("http://10.0.0.5:5050/api/v1"), headers: {}, contentType: "" };
    const error = errorForStatus(head, undefined, { what: "GET_STATE", credentialsSent: false });
    expect(error.hint).toContain("titan config set-cluster NAME --master URL --principal P --secret env:VAR");
  });
});
