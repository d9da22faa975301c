import { createSign } from 'node:crypto';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** Credentials for the GitHub API: a token (PAT / fine-grained) or a GitHub App installation. */
export type GithubCredentials =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKey: string; installationId: string };

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A GitHub App JWT (RS256), valid 9 minutes, issued a minute in the past against clock drift. */
export function appJwt(appId: string, privateKey: string, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now - 60, exp: now + 540, iss: appId }));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** The `Authorization` header value; App installation tokens are cached until a minute before expiry. */
export class GithubAuth {
  private cached: { token: string; until: number } | null = null;

  constructor(
    private readonly credentials: GithubCredentials,
    private readonly apiUrl: string,
    private readonly fetch: FetchLike,
    private readonly now: () => number,
  ) {}

  async header(): Promise<string> {
    if (this.credentials.kind === 'token') return `Bearer ${this.credentials.token}`;
    if (this.cached && this.cached.until > this.now()) return `Bearer ${this.cached.token}`;
    const { appId, privateKey, installationId } = this.credentials;
    const response = await this.fetch(`${this.apiUrl}/app/installations/${installationId}/access_tokens`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${appJwt(appId, privateKey, this.now())}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'sparkwing-controller',
      },
    });
    if (!response.ok) {
      const error = new Error(`GitHub App token: HTTP ${response.status}`) as Error & { status: number };
      error.status = response.status;
      throw error;
    }
    const body = (await response.json()) as { token: string; expires_at: string };
    this.cached = { token: body.token, until: Date.parse(body.expires_at) - 60_000 };
    return `Bearer ${body.token}`;
  }
}
