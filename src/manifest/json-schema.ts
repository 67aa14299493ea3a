/** The JSON Schema (draft 2020-12) of titan.yaml, generated from the same field table as the validator. */
import { appType } from "./fields.js";
import type { JsonSchema } from "./kit.js";

export function manifestJsonSchema(): JsonSchema {
  const app = appType(() => {}).schema();
  const properties = app.properties;
  const defaultsProperties: JsonSchema =
    properties !== null && typeof properties === "object" && !Array.isArray(properties)
      ? Object.fromEntries(Object.entries(properties).filter(([key]) => key !== "name"))
      : {};
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "titan.yaml",
    description:
      "A titan manifest: one app (its fields at the top level) or several (`apps:`, with optional shared `defaults:`).",
    oneOf: [{ $ref: "#/$defs/app" }, { $ref: "#/$defs/appsFile" }],
    $defs: {
      app: { ...app, description: "One app." },
      defaults: {
        type: "object",
        additionalProperties: false,
        properties: defaultsProperties,
        description:
          "Fields shared by every app in the file; an app's own value wins (env, labels, resources, update and restart merge key by key).",
      },
      appsFile: {
        type: "object",
        additionalProperties: false,
        required: ["apps"],
        properties: {
          apps: {
            type: "array",
            minItems: 1,
            items: { $ref: "#/$defs/app" },
            description: "The apps in this file.",
          },
          defaults: { $ref: "#/$defs/defaults" },
        },
      },
    },
  };
}
