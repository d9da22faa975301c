import { describe, expect, it } from 'vitest';
import { evaluatePlan, PipelineError, pipeline } from '../src/index.js';

const ci = pipeline((p) => {
  const lint = p.job('lint', () => undefined);
  const test = p
    .job('test', () => ({ passed: 3 }))
    .retry(2)
    .requires('linux', 'arm64,amd64');
  const build = p
    .job('build')
    .needs(lint, test)
    .timeout('90s')
    .env({ MODE: p.args.mode ?? 'debug' })
    .resources({ memory: '256Mi' })
    .step('compile', () => 1)
    .step('package', () => 2, { needs: ['compile'] });
  p.job('deploy', () => undefined)
    .needs(build)
    .verify(() => undefined);
});

describe('evaluatePlan', () => {
  it('turns jobs into the controller plan', () => {
    expect(evaluatePlan(ci, { mode: 'release' }, { requires: ['local'], timeoutMs: 600_000 })).toEqual({
      nodes: [
        { id: 'lint', requires: ['local'], timeout_s: 600 },
        { id: 'test', requires: ['local', 'linux', 'arm64,amd64'], timeout_s: 600, retries: 2 },
        {
          id: 'build',
          needs: ['lint', 'test'],
          requires: ['local'],
          timeout_s: 90,
          env: { MODE: 'release' },
          resources: { memory: '256Mi' },
          steps: [{ id: 'compile' }, { id: 'package', needs: ['compile'] }],
        },
        { id: 'deploy', needs: ['build'], requires: ['local'], timeout_s: 600 },
      ],
    });
  });

  it('is pure: the same pipeline and args give the same DAG every time', () => {
    expect(evaluatePlan(ci, { mode: 'x' })).toEqual(evaluatePlan(ci, { mode: 'x' }));
  });

  it('refuses a plan that changes between evaluations', () => {
    let calls = 0;
    const flaky = pipeline((p) => {
      calls += 1;
      p.job(`job-${calls}`, () => undefined);
    });
    expect(() => evaluatePlan(flaky)).toThrow(/not deterministic/);
  });

  it('rejects unknown needs, cycles, bad ids and empty jobs', () => {
    expect(() => evaluatePlan(pipeline((p) => void p.job('a', () => 1).needs('nope')))).toThrow(
      /unknown job "nope"/,
    );
    expect(() =>
      evaluatePlan(
        pipeline((p) => {
          p.job('a', () => 1).needs('b');
          p.job('b', () => 1).needs('a');
        }),
      ),
    ).toThrow(PipelineError);
    expect(() => evaluatePlan(pipeline((p) => void p.job('_plan', () => 1)))).toThrow(/invalid/);
    expect(() => evaluatePlan(pipeline((p) => void p.job('a')))).toThrow(/neither a body nor steps/);
    expect(() => evaluatePlan(pipeline((p) => void p.job('a').step('x', () => 1, { needs: ['y'] })))).toThrow(
      /unknown step "y"/,
    );
    expect(() => evaluatePlan(pipeline(() => undefined))).toThrow(/no jobs/);
  });
});
