import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DASHBOARD_HOST, dashboardPaths, readRecord, removeRecord } from './files.js';
import { answers, isAlive, stopProcess } from './process.js';

export interface StartOptions {
  home: string;
  port: number;
  /** The command that runs `dashboard serve` (defaults to this CLI's own entry). */
  entry: string[];
  timeoutMs?: number;
}

export interface StartResult {
  pid: number;
  url: string;
  logFile: string;
  replaced: number | null;
}

/** Stops a running dashboard (if any), spawns a detached one and waits until it accepts connections. */
export async function startDashboard(options: StartOptions): Promise<StartResult> {
  await mkdir(options.home, { recursive: true });
  const replaced = await stopDashboard(options.home);
  const { logFile } = dashboardPaths(options.home);
  const log = openSync(logFile, 'a');
  const logStart = statSync(logFile).size;
  const [command, ...prefix] = options.entry;
  const child = spawn(
    command!,
    [...prefix, 'dashboard', 'serve', '--port', String(options.port), '--home', options.home],
    { detached: true, stdio: ['ignore', log, log], env: process.env },
  );
  closeSync(log);
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const pid = child.pid!;
  const url = `http://${DASHBOARD_HOST}:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (exited !== null)
      throw new Error(`the dashboard exited with code ${exited}:\n${tail(logFile, logStart)}`);
    const record = await readRecord(options.home);
    if (record?.pid === pid && (await answers(record.url)))
      return { pid, url: record.url, logFile, replaced };
    await sleep(100);
  }
  await stopProcess(pid);
  throw new Error(`the dashboard did not answer on ${url} within the timeout:\n${tail(logFile, logStart)}`);
}

/** Stops the dashboard named by the pid file; returns its pid, or null when none was running. */
export async function stopDashboard(home: string): Promise<number | null> {
  const record = await readRecord(home);
  if (!record) return null;
  const wasAlive = isAlive(record.pid);
  if (wasAlive) await stopProcess(record.pid);
  await removeRecord(home, record.pid);
  return wasAlive ? record.pid : null;
}

export interface DashboardStatus {
  running: boolean;
  pid: number | null;
  url: string | null;
  answering: boolean;
  started_at: string | null;
}

export async function dashboardStatus(home: string): Promise<DashboardStatus> {
  const record = await readRecord(home);
  if (!record || !isAlive(record.pid))
    return { running: false, pid: null, url: null, answering: false, started_at: null };
  return {
    running: true,
    pid: record.pid,
    url: record.url,
    answering: await answers(record.url),
    started_at: record.started_at,
  };
}

/** The last lines this start wrote to the log (earlier starts' lines are not this failure). */
function tail(file: string, from: number, lines = 20): string {
  try {
    return readFileSync(file).subarray(from).toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
