import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendResponse, LogRecord, LogSearchResponse, RunLogs } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import type { LogsMetrics } from '../metrics.js';
import { NodeChannel } from './node-channel.js';
import { readNodeFile } from './node-reader.js';
import { type AppendOutcome, NodeWriter, type PreparedRecord, WriterClosedError } from './node-writer.js';
import { type SearchRequest, searchLogs } from './search.js';
import { SeqIndexCache } from './seq-index.js';

export interface LogStoreOptions {
  /** Root data dir; node files live at `<dataDir>/runs/<runID>/<nodeID>.log`. */
  dataDir: string;
  metrics: LogsMetrics;
  logger: Logger;
  /** Stat fallback period for following files appended by another process. */
  pollIntervalMs?: number;
  /** Open writers kept before the least recently used idle one is closed. */
  maxOpenWriters?: number;
  searchBudget?: { maxBytes: number; maxFiles: number };
}

export interface ReadQuery {
  afterSeq?: number;
  limit: number;
  tail?: number;
  grep?: string;
}

export interface Follow {
  channel: NodeChannel;
  release(): void;
}

const key = (runId: string, nodeId: string) => `${runId}/${nodeId}`;

/**
 * The logs storage engine: one append-only file per node, a group-committing writer per file this process
 * appends to, and shared live channels for followers. Callers validate ids (isSafeId) before calling.
 */
export class LogStore {
  readonly runsDir: string;
  private readonly writers = new Map<string, Promise<NodeWriter>>();
  private readonly opened = new Map<string, NodeWriter>();
  private readonly channels = new Map<string, { channel: NodeChannel; refs: number }>();
  private readonly indexes = new SeqIndexCache();
  private readonly pollIntervalMs: number;
  private readonly maxOpenWriters: number;
  private closing = false;

  constructor(private readonly options: LogStoreOptions) {
    this.runsDir = join(options.dataDir, 'runs');
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.maxOpenWriters = options.maxOpenWriters ?? 512;
  }

  nodePath(runId: string, nodeId: string): string {
    return join(this.runsDir, runId, `${nodeId}.log`);
  }

  /** Appends records; resolves once they are fsync'd. `writer` scopes the records' client_seq values. */
  async append(
    runId: string,
    nodeId: string,
    records: PreparedRecord[],
    writer?: string,
  ): Promise<AppendResponse> {
    if (this.closing) throw new Error('log store is closing');
    let outcome: AppendOutcome;
    try {
      outcome = await (await this.writerFor(runId, nodeId)).append(records, writer);
    } catch (error) {
      if (!(error instanceof WriterClosedError)) throw error;
      outcome = await (await this.writerFor(runId, nodeId)).append(records, writer);
    }
    const { metrics } = this.options;
    metrics.appendedRecords.inc(outcome.stored);
    metrics.appendedBytes.inc(outcome.bytes);
    if (outcome.duplicates > 0) metrics.duplicateRecords.inc(outcome.duplicates);
    return {
      first_seq: outcome.firstSeq,
      last_seq: outcome.lastSeq,
      stored: outcome.stored,
      duplicates: outcome.duplicates,
    };
  }

  read(runId: string, nodeId: string, query: ReadQuery): Promise<LogRecord[]> {
    return readNodeFile(this.nodePath(runId, nodeId), {
      ...query,
      to: this.durableSize(runId, nodeId),
      index: this.indexes.get(key(runId, nodeId)),
    });
  }

  /** Every node of a run, nodes in id order, at most `limit` records each. */
  async readRun(runId: string, limit: number): Promise<RunLogs> {
    const nodes = await this.listNodes(runId);
    const out: RunLogs['nodes'] = [];
    for (const nodeId of nodes) {
      const records = await this.read(runId, nodeId, { limit: limit + 1 });
      out.push({ node_id: nodeId, records: records.slice(0, limit), truncated: records.length > limit });
    }
    return { run_id: runId, nodes: out };
  }

  search(request: SearchRequest): Promise<LogSearchResponse> {
    return searchLogs(
      this.runsDir,
      request,
      this.options.searchBudget ?? { maxBytes: 16 * 1024 * 1024, maxFiles: 2_000 },
      (r, n) => this.durableSize(r, n),
    );
  }

  /** Removes a run's logs (a run without logs is fine); its open followers are ended. */
  async deleteRun(runId: string): Promise<void> {
    const prefix = `${runId}/`;
    for (const [k, pending] of [...this.writers]) {
      if (!k.startsWith(prefix)) continue;
      this.writers.delete(k);
      this.opened.delete(k);
      await (await pending.catch(() => null))?.close();
    }
    for (const [k, entry] of this.channels) {
      if (k.startsWith(prefix)) entry.channel.close();
    }
    this.indexes.dropPrefix(prefix);
    await rm(join(this.runsDir, runId), { recursive: true, force: true });
  }

  /** Subscribes to a node's live channel (shared by all its followers); call `release` when done. */
  follow(runId: string, nodeId: string): Follow {
    const k = key(runId, nodeId);
    let entry = this.channels.get(k);
    if (!entry || entry.channel.closed) {
      entry = {
        channel: new NodeChannel({
          path: this.nodePath(runId, nodeId),
          pollIntervalMs: this.pollIntervalMs,
          hasLocalWriter: () => this.opened.has(k),
          onError: (error) =>
            this.options.logger.warn('log follow failed', { error, run_id: runId, node_id: nodeId }),
        }),
        refs: 0,
      };
      this.channels.set(k, entry);
    }
    const current = entry;
    current.refs += 1;
    let released = false;
    return {
      channel: current.channel,
      release: () => {
        if (released) return;
        released = true;
        current.refs -= 1;
        if (current.refs === 0) {
          current.channel.close();
          if (this.channels.get(k) === current) this.channels.delete(k);
        }
      },
    };
  }

  /** Waits for queued appends, closes files and ends every follower. */
  async close(): Promise<void> {
    this.closing = true;
    for (const entry of this.channels.values()) entry.channel.close();
    this.channels.clear();
    const pending = [...this.writers.values()];
    this.writers.clear();
    this.opened.clear();
    await Promise.all(pending.map(async (p) => (await p.catch(() => null))?.close()));
  }

  private durableSize(runId: string, nodeId: string): number | undefined {
    return this.opened.get(key(runId, nodeId))?.durableSize;
  }

  private async listNodes(runId: string): Promise<string[]> {
    try {
      return (await readdir(join(this.runsDir, runId)))
        .filter((name) => name.endsWith('.log'))
        .map((name) => name.slice(0, -4))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private writerFor(runId: string, nodeId: string): Promise<NodeWriter> {
    const k = key(runId, nodeId);
    const existing = this.writers.get(k);
    if (existing) {
      // Refresh LRU position.
      this.writers.delete(k);
      this.writers.set(k, existing);
      return existing;
    }
    const { metrics, logger } = this.options;
    const opening = NodeWriter.open(
      this.nodePath(runId, nodeId),
      {
        onDurable: (records, size) => this.channels.get(k)?.channel.publish(records, size),
        onFsync: (seconds) => metrics.fsyncDuration.observe(seconds),
      },
      (bytes) => {
        metrics.tornBytes.inc(bytes);
        logger.warn('discarded torn trailing line', { run_id: runId, node_id: nodeId, bytes });
      },
    );
    this.writers.set(k, opening);
    opening.then(
      (writer) => {
        if (this.writers.get(k) === opening) this.opened.set(k, writer);
        this.evictIdle();
      },
      () => {
        if (this.writers.get(k) === opening) this.writers.delete(k);
      },
    );
    return opening;
  }

  private evictIdle(): void {
    if (this.opened.size <= this.maxOpenWriters) return;
    for (const [k, writer] of this.opened) {
      if (this.opened.size <= this.maxOpenWriters) return;
      if (writer.busy) continue;
      this.opened.delete(k);
      this.writers.delete(k);
      void writer.close();
    }
  }
}
