/**
 * GET_STATE can list a task twice while the master moves it from one list to another; the first listing of each
 * task of each framework is the one kept.
 */
export class FirstListing {
  /** Task id -> the framework ids it was seen under, joined by newlines (nearly always just one). */
  private readonly seen = new Map<string, string>();

  /**
   * `relisted`: when the whole answer is at hand, the ids its later lists (unreachable, completed) hold. A task of
   * the first list (`tasks`) whose id is not among them cannot be listed again: the master keeps a framework's
   * active tasks by task id (src/master/master.hpp, `Framework::tasks`), so that list has each task once, and
   * need not be remembered. Most of a cluster's tasks are in that list.
   */
  constructor(private readonly relisted?: ReadonlySet<string>) {}

  /** True the first time the task `taskId` of `frameworkId` is seen; `inFirstList` for an item of `tasks`. */
  first(taskId: string, frameworkId: string, inFirstList = false): boolean {
    if (inFirstList && this.relisted !== undefined && !this.relisted.has(taskId)) return true;
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
