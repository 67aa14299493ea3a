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
  return commandLine([...words, ...targetWords(deploy), ...more]);
}

/** The --region, --context and --master a command was given, to say the same command again. */
export function targetWords(target: Pick<DeployWords, "region" | "context" | "master">): string[] {
  const words: string[] = [];
  if (target.region !== undefined) words.push("--region", target.region);
  if (target.context !== undefined) words.push("--context", target.context);
  if (target.master !== undefined) words.push("--master", target.master);
  return words;
}
