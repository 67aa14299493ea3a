import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "../../src/config/types.js";
import { fetchToken, TokenCache } from "../../src/registry/auth.js";
import { RegistryClient } from "../../src/registry/client.js";
import { Credentials } from "../../src/registry/credentials.js";
import { ImageResolveError } from "../../src/registry/errors.js";
import { DEFAULT_RETRY, RegistryHttp, type RetryPolicy } from "../../src/registry/http.js";
import { imageResolverFor } from "../../src/registry/index.js";
import { DEFAULT_PLATFORM } from "../../src/registry/platform.js";
import { ImageResolver } from "../../src/registry/resolve.js";
import { testEnv } from "../support/env.js";
import { signToken, startRegistry, startServer, startTokenServer } from "../support/registry.js";
import { basicAuthorization, DOCKER_MANIFEST, digestOf, Pusher } from "../support/registry-push.js";
import { tempDir } from "../support/tmp.js";

const closers: RegistryHttp[] = [];

function resolverWith(
  vars: Record<string, string | undefined> = {},
  policy: Partial<RetryPolicy> = {},
  tokens = new TokenCache(),
): ImageResolver {
  const http = new RegistryHttp({ ...DEFAULT_RETRY, baseDelayMs: 20, ...policy });
  closers.push(http);
  return new ImageResolver(
    new RegistryClient({ http, credentials: new Credentials({ vars, helperTimeoutMs: 1000 }), tokens }),
  );
}

async function failure(promise: Promise<unknown>): Promise<ImageResolveError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageResolveError);
  return error as ImageResolveError;
}

function dockerConfig(content: unknown): Record<string, string> {
  const dir = tempDir("titan-docker-config-");
  writeFileSync(join(dir, "config.json"), JSON.stringify(content));
  return { DOCKER_CONFIG: dir };
}

describe("resolving against the distribution registry", () => {
  it("pins a tag to the digest of its manifest, OCI and Docker schema 2 alike, and a digest to itself", async () => {
    const registry = await startRegistry();
    const push = new Pusher(registry.url);
    const oci = await push.image("team/api", "1.0");
    const docker = await push.image("team/api", "1.0-docker", { mediaType: DOCKER_MANIFEST });
    const resolver = resolverWith();
    const byTag = await resolver.resolve(`${registry.host}/team/api:1.0`, DEFAULT_PLATFORM);
    expect(byTag).toMatchObject({
      digest: oci,
      pinned: `${registry.host}/team/api:1.0@${oci}`,
      platform: "linux/amd64",
    });
    expect((await resolver.resolve(`${registry.host}/team/api:1.0-docker`, DEFAULT_PLATFORM)).digest).toBe(
      docker,
    );
    const byDigest = await resolver.resolve(`${registry.host}/team/api@${oci}`, DEFAULT_PLATFORM);
    expect(byDigest.pinned).toBe(`${registry.host}/team/api@${oci}`);
    // A release's pinned reference resolves to itself.
    expect((await resolver.resolve(byTag.pinned, DEFAULT_PLATFORM)).pinned).toBe(byTag.pinned);
  });

  it("picks the platform's manifest from a multi-arch index and names the platforms it has", async () => {
    const registry = await startRegistry();
    const push = new Pusher(registry.url);
    const { index, byArch } = await push.index("team/multi", "2.0", ["amd64", "arm64"]);
    const resolver = resolverWith();
    const amd = await resolver.resolve(`${registry.host}/team/multi:2.0`, DEFAULT_PLATFORM);
    expect(amd).toMatchObject({ digest: byArch.amd64, indexDigest: index });
    const arm = await resolver.resolve(`${registry.host}/team/multi:2.0`, {
      os: "linux",
      architecture: "arm64",
    });
    expect(arm.digest).toBe(byArch.arm64);
    const error = await failure(
      resolver.resolve(`${registry.host}/team/multi:2.0`, { os: "linux", architecture: "s390x" }),
    );
    expect(error.message).toContain("no variant for linux/s390x");
    expect(error.hint).toContain("linux/amd64, linux/arm64");
    expect(error.exitCode).toBe(8);
  });

  it("names the nearest tags for a missing tag, and says when the repository does not exist", async () => {
    const registry = await startRegistry();
    const push = new Pusher(registry.url);
    for (const tag of ["1.4.1", "1.4.2", "2.0.0"]) await push.image("team/web", tag);
    const resolver = resolverWith();
    const missing = await failure(resolver.resolve(`${registry.host}/team/web:1.4.3`, DEFAULT_PLATFORM));
    expect(missing.message).toBe(
      `image ${registry.host}/team/web:1.4.3 not found: ${registry.host}/team/web has no tag 1.4.3`,
    );
    expect(missing.hint).toBe("nearest tags: 1.4.1, 1.4.2, 2.0.0");
    const nothing = await failure(resolver.resolve(`${registry.host}/team/nope:1`, DEFAULT_PLATFORM));
    expect(nothing.message).toContain("does not exist");
  });

  it("reports a deleted manifest as missing, never falling back to the tag", async () => {
    const registry = await startRegistry();
    const push = new Pusher(registry.url);
    const digest = await push.image("team/gone", "1");
    await push.deleteManifest("team/gone", digest);
    const error = await failure(
      resolverWith().resolve(`${registry.host}/team/gone:1@${digest}`, DEFAULT_PLATFORM),
    );
    expect(error.message).toContain(`has no manifest ${digest}`);
  });

  it("logs in with basic auth from ~/.docker/config.json auths, and names the source of a wrong password", async () => {
    const registry = await startRegistry({ basic: { ci: "s3cret-pass" } });
    const push = new Pusher(registry.url, basicAuthorization("ci", "s3cret-pass"));
    const digest = await push.image("team/private", "1");
    const good = dockerConfig({
      auths: { [registry.host]: { auth: Buffer.from("ci:s3cret-pass").toString("base64") } },
    });
    expect(
      (await resolverWith(good).resolve(`${registry.host}/team/private:1`, DEFAULT_PLATFORM)).digest,
    ).toBe(digest);

    const wrong = dockerConfig({
      auths: { [`http://${registry.host}`]: { username: "ci", password: "wrong-pass" } },
    });
    const refused = await failure(
      resolverWith(wrong).resolve(`${registry.host}/team/private:1`, DEFAULT_PLATFORM),
    );
    expect(refused.message).toContain("refused the credentials from");
    expect(refused.message).toContain("config.json");
    expect(`${refused.message} ${refused.hint}`).not.toContain("wrong-pass");

    const none = await failure(
      resolverWith({ DOCKER_CONFIG: tempDir() }).resolve(`${registry.host}/team/private:1`, DEFAULT_PLATFORM),
    );
    expect(none.message).toContain("requires a login");
    expect(none.hint).toContain(`docker login ${registry.host}`);
  });

  it("follows the bearer-token flow and reuses the token until it expires", async () => {
    const tokens = await startTokenServer({ robot: "t0ken-pass" });
    const registry = await startRegistry({ token: tokens });
    const pushToken = signToken({ ...tokens, subject: "robot", scope: "repository:team/tok:pull,push" });
    const digest = await new Pusher(registry.url, `Bearer ${pushToken}`).image("team/tok", "1");
    const vars = dockerConfig({
      auths: { [registry.host]: { auth: Buffer.from("robot:t0ken-pass").toString("base64") } },
    });
    const cache = new TokenCache();
    expect(
      (await resolverWith(vars, {}, cache).resolve(`${registry.host}/team/tok:1`, DEFAULT_PLATFORM)).digest,
    ).toBe(digest);
    expect(tokens.requests).toEqual([{ scope: "repository:team/tok:pull", user: "robot" }]);
    // A second command in the same process with the same cache: no new token.
    expect(
      (await resolverWith(vars, {}, cache).resolve(`${registry.host}/team/tok:1`, DEFAULT_PLATFORM)).digest,
    ).toBe(digest);
    expect(tokens.requests).toHaveLength(1);

    const wrong = dockerConfig({ auths: { [registry.host]: { username: "robot", password: "nope-nope" } } });
    const refused = await failure(
      resolverWith(wrong).resolve(`${registry.host}/team/tok:1`, DEFAULT_PLATFORM),
    );
    expect(refused.message).toContain(`the token service ${tokens.url} refused the credentials`);
  });

  it("asks credHelpers with a timeout and never echoes what a helper prints", async () => {
    const registry = await startRegistry({ basic: { ci: "helper-pass" } });
    const digest = await new Pusher(registry.url, basicAuthorization("ci", "helper-pass")).image(
      "team/h",
      "1",
    );
    const bin = tempDir("titan-helpers-");
    const helper = (name: string, body: string) => {
      const file = join(bin, `docker-credential-${name}`);
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
    };
    helper(
      "good",
      `read server; [ "$server" = "${registry.host}" ] || exit 1; echo '{"ServerURL":"x","Username":"ci","Secret":"helper-pass"}'`,
    );
    helper("garbage", "echo 'leaked-secret-output not json'");
    helper("hang", "exec sleep 30");
    const withHelper = (name: string) => ({
      ...dockerConfig({ credHelpers: { [registry.host]: name } }),
      PATH: `${bin}:${process.env.PATH ?? ""}`,
    });
    const image = `${registry.host}/team/h:1`;
    expect((await resolverWith(withHelper("good")).resolve(image, DEFAULT_PLATFORM)).digest).toBe(digest);
    const garbage = await failure(resolverWith(withHelper("garbage")).resolve(image, DEFAULT_PLATFORM));
    expect(garbage.message).toContain("returned invalid JSON (its output is not shown)");
    expect(garbage.message).not.toContain("leaked");
    const hang = await failure(resolverWith(withHelper("hang")).resolve(image, DEFAULT_PLATFORM));
    expect(hang.message).toContain("did not answer within 1s");
    const missing = await failure(resolverWith(withHelper("absent")).resolve(image, DEFAULT_PLATFORM));
    expect(missing.message).toContain(
      `credHelpers["${registry.host}"] names docker-credential-absent, which is not on PATH`,
    );
  });
});

describe("registries that misbehave", () => {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    layers: [],
  });

  it("says a registry answering HTML is not a registry", async () => {
    const { url } = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>login</html>");
    });
    const host = new URL(url).host;
    const error = await failure(resolverWith().resolve(`${host}/a/b:1`, DEFAULT_PLATFORM));
    expect(error.message).toBe(
      `${host} answered HTTP 200 with an HTML page where a manifest of ${host}/a/b:1 was expected`,
    );
  });

  it("names a document that is no image by its quoted media type", async () => {
    const { url } = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(JSON.stringify({ schemaVersion: 2 }));
    });
    const host = new URL(url).host;
    const error = await failure(resolverWith().resolve(`${host}/a/b:1`, DEFAULT_PLATFORM));
    expect(error.message).toBe(
      `${host}/a/b:1: the registry sent a document of type "application/octet-stream", which titan cannot run`,
    );
  });

  it("gives up on a stalling registry after bounded attempts", async () => {
    let seen = 0;
    const { url } = await startServer(() => {
      seen++;
    });
    const host = new URL(url).host;
    const error = await failure(
      resolverWith({}, { attempts: 2, attemptTimeoutMs: 300 }).resolve(`${host}/a/b:1`, DEFAULT_PLATFORM),
    );
    expect(error.message).toBe(
      `cannot resolve ${host}/a/b:1: registry ${url} did not answer after 2 attempts (no answer within 0.3s)`,
    );
    expect(seen).toBe(2);
  });

  it("honours Retry-After on 429 and waits that long before asking again", async () => {
    const times: number[] = [];
    const { url } = await startServer((req, res) => {
      times.push(Date.now());
      if (times.length === 1) {
        res.writeHead(429, { "retry-after": "1" });
        res.end();
        return;
      }
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "docker-content-digest": digestOf(manifest),
      });
      res.end(req.method === "HEAD" ? undefined : manifest);
    });
    const resolved = await resolverWith().resolve(`${new URL(url).host}/a/b:1`, DEFAULT_PLATFORM);
    expect(resolved.digest).toBe(digestOf(manifest));
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("stops at once when Retry-After asks for longer than it waits, and counts the attempts it made", async () => {
    let seen = 0;
    const { url } = await startServer((_req, res) => {
      seen++;
      res.writeHead(429, { "retry-after": "600" });
      res.end();
    });
    const host = new URL(url).host;
    const error = await failure(resolverWith().resolve(`${host}/a/b:1`, DEFAULT_PLATFORM));
    expect(seen).toBe(1);
    expect(error.message).toBe(
      `cannot resolve ${host}/a/b:1: registry ${url} did not answer after 1 attempt (HTTP 429 (asked to retry after 600s))`,
    );
  });

  it("refuses a manifest whose bytes do not match Docker-Content-Digest", async () => {
    const { url } = await startServer((req, res) => {
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.index.v1+json",
        "docker-content-digest": `sha256:${"0".repeat(64)}`,
      });
      res.end(req.method === "HEAD" ? undefined : manifest);
    });
    const error = await failure(resolverWith().resolve(`${new URL(url).host}/a/b:1`, DEFAULT_PLATFORM));
    expect(error.message).toContain("integrity check failed");
    expect(error.hint).toContain("never falls back to the tag");
  });

  it("pins a tag by the hash of its manifest's bytes, never by what a HEAD claims, in one request", async () => {
    const lie = `sha256:${"1".repeat(64)}`;
    const seen: string[] = [];
    let lieOnGet = false;
    const { url } = await startServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const byTag = !(req.url ?? "").includes("sha256:");
      const claimed = byTag && (req.method === "HEAD" || lieOnGet) ? lie : digestOf(manifest);
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "docker-content-digest": claimed,
      });
      res.end(req.method === "HEAD" ? undefined : manifest);
    });
    const host = new URL(url).host;
    const resolved = await resolverWith().resolve(`${host}/a/b:1`, DEFAULT_PLATFORM);
    expect(resolved.digest).toBe(digestOf(manifest));
    expect(resolved.pinned).toBe(`${host}/a/b:1@${digestOf(manifest)}`);
    expect(seen).toEqual(["GET /v2/a/b/manifests/1"]);
    // A digest is confirmed by a HEAD alone: its bytes are checked where they are pulled.
    seen.length = 0;
    const byDigest = await resolverWith().resolve(`${host}/a/b@${digestOf(manifest)}`, DEFAULT_PLATFORM);
    expect(byDigest.digest).toBe(digestOf(manifest));
    expect(seen).toEqual([`HEAD /v2/a/b/manifests/${digestOf(manifest)}`]);
    // A registry that names the lie on the GET too is refused: exit 8, nothing pinned.
    lieOnGet = true;
    const error = await failure(resolverWith().resolve(`${host}/a/b:1`, DEFAULT_PLATFORM));
    expect(error.message).toBe(
      `integrity check failed for ${host}/a/b:1: Docker-Content-Digest says ${lie}, the bytes hash to ${digestOf(manifest)}`,
    );
    expect(error.exitCode).toBe(8);
  });

  it("never sends credentials to a plain-http token realm off loopback", async () => {
    const { url } = await startServer((_req, res) => {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="http://auth.example.com/token",service="x"' });
      res.end();
    });
    const host = new URL(url).host;
    const vars = dockerConfig({ auths: { [host]: { username: "u", password: "p" } } });
    const error = await failure(resolverWith(vars).resolve(`${host}/a/b:1`, DEFAULT_PLATFORM));
    expect(error.message).toContain("refusing to send credentials");
  });

  it("sends credentials to the token realm a registry names, but not when the registry named it over plain http", async () => {
    const tokens = await startTokenServer({ robot: "t0ken-pass" });
    const http = new RegistryHttp({ ...DEFAULT_RETRY, baseDelayMs: 20 });
    closers.push(http);
    const credential = { username: "robot", password: "t0ken-pass", source: "test" };
    const challenge = { scheme: "bearer", params: { realm: tokens.realm, service: tokens.service } };
    // A registry reached over https (or on loopback) delegates its logins to its realm, another host or not.
    const trusted = await fetchToken(http, new TokenCache(), {
      challenge,
      scope: "repository:team/a:pull",
      credential,
      registry: "https://registry.example.com",
    });
    expect(trusted.token).not.toBe("");
    expect(tokens.requests).toEqual([{ scope: "repository:team/a:pull", user: "robot" }]);
    // A challenge read over plain http off loopback could have been written by anyone on the path.
    const error = await failure(
      fetchToken(http, new TokenCache(), {
        challenge,
        scope: "repository:team/b:pull",
        credential,
        registry: "http://registry.example.com:5000",
      }),
    );
    expect(error.message).toBe(
      `refusing to send credentials for http://registry.example.com:5000 to the token realm ${tokens.url}: the registry named it over plain http`,
    );
    expect(error.hint).toBe("use an https registry URL");
    expect(tokens.requests).toHaveLength(1);
  });

  it("follows a manifest's redirect to another origin, leaving the registry's credentials behind", async () => {
    const body = Buffer.from(manifest);
    const seenByCdn: Array<string | undefined> = [];
    const cdn = await startServer((req, res) => {
      seenByCdn.push(req.headers.authorization);
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      res.end(req.method === "HEAD" ? undefined : body);
    });
    const registry = await startServer((req, res) => {
      if (req.headers.authorization !== basicAuthorization("u", "p")) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="registry"' });
        return res.end();
      }
      res.writeHead(307, { location: `${cdn.url}/blobs-cdn${req.url}?signature=abc` });
      res.end();
    });
    const host = new URL(registry.url).host;
    const vars = dockerConfig({ auths: { [host]: { username: "u", password: "p" } } });
    const resolved = await resolverWith(vars).resolve(`${host}/a/b:1`, DEFAULT_PLATFORM);
    expect(resolved.digest).toBe(digestOf(body));
    expect(seenByCdn).toEqual([undefined]);
  });

  it("gives up on a manifest redirected in a loop, saying so", async () => {
    const { url } = await startServer((req, res) => {
      res.writeHead(302, { location: req.url ?? "/" });
      res.end();
    });
    const host = new URL(url).host;
    const error = await failure(resolverWith().resolve(`${host}/a/b:1`, DEFAULT_PLATFORM));
    expect(error.message).toBe(
      `cannot resolve ${host}/a/b:1: ${url} redirected more than 5 times for /v2/a/b/manifests/1`,
    );
    expect(error.exitCode).toBe(8);
  });

  it("fails at once on a manifest larger than 4 MiB, never calling the registry down", async () => {
    let seen = 0;
    const { url } = await startServer((_req, res) => {
      seen++;
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      res.end(Buffer.alloc(5 << 20, 0x20));
    });
    const host = new URL(url).host;
    const error = await failure(resolverWith().resolve(`${host}/a/b:1`, DEFAULT_PLATFORM));
    expect(error.message).toBe(
      `cannot resolve ${host}/a/b:1: ${url} sent more than 4 MiB for /v2/a/b/manifests/1, more than any manifest or token needs`,
    );
    expect(error.hint).toContain("check the image reference and the registry address");
    expect(error.exitCode).toBe(8);
    expect(seen).toBe(1);
  });
});

describe("the cluster registry's configured password", () => {
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", layers: [] }),
  );

  function cluster(url: string): ClusterConfig {
    return {
      name: "prod",
      masters: ["http://127.0.0.1:1"],
      role: "titan",
      builtin: false,
      registry: url,
      registryAuth: { username: "ci", password: { source: "env", ref: "REG_PW", raw: "env:REG_PW" } },
    };
  }

  it("is read only when the registry asks for a login: anonymous pulls need no REG_PW", async () => {
    const { url } = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      res.end(manifest);
    });
    const handle = await imageResolverFor(testEnv().env, cluster(url));
    try {
      const resolved = await handle.resolver.resolve("team/web:1", DEFAULT_PLATFORM);
      expect(resolved.digest).toBe(digestOf(manifest));
    } finally {
      await handle.close();
    }
  });

  it("unset when the registry asks for a login: the reference is named, exit 8", async () => {
    const { url } = await startServer((_req, res) => {
      res.writeHead(401, { "www-authenticate": 'Basic realm="registry"' });
      res.end();
    });
    const handle = await imageResolverFor(testEnv().env, cluster(url));
    try {
      const error = await failure(handle.resolver.resolve("team/web:1", DEFAULT_PLATFORM));
      expect(error.message).toBe(`${new URL(url).host} asks for a login: secret env:REG_PW is not set`);
      expect(error.hint).toBe("export REG_PW before running titan");
      expect(error.exitCode).toBe(8);
    } finally {
      await handle.close();
    }
  });
});
