/** What `titan init` needs to know, how each answer is checked, and how the answers are gathered. */
import { basename } from "node:path";
import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { APP_NAME } from "../../manifest/app-name.js";
import { PORT_NAME } from "../../manifest/fields.js";
import { parseImageReference } from "../../manifest/image-ref.js";
import { type ImageSupport, imageSupport } from "./capability.js";
import type { InitOptions } from "./command.js";

export interface InitAnswers {
  name: string;
  image?: string;
  command?: string;
  /** Absent for an app without a port. */
  port?: string;
  instances: number;
  /** Absent for no health check (always absent without a port). */
  healthPath?: string;
  /** --yes without an image or a command: a small command that deploys as it is, and why. */
  starter?: { reason: string };
}

/** Each check returns true or the reason the value is refused (the shape @inquirer/prompts validates with). */
export const check = {
  name: (v: string): true | string =>
    APP_NAME.test(v) ||
    "use lowercase letters, digits and '-', starting with a letter, at most 63 characters",
  image: (v: string): true | string => {
    const parsed = parseImageReference(v);
    return parsed.ok || `${parsed.message} (${parsed.hint})`;
  },
  command: (v: string): true | string => v.trim() !== "" || "give the command to run",
  port: (v: string): true | string =>
    v === "none" || PORT_NAME.test(v) || "use lowercase letters, digits and '-' (at most 15), or \"none\"",
  instances: (v: string): true | string => /^\d{1,6}$/.test(v) || "a whole number, e.g. 2",
  healthPath: (v: string): true | string =>
    v === "none" || v.startsWith("/") || 'start the path with /, or "none"',
};

const NON_INTERACTIVE_HINT =
  "pass --name NAME and --image IMAGE (or --command CMD); optionally --port, --instances, --health-path; or --yes to take the defaults";

/** A usable default name from the directory: `My_Service` → `my-service`. */
export function defaultName(cwd: string): string {
  const cleaned = basename(cwd)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return APP_NAME.test(cleaned) ? cleaned : "app";
}

function flag(
  label: string,
  value: string | undefined,
  rule: (v: string) => true | string,
): string | undefined {
  if (value === undefined) return undefined;
  const verdict = rule(value);
  if (verdict !== true) throw new UsageError(`${label} ${JSON.stringify(value)} is not valid`, verdict);
  return value;
}

export async function gatherAnswers(env: Env, opts: InitOptions): Promise<InitAnswers> {
  const given = {
    name: flag("--name", opts.name, check.name),
    image: flag("--image", opts.image, check.image),
    command: flag("--command", opts.command, check.command),
    port: flag("--port", opts.port, check.port),
    instances: flag("--instances", opts.instances, check.instances),
    healthPath: flag("--health-path", opts.healthPath, check.healthPath),
  };
  const interactive = env.io.canPrompt && !opts.yes;
  if (
    !interactive &&
    !opts.yes &&
    (given.name === undefined || (given.image === undefined && given.command === undefined))
  ) {
    const why = env.io.canPrompt ? "" : " (no terminal, or CI is set)";
    throw new UsageError(`titan init cannot ask for the missing answers here${why}`, NON_INTERACTIVE_HINT);
  }

  const fallbackName = defaultName(env.cwd);
  if (!interactive) {
    const answers = settle({
      name: given.name ?? fallbackName,
      image: given.image,
      command: given.command,
      port: given.port ?? "http",
      instances: given.instances ?? "1",
      healthPath: given.healthPath ?? "/",
    });
    if (given.image !== undefined || given.command !== undefined) return answers;
    return { ...answers, starter: { reason: starterReason(await imageSupport(env)) } };
  }

  const prompter = env.prompter();
  const ask = (message: string, fallback: string, validate: (v: string) => true | string) =>
    prompter.input(message, { default: fallback, validate });
  const name = given.name ?? (await ask("App name", fallbackName, check.name));
  let image = given.image;
  let command = given.command;
  let starter: InitAnswers["starter"];
  if (image === undefined && command === undefined) {
    const support = await imageSupport(env);
    const note = support.images ? "" : `; ${support.reason ?? "this context runs no images"}`;
    const imageAnswer = await ask(`Docker image (leave empty to run a command instead${note})`, "", (v) =>
      v === "" ? true : check.image(v),
    );
    if (imageAnswer !== "") image = imageAnswer;
    else {
      // Enter at every question gives what --yes gives: a starter that deploys as it is.
      const commandAnswer = await ask(
        "Command to run (leave empty for a starter that deploys as it is)",
        "",
        (v) => (v.trim() === "" ? true : check.command(v)),
      );
      if (commandAnswer.trim() !== "") command = commandAnswer;
      else starter = { reason: starterReason(support) };
    }
  }
  const port =
    given.port ?? (await ask('Port name the app listens on ("none" for no port)', "http", check.port));
  const instances = given.instances ?? (await ask("Instances", "1", check.instances));
  const healthPath =
    port === "none"
      ? "none"
      : (given.healthPath ?? (await ask('HTTP health check path ("none" for none)', "/", check.healthPath)));
  const answers = settle({ name, image, command, port, instances, healthPath });
  return starter === undefined ? answers : { ...answers, starter };
}

/**
 * Without an image or a command, --yes writes a starter command: an image named after the app would exist
 * nowhere yet, and the manifest must deploy as it is.
 */
function starterReason(support: ImageSupport): string {
  if (!support.images) return support.reason ?? "this context runs no images";
  const agents = support.builtin
    ? ""
    : ` (the agents of context "${support.context}" need node on their PATH)`;
  return `no image was given${agents}`;
}

function settle(raw: {
  name: string;
  image: string | undefined;
  command: string | undefined;
  port: string;
  instances: string;
  healthPath: string;
}): InitAnswers {
  const port = raw.port === "none" ? undefined : raw.port;
  return {
    name: raw.name,
    ...(raw.image === undefined ? {} : { image: raw.image }),
    ...(raw.command === undefined ? {} : { command: raw.command }),
    ...(port === undefined ? {} : { port }),
    instances: Number(raw.instances),
    ...(port === undefined || raw.healthPath === "none" ? {} : { healthPath: raw.healthPath }),
  };
}
