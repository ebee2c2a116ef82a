/** A GitHub Actions OIDC issuer: signs RS256 ID tokens with a key made at start-up. */
import { createPublicKey, generateKeyPairSync, createSign, createVerify, type KeyObject } from 'node:crypto';
import { randomHex } from './state.js';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export interface OidcClaims {
  sub: string;
  repository: string;
  repository_owner: string;
  ref: string;
  ref_type: string;
  environment?: string;
  aud: string;
  job_workflow_ref: string;
  workflow: string;
  event_name: string;
  actor: string;
  run_id: string;
  [key: string]: unknown;
}

const b64url = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

export class OidcIssuer {
  readonly kid = randomHex(16);
  readonly requestToken = `emu-oidc-${randomHex(24)}`;
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  private overrides: Partial<OidcClaims> = {};
  /** lifetime of issued tokens in (virtual) seconds */
  lifetimeSeconds = 600;

  constructor(private readonly now: () => number) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  private readonly jobs = new Map<string, Partial<OidcClaims>>();

  setClaims(c: Partial<OidcClaims>): void {
    this.overrides = { ...this.overrides, ...c };
  }

  /**
   * A request token of its own for one job (ACTIONS_ID_TOKEN_REQUEST_TOKEN), whose ID tokens carry these
   * claims over the emulator's: on GitHub each job has its own, so two jobs running at once (a deploy job and
   * a promote job in another environment) each get their own subject.
   */
  jobRequestToken(claims: Partial<OidcClaims>): string {
    const token = `emu-oidc-job-${randomHex(24)}`;
    this.jobs.set(token, claims);
    return token;
  }

  /** The claims of an ID token requested with this bearer token; undefined when the token is not one issued here. */
  claimsForRequest(requestToken: string, audience: string | undefined): Record<string, unknown> | undefined {
    if (requestToken === this.requestToken) return this.claims(audience);
    const job = this.jobs.get(requestToken);
    return job ? this.claims(audience, job) : undefined;
  }

  /** The claims a token would carry now, for `audience` (defaults to the owner URL like GitHub). */
  claims(audience?: string, extra: Partial<OidcClaims> = {}): Record<string, unknown> {
    const o = { ...this.overrides, ...extra };
    const repository = o.repository ?? 'acme/app';
    const owner = repository.split('/')[0] ?? repository;
    const ref = o.ref ?? 'refs/heads/main';
    const environment = o.environment;
    const sub =
      o.sub ??
      (environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:${ref}`);
    const iat = Math.floor(this.now() / 1000);
    return {
      jti: randomHex(32),
      aud: audience ?? o.aud ?? `https://github.com/${owner}`,
      ref,
      ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      repository,
      repository_owner: owner,
      ...(environment ? { environment } : {}),
      run_id: '1',
      run_number: '1',
      run_attempt: '1',
      actor: 'octocat',
      event_name: 'push',
      workflow: 'deploy',
      job_workflow_ref: `${repository}/.github/workflows/deploy.yml@${ref}`,
      runner_environment: 'github-hosted',
      ...o,
      ...(audience !== undefined ? { aud: audience } : {}),
      sub,
      iss: GITHUB_ISSUER,
      nbf: iat - 5,
      iat,
      exp: iat + this.lifetimeSeconds,
      ...(extra.exp !== undefined ? { exp: extra.exp } : {}),
    };
  }

  sign(payload: Record<string, unknown>): string {
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.kid, x5t: this.kid }));
    const body = b64url(JSON.stringify(payload));
    const signature = createSign('RSA-SHA256').update(`${header}.${body}`).sign(this.privateKey);
    return `${header}.${body}.${b64url(signature)}`;
  }

  issueToken(claims?: Partial<OidcClaims>): string {
    return this.sign(this.claims(claims?.aud, claims));
  }

  jwks(): Record<string, unknown> {
    const jwk = createPublicKey(this.publicKey).export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }
}

export type VerifyResult =
  | { ok: true; header: Record<string, unknown>; claims: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'issuer'; message: string };

/** Verify a JWT the way STS does for an OIDC provider: structure, RS256 signature, iss, nbf/exp. */
export function verifyJwt(token: string, publicKey: KeyObject, nowMs: number): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3)
    return { ok: false, reason: 'malformed', message: 'The ID token provided is not a valid JWT.' };
  const [h, p, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'malformed', message: 'The ID token provided is not a valid JWT.' };
  }
  if (header.alg !== 'RS256')
    return {
      ok: false,
      reason: 'signature',
      message: `Unsupported JWT signing algorithm ${String(header.alg)}.`,
    };
  const valid = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(publicKey, Buffer.from(s, 'base64url'));
  if (!valid)
    return {
      ok: false,
      reason: 'signature',
      message: "Couldn't verify the signature of the web identity token.",
    };
  if (claims.iss !== GITHUB_ISSUER)
    return {
      ok: false,
      reason: 'issuer',
      message: `No OpenIDConnect provider found in your account for ${String(claims.iss)}`,
    };
  const now = nowMs / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= now)
    return {
      ok: false,
      reason: 'expired',
      message: 'Token expired: current date/time must be before the expiration date/time.',
    };
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60)
    return { ok: false, reason: 'malformed', message: 'The token is not yet valid (nbf is in the future).' };
  return { ok: true, header, claims };
}
