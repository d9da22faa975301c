import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, isSafeId, type LogSearchMatch, type LogSearchResponse } from '@sparkwing/contracts';
import { scanLines } from './line-scanner.js';
import { matcher } from './node-reader.js';
import { decodeStored } from './record-codec.js';

export interface SearchRequest {
  q: string;
  runId?: string;
  limit: number;
  cursor?: string;
}

export interface SearchBudget {
  /** Bytes of log files one request may scan before it returns a cursor. */
  maxBytes: number;
  /** Node files one request may open. */
  maxFiles: number;
}

interface Position {
  r: string;
  n: string;
  o: number;
}

const NODE_SUFFIX = '.log';

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Position;
    if (
      typeof value.r === 'string' &&
      typeof value.n === 'string' &&
      Number.isInteger(value.o) &&
      value.o >= 0
    ) {
      return value;
    }
  } catch {
    // Fall through to the error below.
  }
  throw new ApiError('validation_failed', 'invalid query: cursor: not a cursor this service issued');
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Substring search (case-insensitive) over message text, newest runs first. Run ids sort by creation time
 * (the controller's `run_<base36 ms>…` ids), so "newest first" is descending id order; within a run, nodes
 * go in id order and records in seq order. Each request scans a bounded number of bytes and files and
 * returns a cursor to continue from exactly where it stopped.
 */
export async function searchLogs(
  runsDir: string,
  request: SearchRequest,
  budget: SearchBudget,
  durableSize: (runId: string, nodeId: string) => number | undefined,
): Promise<LogSearchResponse> {
  const from = request.cursor ? decodeCursor(request.cursor) : null;
  const runs = request.runId
    ? [request.runId]
    : (await listDir(runsDir)).filter(isSafeId).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const matches: LogSearchMatch[] = [];
  const test = matcher(request.q);
  // A needle JSON would not escape can be looked for in the raw line first, skipping most parses.
  const rawNeedle =
    /^[\x20-\x7e]*$/.test(request.q) && !/["\\]/.test(request.q) ? request.q.toLowerCase() : null;
  let scanned = 0;
  let files = 0;
  for (const runId of runs) {
    if (from && runId > from.r) continue;
    const nodes = (await listDir(join(runsDir, runId)))
      .filter((name) => name.endsWith(NODE_SUFFIX))
      .map((name) => name.slice(0, -NODE_SUFFIX.length))
      .filter(isSafeId)
      .sort();
    for (const nodeId of nodes) {
      const resuming = from !== null && runId === from.r;
      if (resuming && nodeId < from.n) continue;
      let offset = resuming && nodeId === from.n ? from.o : 0;
      if (files >= budget.maxFiles || scanned >= budget.maxBytes) {
        return { matches, next_cursor: encodeCursor({ r: runId, n: nodeId, o: offset }) };
      }
      files += 1;
      const path = join(runsDir, runId, `${nodeId}${NODE_SUFFIX}`);
      for await (const line of scanLines(path, offset, durableSize(runId, nodeId))) {
        scanned += line.end - line.start;
        offset = line.end;
        const candidate = rawNeedle === null || line.text.toLowerCase().includes(rawNeedle);
        const record = candidate ? decodeStored(line.text) : null;
        if (record && test(record.msg)) {
          matches.push({ run_id: runId, node_id: nodeId, seq: record.seq, msg: record.msg });
          if (matches.length >= request.limit) {
            return { matches, next_cursor: encodeCursor({ r: runId, n: nodeId, o: offset }) };
          }
        }
        if (scanned >= budget.maxBytes) {
          return { matches, next_cursor: encodeCursor({ r: runId, n: nodeId, o: offset }) };
        }
      }
    }
  }
  return { matches, next_cursor: null };
}
