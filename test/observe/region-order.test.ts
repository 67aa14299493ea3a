import { describe, expect, it } from "vitest";
import { type Answered, showInRegionOrder } from "../../src/observe/region-order.js";

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const HOURS = 3_600_000;
const values = (batch: ReadonlyArray<Answered<string>>) => batch.map((a) => a.value);

describe("showInRegionOrder", () => {
  it("shows every region at once, in region order, when all answer within the hold", async () => {
    const reads = [deferred<string>(), deferred<string>(), deferred<string>()];
    const shown: string[][] = [];
    const done = showInRegionOrder(
      reads.map((r) => r.promise),
      { holdMs: HOURS, show: (batch) => shown.push(values(batch)) },
    );
    reads[2]?.resolve("c");
    reads[0]?.resolve("a");
    await Promise.resolve();
    expect(shown).toEqual([]);
    reads[1]?.resolve("b");
    expect(await done).toEqual(["a", "b", "c"]);
    expect(shown).toEqual([["a", "b", "c"]]);
  });

  it("once the hold passes, shows the regions in, and a region that hangs only when it answers", async () => {
    const hanging = deferred<string>();
    const shown: string[][] = [];
    let firstShown!: () => void;
    const first = new Promise<void>((resolve) => {
      firstShown = resolve;
    });
    const done = showInRegionOrder([hanging.promise, Promise.resolve("b"), Promise.resolve("c")], {
      holdMs: 0,
      show: (batch, known) => {
        shown.push(values(batch));
        if (shown.length === 1) {
          expect(values(known)).toEqual(["b", "c"]);
          firstShown();
        }
      },
    });
    await first;
    expect(shown).toEqual([["b", "c"]]);
    hanging.resolve("a (deadline passed)");
    expect(await done).toEqual(["a (deadline passed)", "b", "c"]);
    expect(shown).toEqual([["b", "c"], ["a (deadline passed)"]]);
  });

  it("holds the first batch past the hold while what is in is not enough", async () => {
    const slow = deferred<string>();
    const shown: string[][] = [];
    const done = showInRegionOrder([slow.promise, Promise.resolve("b")], {
      holdMs: 0,
      enough: (known) => known.some((k) => k.value === "a"),
      show: (batch) => shown.push(values(batch)),
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(shown).toEqual([]);
    slow.resolve("a");
    expect(await done).toEqual(["a", "b"]);
    expect(shown).toEqual([["a", "b"]]);
  });

  it("fails as soon as a read fails, or the showing does", async () => {
    const never = new Promise<string>(() => {});
    await expect(
      showInRegionOrder([never, Promise.reject(new Error("broken"))], { holdMs: HOURS, show: () => {} }),
    ).rejects.toThrow("broken");
    await expect(
      showInRegionOrder([Promise.resolve("a")], {
        holdMs: HOURS,
        show: () => {
          throw new Error("unknown app");
        },
      }),
    ).rejects.toThrow("unknown app");
  });
});
