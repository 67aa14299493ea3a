/**
 * How long `ps` and `status` wait for every region's answer so as to show them in region order. A region that has
 * not answered by then (a master that accepts the connection and never answers is given up on only after 75 s) is
 * passed over: the others are shown, and it is shown when it answers or its deadline passes.
 */
export const REGION_HOLD_MS = 2000;

/** A region's answer and its place in the region order. */
export interface Answered<T> {
  index: number;
  value: T;
}

export interface RegionOrderOptions<T> {
  /** How long the answers are held back to be shown together, in region order. */
  holdMs: number;
  /**
   * Shows answers: first those in once every region answered or the hold passed, in region order (with every
   * answer in so far, so that what one region's answer says of another can be worked out); then each later one.
   */
  show: (batch: ReadonlyArray<Answered<T>>, known: ReadonlyArray<Answered<T>>) => void;
  /**
   * Whether the answers in are enough to show once the hold has passed (by default they are); while not, the
   * first batch waits for more, at most for every region.
   */
  enough?: (known: ReadonlyArray<Answered<T>>) => boolean;
}

/**
 * Waits for every region's read (each started already, all at once), showing the answers as they may be shown,
 * and resolves with them in region order. A read that fails fails the whole, at once: the reads turn the failures a
 * region's section shows into answers, so only what must end the command is a failure.
 */
export function showInRegionOrder<T>(
  reads: ReadonlyArray<Promise<T>>,
  options: RegionOrderOptions<T>,
): Promise<T[]> {
  const enough = options.enough ?? (() => true);
  return new Promise<T[]>((resolve, reject) => {
    const known: Array<Answered<T>> = [];
    let waiting: Array<Answered<T>> = [];
    let held = true;
    let firstShown = false;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      reject(error);
    };
    const flush = (): void => {
      if (failed) return;
      const all = known.length === reads.length;
      if (!firstShown && !all && (held || !enough(known))) return;
      if (waiting.length > 0 || !firstShown) {
        const batch = [...waiting].sort((a, b) => a.index - b.index);
        waiting = [];
        firstShown = true;
        try {
          options.show(
            batch,
            [...known].sort((a, b) => a.index - b.index),
          );
        } catch (error) {
          fail(error);
          return;
        }
      }
      if (all) {
        clearTimeout(timer);
        resolve([...known].sort((a, b) => a.index - b.index).map((a) => a.value));
      }
    };
    const timer = setTimeout(() => {
      held = false;
      flush();
    }, options.holdMs);
    if (reads.length === 0) flush();
    reads.forEach((read, index) => {
      read.then((value) => {
        known.push({ index, value });
        waiting.push({ index, value });
        flush();
      }, fail);
    });
  });
}
