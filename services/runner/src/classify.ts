import type { FailureReason } from '@sparkwing/contracts';
import type { NodeProcessExit } from './node-process.js';

export interface ExitFacts {
  exit: NodeProcessExit;
  timedOut: boolean;
  cancelled: boolean;
  /** The node cgroup's oom_kill counter: the only accepted evidence of an OOM kill. */
  oomKills: number;
  logsAuthFailed: boolean;
}

export interface Verdict {
  outcome: 'success' | 'failed';
  failure_reason: FailureReason | null;
  exit_code: number | null;
  error: string | null;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function processExitCode(exit: NodeProcessExit): number | null {
  if (exit.code !== null) return exit.code;
  return exit.signal ? 128 + (SIGNALS[exit.signal] ?? 0) : null;
}

/** Turns how a node process ended into the finish report's outcome, reason and exit code. */
export function classifyExit(facts: ExitFacts): Verdict {
  const { exit } = facts;
  const code = processExitCode(exit);
  if (facts.logsAuthFailed) {
    return {
      outcome: 'failed',
      failure_reason: 'logs_auth',
      exit_code: code,
      error: 'log appends were rejected (401/403)',
    };
  }
  if (facts.oomKills > 0) {
    return {
      outcome: 'failed',
      failure_reason: 'oom_killed',
      exit_code: 137,
      error: 'killed by the kernel OOM killer (cgroup memory limit)',
    };
  }
  if (facts.timedOut)
    return {
      outcome: 'failed',
      failure_reason: 'timeout',
      exit_code: code,
      error: 'the node exceeded its timeout',
    };
  if (facts.cancelled)
    return { outcome: 'failed', failure_reason: null, exit_code: code, error: 'cancelled' };
  const message = exit.message;
  if (message?.type === 'plan')
    return { outcome: 'success', failure_reason: null, exit_code: 0, error: null };
  if (message?.type === 'plan_error')
    return { outcome: 'failed', failure_reason: null, exit_code: code, error: message.error };
  if (message?.type === 'result') {
    const { result } = message;
    if (result.ok) return { outcome: 'success', failure_reason: null, exit_code: 0, error: null };
    return {
      outcome: 'failed',
      failure_reason: result.phase === 'verify' ? 'verify' : null,
      exit_code: result.exitCode ?? (result.phase === 'verify' ? 0 : 1),
      error: result.error,
    };
  }
  return {
    outcome: 'failed',
    failure_reason: null,
    exit_code: code,
    error: exit.signal
      ? `the node process was killed by ${exit.signal}`
      : `the node process exited with code ${code} without a result`,
  };
}
