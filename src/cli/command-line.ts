/** Characters a POSIX shell takes literally in a word; anything else is quoted. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A command the user can paste into a shell: each word as it is when plain, else in single quotes. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellWord).join(" ");
}

function shellWord(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** What names a deploy's manifests, apps and target, as `plan` and `deploy` take them. */
export interface DeployWords {
  files: readonly string[];
  only: readonly string[];
  region?: string | undefined;
  context?: string | undefined;
  master?: string | undefined;
}

/** `titan deploy` of the same manifests, apps, region and target, then `more` (e.g. `--plan FILE`). */
export function deployCommandLine(deploy: DeployWords, more: readonly string[] = []): string {
  const words = ["titan", "deploy"];
  for (const file of deploy.files) words.push("-f", file);
  for (const app of deploy.only) words.push("--app", app);
  if (deploy.region !== undefined) words.push("--region", deploy.region);
  if (deploy.context !== undefined) words.push("--context", deploy.context);
  if (deploy.master !== undefined) words.push("--master", deploy.master);
  return commandLine([...words, ...more]);
}
