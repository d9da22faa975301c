import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { ApiError } from '@sparkwing/contracts';
import { readBodyBytes } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import { gitEnv } from './run-git.js';

const GIT_PROTOCOL_RE = /^[A-Za-z0-9=:.,_-]{1,256}$/;
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** The Git-Protocol header (protocol v2 negotiation) passed to upload-pack as GIT_PROTOCOL. */
export function gitProtocol(c: Context): string | null {
  const header = c.req.header('git-protocol');
  return header && GIT_PROTOCOL_RE.test(header) ? header : null;
}

function pktLine(text: string): string {
  return `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
}

/** Wants in an upload-pack request (protocol v0 `want <sha> caps` and v2 `want <sha>` lines). */
export function parseWants(body: Buffer): string[] {
  const wants: string[] = [];
  let offset = 0;
  while (offset + 4 <= body.length) {
    const length = Number.parseInt(body.subarray(offset, offset + 4).toString('ascii'), 16);
    if (Number.isNaN(length)) break;
    if (length < 4) {
      offset += 4;
      continue;
    }
    const line = body.subarray(offset + 4, offset + length).toString('utf8');
    const match = /^want ([0-9a-f]{40,64})/.exec(line);
    if (match) wants.push(match[1]!);
    offset += length;
  }
  return wants;
}

function streamGit(args: string[], protocol: string | null, input: Buffer | null): Readable {
  const child = spawn('git', args, {
    env: gitEnv(protocol ? { GIT_PROTOCOL: protocol } : {}),
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'ignore'],
  });
  if (input && child.stdin) {
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  }
  return child.stdout as Readable;
}

/** `GET info/refs?service=git-upload-pack`: the ref (v0) or capability (v2) advertisement. */
export function advertiseRefs(c: Context, dir: string): Response {
  const service = c.req.query('service');
  if (service === 'git-receive-pack')
    throw new ApiError('forbidden', 'the cache is a read-only mirror: push to the origin');
  if (service !== 'git-upload-pack')
    throw new ApiError('forbidden', 'only the smart HTTP protocol is served');
  const protocol = gitProtocol(c);
  const out = streamGit(['upload-pack', '--stateless-rpc', '--advertise-refs', dir], protocol, null);
  const v2 = protocol?.split(':').includes('version=2') ?? false;
  const prefix = v2 ? '' : `${pktLine('# service=git-upload-pack\n')}0000`;
  const body = Readable.from(
    (async function* () {
      if (prefix) yield Buffer.from(prefix);
      for await (const chunk of out) yield chunk as Buffer;
    })(),
  );
  return new Response(Readable.toWeb(body) as ReadableStream, {
    headers: {
      'content-type': 'application/x-git-upload-pack-advertisement',
      'cache-control': 'no-cache',
    },
  });
}

/** Reads an upload-pack request body, gunzipping what git compresses. */
export async function readUploadPackRequest(c: Context): Promise<Buffer> {
  const raw = await readBodyBytes(c, MAX_REQUEST_BYTES);
  if (c.req.header('content-encoding')?.toLowerCase() === 'gzip') {
    try {
      return gunzipSync(raw, { maxOutputLength: MAX_REQUEST_BYTES });
    } catch (error) {
      throw new ApiError('bad_request', `cannot gunzip request: ${(error as Error).message}`);
    }
  }
  return raw;
}

/** `POST git-upload-pack`: streams the pack `git upload-pack --stateless-rpc` answers. */
export function uploadPack(c: Context, dir: string, body: Buffer): Response {
  const out = streamGit(['upload-pack', '--stateless-rpc', dir], gitProtocol(c), body);
  return new Response(Readable.toWeb(out) as ReadableStream, {
    headers: { 'content-type': 'application/x-git-upload-pack-result', 'cache-control': 'no-cache' },
  });
}
