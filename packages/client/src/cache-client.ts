import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type ArtifactList,
  artifactListSchema,
  type ChangesResponse,
  changesResponseSchema,
  DELETIONS_MANIFEST,
  errorEnvelopeSchema,
  type Health,
  healthSchema,
  type MirrorInfo,
  mirrorListSchema,
  mirrorResponseSchema,
  type NegotiateResponse,
  negotiateResponseSchema,
  type UploadResponse,
  uploadResponseSchema,
} from '@sparkwing/contracts';
import { Header } from 'tar';
import type { z } from 'zod';
import {
  extractTarball,
  type ExtractResult,
  type PackOptions,
  packTree,
  safeTreePath,
  type TarSource,
} from './cache-tar.js';
import { ClientError, type FetchLike } from './http.js';

export * from './cache-tar.js';

export interface CacheClientOptions {
  /** e.g. `http://sparkwing-cache.sparkwing.svc.cluster.local` (SPARKWING_CACHE_URL). */
  baseUrl: string;
  /** Node token or long-lived token; the package proxy needs none. */
  token?: string;
  fetch?: FetchLike;
  userAgent?: string;
}

export type UploadBody = Uint8Array | Readable | ReadableStream<Uint8Array>;

export interface UploadOptions {
  /** Mirror name (or registered URL) `base` belongs to. */
  repo?: string;
  /** A commit of `repo` (from `negotiate`) or an earlier upload ref: the body is then a delta on top of it. */
  base?: string;
  /** Paths to delete from `base`; embedded as the `.sparkwing-deletions` manifest (buffers the body). */
  deletions?: readonly string[];
}

const enc = encodeURIComponent;

function encodePath(path: string): string {
  return path.split('/').map(enc).join('/');
}

/** Client of the cache service: git mirror admin, code uploads, blob stores and artifacts. */
export class CacheClient {
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly doFetch: FetchLike;
  private readonly userAgent: string;

  constructor(options: CacheClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.userAgent = options.userAgent ?? 'sparkwing-cache-client';
  }

  health(): Promise<Health> {
    return this.json('GET', '/health', healthSchema, { okStatuses: [503] });
  }

  async registerRepo(name: string, url: string): Promise<MirrorInfo> {
    return (await this.json('POST', '/git/repos', mirrorResponseSchema, { json: { name, url } })).repo;
  }

  async listRepos(): Promise<MirrorInfo[]> {
    return (await this.json('GET', '/git/repos', mirrorListSchema)).repos;
  }

  async refreshRepo(name: string): Promise<MirrorInfo> {
    return (await this.json('POST', `/git/repos/${enc(name)}/refresh`, mirrorResponseSchema)).repo;
  }

  /** The newest of `commits` (newest first) the mirror of `repo` has, or null. */
  async negotiate(repo: string, commits: readonly string[]): Promise<string | null> {
    const answer: NegotiateResponse = await this.json('POST', '/sync/negotiate', negotiateResponseSchema, {
      json: { repo, commits },
    });
    return answer.commit;
  }

  /** Uploads a full tree tar.gz, or with `base` a delta tar.gz; the same tree always gets the same ref. */
  async upload(body: UploadBody, options: UploadOptions = {}): Promise<UploadResponse> {
    let payload: UploadBody = body;
    if (options.deletions && options.deletions.length > 0) {
      payload = appendDeletions(await collect(body), options.deletions);
    }
    const response = await this.send('POST', '/upload', {
      query: { repo: options.repo, base: options.base },
      body: payload,
      contentType: 'application/gzip',
    });
    return parse(response, uploadResponseSchema, 'POST /upload');
  }

  /** Packs `files` under `cwd` (plus `deletions` for a delta) and uploads them in one stream. */
  uploadTree(pack: PackOptions, options: Omit<UploadOptions, 'deletions'> = {}): Promise<UploadResponse> {
    return this.upload(packTree(pack), options);
  }

  /** The full tree tarball of an upload (tar.gz), as a streaming response. */
  getUpload(ref: string): Promise<Response> {
    return this.send('GET', `/uploads/${enc(ref)}`);
  }

  /** Downloads an upload and extracts it into `dest`. */
  async downloadUpload(ref: string, dest: string): Promise<ExtractResult> {
    const response = await this.getUpload(ref);
    return extractTarball(response.body as ReadableStream<Uint8Array>, dest);
  }

  /** `git archive` of a mirror at `ref` (tar.gz), streaming. */
  archive(repo: string, ref: string): Promise<Response> {
    return this.send('GET', '/archive', { query: { repo, ref } });
  }

  async downloadArchive(repo: string, ref: string, dest: string): Promise<ExtractResult> {
    const response = await this.archive(repo, ref);
    return extractTarball(response.body as ReadableStream<Uint8Array>, dest);
  }

  async file(repo: string, ref: string, path: string): Promise<Buffer> {
    const response = await this.send('GET', '/file', { query: { repo, ref, path } });
    return Buffer.from(await response.arrayBuffer());
  }

  /** Files changed on `head` since it diverged from `base`, computed in the mirror. */
  async changes(repo: string, base: string, head: string): Promise<ChangesResponse> {
    const response = await this.send('GET', '/changes', { query: { repo, base, head } });
    return parse(response, changesResponseSchema, 'GET /changes');
  }

  getBin(key: string): Promise<Buffer | null> {
    return this.getBlob(`/bin/${enc(key)}`);
  }

  hasBin(key: string): Promise<boolean> {
    return this.headBlob(`/bin/${enc(key)}`);
  }

  async putBin(key: string, body: UploadBody): Promise<void> {
    await this.send('PUT', `/bin/${enc(key)}`, { body, contentType: 'application/octet-stream' });
  }

  getCache(key: string): Promise<Buffer | null> {
    return this.getBlob(`/cache/${enc(key)}`);
  }

  hasCache(key: string): Promise<boolean> {
    return this.headBlob(`/cache/${enc(key)}`);
  }

  async putCache(key: string, body: UploadBody): Promise<void> {
    await this.send('PUT', `/cache/${enc(key)}`, { body, contentType: 'application/octet-stream' });
  }

  async putArtifact(runId: string, path: string, body: UploadBody): Promise<void> {
    await this.send('PUT', `/artifacts/${enc(runId)}/${encodePath(path)}`, {
      body,
      contentType: 'application/octet-stream',
    });
  }

  getArtifact(runId: string, path: string): Promise<Buffer | null> {
    return this.getBlob(`/artifacts/${enc(runId)}/${encodePath(path)}`);
  }

  listArtifacts(runId: string): Promise<ArtifactList> {
    return this.json('GET', `/artifacts/${enc(runId)}`, artifactListSchema);
  }

  private async getBlob(path: string): Promise<Buffer | null> {
    const response = await this.send('GET', path, { allow404: true });
    if (response.status === 404) return null;
    return Buffer.from(await response.arrayBuffer());
  }

  private async headBlob(path: string): Promise<boolean> {
    const response = await this.send('HEAD', path, { allow404: true });
    return response.status !== 404;
  }

  private async json<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { json?: unknown; okStatuses?: number[] } = {},
  ): Promise<z.infer<S>> {
    const response = await this.send(method, path, {
      body: options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json)),
      contentType: 'application/json',
      okStatuses: options.okStatuses,
    });
    return parse(response, schema, `${method} ${path}`);
  }

  private async send(
    method: string,
    path: string,
    options: {
      query?: Record<string, string | undefined>;
      body?: UploadBody;
      contentType?: string;
      allow404?: boolean;
      okStatuses?: number[];
    } = {},
  ): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined && options.contentType) headers['content-type'] = options.contentType;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (options.body !== undefined) {
      const body = options.body;
      if (body instanceof Uint8Array) {
        init.body = body;
      } else {
        init.body = body instanceof Readable ? (Readable.toWeb(body) as ReadableStream<Uint8Array>) : body;
        init.duplex = 'half';
      }
    }
    let response: Response;
    try {
      response = await this.doFetch(url.toString(), init);
    } catch (error) {
      throw new ClientError(0, 'unreachable', `cannot reach ${this.baseUrl}: ${(error as Error).message}`);
    }
    if (response.ok || options.okStatuses?.includes(response.status)) return response;
    if (options.allow404 && response.status === 404) {
      await response.body?.cancel();
      return response;
    }
    throw await toError(response);
  }
}

async function parse<S extends z.ZodType>(response: Response, schema: S, what: string): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success) {
    throw new ClientError(
      response.status,
      'bad_response',
      `unexpected response from ${what}: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

async function toError(response: Response): Promise<ClientError> {
  const text = await response.text();
  try {
    const envelope = errorEnvelopeSchema.parse(JSON.parse(text));
    return new ClientError(
      response.status,
      envelope.error.code,
      envelope.error.message,
      envelope.error.request_id,
    );
  } catch {
    return new ClientError(
      response.status,
      `http_${response.status}`,
      text.slice(0, 500) || response.statusText,
    );
  }
}

async function collect(body: UploadBody): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  const source =
    body instanceof Readable ? body : Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Offset of the end-of-archive marker: walks the 512-byte headers, skipping each entry's data. */
function tarEnd(raw: Buffer): number {
  let offset = 0;
  while (offset + 512 <= raw.length) {
    const block = raw.subarray(offset, offset + 512);
    if (block.every((byte) => byte === 0)) return offset;
    const size = new Header(block).size ?? 0;
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return Math.min(offset, raw.length);
}

/** Re-writes a tar.gz with a `.sparkwing-deletions` entry appended before the end-of-archive marker. */
export function appendDeletions(tarGz: Uint8Array, deletions: readonly string[]): Buffer {
  const raw = gunzipSync(tarGz);
  const body = Buffer.from(`${deletions.map(safeTreePath).join('\n')}\n`);
  const header = Buffer.alloc(512);
  new Header({
    path: DELETIONS_MANIFEST,
    type: 'File',
    mode: 0o644,
    size: body.length,
    mtime: new Date(0),
  }).encode(header);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return gzipSync(Buffer.concat([raw.subarray(0, tarEnd(raw)), header, body, pad, Buffer.alloc(1024)]));
}

export type { TarSource };
