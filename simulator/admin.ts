/**
 * Who may use the admin API under `/_sim/`: it changes the whole simulated world, so a request
 * must carry the admin token, name a host that cannot be someone else's DNS name, come from no
 * web page, and send JSON. A web page can neither read the token nor set the header (the
 * simulator answers no CORS preflight), which is what stops CSRF; the Host check stops DNS
 * rebinding. The ECS API itself never needs any of this: the clients sign their requests.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/** Characters and length an admin token may have: safe in a header and in a shell word. */
export const ADMIN_TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{16,256}$/;

/** The environment variable `ecs-sim` reads an admin token from (and prints it as). */
export const ADMIN_TOKEN_ENV = "ECS_SIM_ADMIN_TOKEN";

/** A fresh random admin token (192 bits, base64url). */
export function newAdminToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Why a token given by a user is unusable, or undefined. */
export function adminTokenProblem(token: string): string | undefined {
  return ADMIN_TOKEN_PATTERN.test(token)
    ? undefined
    : "the admin token must be 16 to 256 characters among A-Z a-z 0-9 . _ ~ + / = -";
}

/** True for an interface only this machine can reach: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

/** A refused admin request: the HTTP status and the message. */
export interface AdminRefusal {
  status: number;
  error: string;
}

/** What an admin request is checked against. */
export interface AdminGuard {
  token: string;
  /** Host names accepted besides `localhost` and IP literals (the listening host, `--allow-host`). */
  hostNames: ReadonlySet<string>;
}

function sameToken(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The host name of a `Host` header (lower case, IPv6 without brackets), or undefined if malformed. */
function hostNameOf(hostHeader: string): string | undefined {
  try {
    const url = new URL(`http://${hostHeader}/`);
    if (hostHeader === "" || url.username || url.password) return undefined;
    return url.hostname.replace(/^\[|\]$/g, "");
  } catch {
    return undefined;
  }
}

/**
 * Checks one admin request; undefined when it may go on. The order: the Host (DNS rebinding),
 * a browser's `Origin` (a web page), the token, then the body's type.
 */
export function checkAdminRequest(
  headers: Record<string, string | string[] | undefined>,
  hasBody: boolean,
  guard: AdminGuard,
): AdminRefusal | undefined {
  const hostHeader = typeof headers.host === "string" ? headers.host : "";
  const name = hostNameOf(hostHeader);
  if (name === undefined || !(name === "localhost" || isIP(name) !== 0 || guard.hostNames.has(name))) {
    return {
      status: 403,
      error: `the admin API answers only requests to localhost, an IP address or an allowed host name, not Host "${hostHeader}"`,
    };
  }
  if (headers.origin !== undefined) return { status: 403, error: "the admin API does not answer web pages (the request has an Origin)" };
  const auth = typeof headers.authorization === "string" ? headers.authorization : "";
  const m = /^Bearer (\S+)$/.exec(auth);
  if (!m || !sameToken(m[1], guard.token)) {
    return { status: 401, error: "the admin API needs the header authorization: Bearer <admin token> (printed by ecs-sim at start)" };
  }
  const type = typeof headers["content-type"] === "string" ? headers["content-type"].split(";")[0].trim().toLowerCase() : "";
  if (hasBody && type !== "application/json") return { status: 415, error: "the admin API accepts only application/json bodies" };
  return undefined;
}
