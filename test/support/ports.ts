import { freePortBlock } from "../../src/local/host-ports.js";

/** 31000–32000 is the default range of `titan local up`: a test cluster never takes ports from it. */
const LOCAL_UP_DEFAULT = [{ begin: 31_000, end: 32_000 }];

/**
 * A block of `count` consecutive host ports that nothing listens on right now, picked at random so that test
 * clusters running side by side (and a developer's own `titan local`) rarely meet.
 */
export async function freePortRange(count: number): Promise<{ begin: number; end: number }> {
  const block = await freePortBlock(count, LOCAL_UP_DEFAULT);
  if (block === undefined)
    throw new Error(`no block of ${count} free host ports found below the ephemeral range`);
  return block;
}
