import { afterEach, describe, expect, it, vi } from "vitest";
import { sleep } from "../../src/observe/sleep.js";

describe("sleep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // A node timer past 2^31 - 1 ms fires after 1 ms: a long wait is made of shorter ones.
  it("waits out a sleep longer than one node timer can, not 1 ms", async () => {
    vi.useFakeTimers();
    const ms = 2 ** 31 + 60_000;
    const woke = vi.fn();
    void sleep(ms, new AbortController().signal).then(woke);
    await vi.advanceTimersByTimeAsync(1000);
    expect(woke).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(ms - 1001);
    expect(woke).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(woke).toHaveBeenCalledWith(true);
  });

  it("ends a long sleep when its signal aborts, with false", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const slept = sleep(2 ** 32, controller.signal);
    await vi.advanceTimersByTimeAsync(2 ** 31 + 5);
    controller.abort();
    await expect(slept).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
