import { basicHeader, fetchToken, mayCarryCredentials, type TokenCache } from "./auth.js";
import { parseChallenges } from "./challenge.js";
import type { Credential, Credentials } from "./credentials.js";
import { ImageResolveError } from "./errors.js";
import {
  RegistryAnswerTooLarge,
  type RegistryHttp,
  type RegistryResponse,
  RegistryUnavailable,
} from "./http.js";
import { apiHost, type ImageName, isLoopbackHost } from "./reference.js";

/** The redirects a manifest or tag list may come through, as HTTP clients follow them. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface ClientOptions {
  http: RegistryHttp;
  credentials: Credentials;
  tokens: TokenCache;
  /** Scheme per registry domain when the config says so (`registry: http://…`); else loopback http, others https. */
  schemes?: Readonly<Record<string, "http" | "https">>;
}

/** A Registry HTTP API v2 client for reading: authenticates as each registry asks, once per repository. */
export class RegistryClient {
  /** Authorization header per registry origin and repository that worked last time. */
  private readonly authorizations = new Map<string, string>();

  constructor(private readonly options: ClientOptions) {}

  baseUrl(image: ImageName): URL {
    const host = apiHost(image.domain);
    const scheme = this.options.schemes?.[image.domain] ?? (isLoopbackHost(host) ? "http" : "https");
    return new URL(`${scheme}://${host}/v2/`);
  }

  /** `GET|HEAD /v2/<repository>/<path>`, answering the registry's auth challenge at most once. */
  async send(
    image: ImageName,
    path: string,
    method: "GET" | "HEAD",
    headers: Readonly<Record<string, string>>,
  ): Promise<RegistryResponse> {
    const url = new URL(`${image.repository}/${path}`, this.baseUrl(image));
    const key = `${url.origin} ${image.repository}`;
    const request = (authorization: string | undefined) =>
      this.following(image, method, url, headers, authorization);
    try {
      const known = this.authorizations.get(key);
      let response = await request(known);
      if (response.status !== 401) return response;
      const credential = await this.options.credentials.lookup(image.domain);
      const authorization = await this.answerChallenge(image, url, response, credential);
      response = await request(authorization);
      if (response.status === 401) throw this.unauthorised(image, credential, response.status);
      this.authorizations.set(key, authorization);
      return response;
    } catch (error) {
      if (error instanceof RegistryUnavailable)
        throw new ImageResolveError(
          `cannot resolve ${image.original}: registry ${error.message}`,
          "check that the registry is up and reachable, then retry",
          error,
        );
      if (error instanceof RegistryAnswerTooLarge)
        throw new ImageResolveError(
          `cannot resolve ${image.original}: ${error.message}, more than any manifest or token needs`,
          "check the image reference and the registry address: a proxy or a download page may be in the way",
          error,
        );
      throw error;
    }
  }

  /**
   * One request and the redirects it is answered with (a registry fronted by a CDN or a repository manager sends
   * its manifests from elsewhere), as a client following them would: the credentials stay with the registry's own
   * origin and are never sent on to another, nor back once the request has left it.
   */
  private async following(
    image: ImageName,
    method: "GET" | "HEAD",
    url: URL,
    headers: Readonly<Record<string, string>>,
    authorization: string | undefined,
  ): Promise<RegistryResponse> {
    let target = url;
    let carried = authorization;
    for (let hop = 0; ; hop++) {
      const response = await this.options.http.send({
        method,
        url: target,
        headers: carried === undefined ? headers : { ...headers, authorization: carried },
        maxBytes: 4 << 20,
      });
      const location = REDIRECTS.has(response.status) ? response.headers.location : undefined;
      if (location === undefined) return response;
      if (hop === MAX_REDIRECTS)
        throw new ImageResolveError(
          `cannot resolve ${image.original}: ${url.origin} redirected more than ${MAX_REDIRECTS} times for ${url.pathname}`,
          "check the registry address; a proxy may be sending the request in a loop",
        );
      const next = new URL(location, target);
      if (next.protocol !== "https:" && next.protocol !== "http:")
        throw new ImageResolveError(
          `cannot resolve ${image.original}: ${target.origin} redirected ${url.pathname} to a ${next.protocol} URL`,
          "check the registry address; a registry redirects only to http(s) URLs",
        );
      if (next.origin !== url.origin) carried = undefined;
      target = next;
    }
  }

  private async answerChallenge(
    image: ImageName,
    url: URL,
    response: RegistryResponse,
    credential: Credential | undefined,
  ): Promise<string> {
    const challenges = parseChallenges(response.headers["www-authenticate"]);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer !== undefined) {
      const { token } = await fetchToken(this.options.http, this.options.tokens, {
        challenge: bearer,
        scope: `repository:${image.repository}:pull`,
        credential,
        registry: url.origin,
      });
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      if (credential === undefined) throw this.unauthorised(image, credential, 401);
      if (!mayCarryCredentials(url))
        throw new ImageResolveError(
          `refusing to send credentials to ${url.origin} over plain http`,
          "use an https registry URL",
        );
      return basicHeader(credential);
    }
    throw new ImageResolveError(
      `${url.origin} answered 401 without a challenge titan understands`,
      "the registry must send `WWW-Authenticate: Basic` or `Bearer`",
    );
  }

  private unauthorised(
    image: ImageName,
    credential: Credential | undefined,
    status: number,
  ): ImageResolveError {
    const tried = this.options.credentials.describeSources(image.domain);
    return new ImageResolveError(
      credential === undefined
        ? `${image.domain} requires a login to pull ${image.repository} (HTTP ${status}); no credentials found${tried === "" ? "" : ` in ${tried}`}`
        : `${image.domain} refused the credentials from ${credential.source} for ${image.repository} (HTTP ${status})`,
      credential === undefined
        ? `docker login ${image.domain}, or set the cluster's registry credentials in titan's config`
        : "check the username and password (docker login again)",
    );
  }
}
