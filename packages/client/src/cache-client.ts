import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type ArtifactList,
  artifactListSchema,
  type ChangesResponse,
  changesResponseSchema,
  DELETIONS_MANIFEST,
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
import { type BinaryBody, type FetchLike, HttpClient } from './http.js';

export * from './cache-tar.js';

export interface CacheClientOptions {
  /** e.g. `http://sparkwing-cache.sparkwing.svc.cluster.local` (SPARKWING_CACHE_URL). */
  baseUrl: string;
  /** Node token or long-lived token; the package proxy needs none. */
  token?: string;
  fetch?: FetchLike;
  userAgent?: string;
}

export type UploadBody = BinaryBody;

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
  /** The one transport every client sits on (pool, envelope decoding, response validation). */
  readonly http: HttpClient;

  constructor(options: CacheClientOptions) {
    this.http = new HttpClient({ userAgent: 'sparkwing-cache-client', ...options });
  }

  get baseUrl(): string {
    return this.http.baseUrl;
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
    return this.http.call('POST', '/upload', {
      query: { repo: options.repo, base: options.base },
      binary: payload,
      contentType: 'application/gzip',
      schema: uploadResponseSchema,
    });
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
    return this.http.call('GET', '/changes', { query: { repo, base, head }, schema: changesResponseSchema });
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

  private json<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { json?: unknown; okStatuses?: number[] } = {},
  ): Promise<z.infer<S>> {
    return this.http.call(method, path, { body: options.json, schema, acceptStatuses: options.okStatuses });
  }

  private async send(
    method: string,
    path: string,
    options: {
      query?: Record<string, string | undefined>;
      body?: UploadBody;
      contentType?: string;
      allow404?: boolean;
    } = {},
  ): Promise<Response> {
    const response = await this.http.raw(method, path, {
      query: options.query,
      binary: options.body,
      contentType: options.contentType,
      acceptStatuses: options.allow404 ? [404] : undefined,
    });
    if (response.status === 404) await response.body?.cancel();
    return response;
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
