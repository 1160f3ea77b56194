/**
 * Request authentication as the Alibaba Cloud POP gateway does it: signature V1 (HMAC-SHA1 over
 * the sorted parameters, what `@alicloud/pop-core` sends) and V3 (`ACS3-HMAC-SHA256` over a
 * canonical request, what `@alicloud/ecs20140526` sends), timestamps, nonces and STS tokens.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { E, type SimError } from "./errors.js";

/** A key pair the simulator accepts. With `securityToken`, requests must carry that exact token (STS). */
export interface SimCredential {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token the requests must carry. */
  securityToken?: string;
  /** ISO time after which the STS token is expired (`InvalidSecurityToken.Expired`). */
  expiration?: string;
}

/** What the server hands to `authenticate`. */
export interface AuthRequest {
  method: string;
  /** The path part of the URL, as sent. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Every API parameter (query and form body), decoded. */
  params: Record<string, string>;
  /** Query parameters only, decoded (V3 signs these). */
  query: Record<string, string>;
  body: Buffer;
}

/** Result: the caller's key and signature style, or the gateway's error. */
export type AuthResult = { ok: true; accessKeyId: string; style: "V1" | "V3" } | { ok: false; error: SimError };

/** Timestamps further than this from the server clock are refused; nonces are remembered this long. */
export const TIMESTAMP_TOLERANCE_MS = 15 * 60 * 1000;

/** Percent-encoding of the POP signatures: RFC 3986 (`encodeURIComponent` plus `!'()*`). */
export function popEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The V1 string to sign for a method and its parameters (without `Signature`). */
export function v1StringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== "Signature")
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(params[k])}`)
    .join("&");
  return `${method.toUpperCase()}&${popEncode("/")}&${popEncode(canonical)}`;
}

/** The V1 signature: base64(HMAC-SHA1(secret + "&", stringToSign)). */
export function v1Sign(secret: string, stringToSign: string): string {
  return createHmac("sha1", secret + "&").update(stringToSign).digest("base64");
}

/** The V3 canonical request for the given signed headers. */
export function v3CanonicalRequest(
  method: string,
  path: string,
  query: Record<string, string>,
  headers: Record<string, string | string[] | undefined>,
  signedHeaders: string[],
  payloadHash: string,
): string {
  const cq = Object.keys(query)
    .sort()
    .map((k) => `${k}=${popEncode(query[k])}`)
    .join("&");
  const ch = signedHeaders.map((h) => `${h}:${headerValue(headers, h).trim()}\n`).join("");
  return `${method.toUpperCase()}\n${path}\n${cq}\n${ch}\n${signedHeaders.join(";")}\n${payloadHash}`;
}

/** The V3 string to sign and signature: hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(sha256(canonical)))). */
export function v3Sign(secret: string, canonicalRequest: string): { stringToSign: string; signature: string } {
  const stringToSign = "ACS3-HMAC-SHA256\n" + createHash("sha256").update(canonicalRequest).digest("hex");
  return { stringToSign, signature: createHmac("sha256", secret).update(stringToSign).digest("hex") };
}

function headerValue(headers: AuthRequest["headers"], name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : (v ?? "");
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function checkTimestamp(ts: string, now: number): SimError | undefined {
  if (!TIMESTAMP.test(ts) || Number.isNaN(Date.parse(ts))) return E.timestampFormat();
  if (Math.abs(now - Date.parse(ts)) > TIMESTAMP_TOLERANCE_MS) return E.timestampExpired(ts);
  return undefined;
}

function checkToken(cred: SimCredential, token: string | undefined, now: number): SimError | undefined {
  if (cred.securityToken === undefined) return token === undefined || token === "" ? undefined : E.securityTokenMalformed();
  if (token === undefined || token !== cred.securityToken) return E.securityTokenMalformed();
  if (cred.expiration !== undefined && now >= Date.parse(cred.expiration)) return E.securityTokenExpired();
  return undefined;
}

/** Remembers signature nonces per access key for the timestamp tolerance window. */
export class NonceStore {
  private readonly seen = new Map<string, number>();

  /** Records the nonce; false when it was already used inside the window. */
  use(accessKeyId: string, nonce: string, now: number): boolean {
    const key = `${accessKeyId}\n${nonce}`;
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size > 50_000) for (const [k, u] of this.seen) if (u <= now) this.seen.delete(k);
    this.seen.set(key, now + TIMESTAMP_TOLERANCE_MS);
    return true;
  }
}

/** Verifies one request against the configured key pairs. */
export function authenticate(req: AuthRequest, creds: readonly SimCredential[], nonces: NonceStore, now: number): AuthResult {
  const authorization = headerValue(req.headers, "authorization");
  if (authorization.startsWith("ACS3-")) return authenticateV3(req, authorization, creds, nonces, now);
  return authenticateV1(req, creds, nonces, now);
}

function authenticateV1(req: AuthRequest, creds: readonly SimCredential[], nonces: NonceStore, now: number): AuthResult {
  const p = req.params;
  for (const name of ["AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "Timestamp"]) {
    if (p[name] === undefined || p[name] === "") return { ok: false, error: E.missingParameter(name) };
  }
  if (p.SignatureMethod !== "HMAC-SHA1" || (p.SignatureVersion !== undefined && p.SignatureVersion !== "1.0")) {
    return { ok: false, error: E.incompleteSignature(`Unsupported SignatureMethod/SignatureVersion: ${p.SignatureMethod}/${p.SignatureVersion}`) };
  }
  const cred = creds.find((c) => c.accessKeyId === p.AccessKeyId);
  if (!cred) return { ok: false, error: E.accessKeyNotFound() };
  const tsError = checkTimestamp(p.Timestamp, now);
  if (tsError) return { ok: false, error: tsError };
  const stringToSign = v1StringToSign(req.method, p);
  if (!safeEqual(v1Sign(cred.accessKeySecret, stringToSign), p.Signature)) {
    return { ok: false, error: E.signatureDoesNotMatch(stringToSign) };
  }
  const tokenError = checkToken(cred, p.SecurityToken, now);
  if (tokenError) return { ok: false, error: tokenError };
  if (!nonces.use(cred.accessKeyId, p.SignatureNonce, now)) return { ok: false, error: E.signatureNonceUsed() };
  return { ok: true, accessKeyId: cred.accessKeyId, style: "V1" };
}

const ACS3 = /^ACS3-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/;

function authenticateV3(
  req: AuthRequest,
  authorization: string,
  creds: readonly SimCredential[],
  nonces: NonceStore,
  now: number,
): AuthResult {
  const m = ACS3.exec(authorization.trim());
  if (!m) return { ok: false, error: E.incompleteSignature("The Authorization header does not conform to ACS3-HMAC-SHA256.") };
  const [, accessKeyId, signedList, signature] = m;
  const signed = signedList.split(";").map((h) => h.trim().toLowerCase());
  for (const required of ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce"]) {
    if (!signed.includes(required)) return { ok: false, error: E.incompleteSignature(`Header ${required} must be signed.`) };
  }
  for (const name of ["x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"]) {
    if (headerValue(req.headers, name) === "") return { ok: false, error: E.missingParameter(name) };
  }
  const cred = creds.find((c) => c.accessKeyId === accessKeyId);
  if (!cred) return { ok: false, error: E.accessKeyNotFound() };
  const tsError = checkTimestamp(headerValue(req.headers, "x-acs-date"), now);
  if (tsError) return { ok: false, error: tsError };
  const payloadHash = headerValue(req.headers, "x-acs-content-sha256");
  const canonical = v3CanonicalRequest(req.method, req.path, req.query, req.headers, signed, payloadHash);
  const { stringToSign, signature: expected } = v3Sign(cred.accessKeySecret, canonical);
  if (!safeEqual(expected, signature.toLowerCase())) return { ok: false, error: E.signatureDoesNotMatch(stringToSign) };
  if (createHash("sha256").update(req.body).digest("hex") !== payloadHash.toLowerCase()) {
    return { ok: false, error: E.signatureDoesNotMatch("x-acs-content-sha256 does not match the request body") };
  }
  const tokenHeader = req.headers["x-acs-security-token"] === undefined ? undefined : headerValue(req.headers, "x-acs-security-token");
  const tokenError = checkToken(cred, tokenHeader, now);
  if (tokenError) return { ok: false, error: tokenError };
  if (!nonces.use(cred.accessKeyId, headerValue(req.headers, "x-acs-signature-nonce"), now)) {
    return { ok: false, error: E.signatureNonceUsed() };
  }
  return { ok: true, accessKeyId: cred.accessKeyId, style: "V3" };
}
