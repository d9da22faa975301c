import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ScrapeTarget {
  job: string;
  address: string;
}

export interface PrometheusHandle {
  url: string;
  query(expr: string): Promise<PromResponse>;
  stop(): Promise<void>;
  log(): string;
}

export interface PromResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string] }> };
}

/**
 * Starts the Debian `prometheus` binary as a plain process on 127.0.0.1 with a generated config and a temp
 * TSDB; scrapes the given targets every second.
 */
export async function startPrometheus(
  targets: ScrapeTarget[] = [],
  ruleFiles: string[] = [],
): Promise<PrometheusHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-prom-'));
  const jobs = targets
    .map((t) => `  - job_name: ${t.job}\n    static_configs:\n      - targets: ['${t.address}']`)
    .join('\n');
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ruleFiles.length ? `rule_files:\n${ruleFiles.map((f) => `  - ${f}`).join('\n')}` : '',
    targets.length ? `scrape_configs:\n${jobs}` : 'scrape_configs: []',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => output,
    async query(expr: string) {
      const res = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }),
      });
      return (await res.json()) as PromResponse;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
