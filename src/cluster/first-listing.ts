/**
 * GET_STATE can list a task twice while the master moves it from one list to another; the first listing of each
 * task of each framework is the one kept.
 */
export class FirstListing {
  /** Task id -> the framework ids it was seen under, joined by newlines (nearly always just one). */
  private readonly seen = new Map<string, string>();

  /** True the first time the task `taskId` of `frameworkId` is seen. */
  first(taskId: string, frameworkId: string): boolean {
    const known = this.seen.get(taskId);
    if (known === undefined) {
      this.seen.set(taskId, frameworkId);
      return true;
    }
    if (known === frameworkId || known.split("\n").includes(frameworkId)) return false;
    this.seen.set(taskId, `${known}\n${frameworkId}`);
    return true;
  }
}
