import { describe, expect, it } from 'vitest';
import {
  createContext,
  DOCKER_ENV,
  dockerBuild,
  evaluatePlan,
  Masker,
  maskRegistryCredentials,
  PipelineError,
  pipeline,
  qualifyImage,
  runTag,
} from '../src/index.js';

describe('docker helpers', () => {
  it('docker() and cache(pool) ask for a warm cache through a requires term', () => {
    const plan = evaluatePlan(
      pipeline((p) => {
        p.job('build', () => undefined).docker();
        p.job('deps', () => undefined).cache('npm');
        p.job('pull', () => undefined).requires('docker');
      }),
    );
    expect(plan.nodes.map((n) => n.requires)).toEqual([['cache:docker'], ['cache:npm'], ['docker']]);
    expect(() => evaluatePlan(pipeline((p) => void p.job('x', () => undefined).cache('Bad Pool')))).toThrow(
      PipelineError,
    );
  });

  it('derives a valid tag from the run id and qualifies images with the configured registry', () => {
    expect(runTag('run_0mxdy:43/x')).toBe('run-run_0mxdy-43-x');
    expect(runTag('r'.repeat(300))).toHaveLength(128);
    expect(qualifyImage('team/api', 'registry.registry.svc.cluster.local:5000')).toBe(
      'registry.registry.svc.cluster.local:5000/team/api',
    );
    expect(qualifyImage('ghcr.io/team/api', 'registry.local:5000')).toBe('ghcr.io/team/api');
    expect(qualifyImage('localhost/api', undefined)).toBe('localhost/api');
    expect(qualifyImage('api', undefined)).toBe('api');
    expect(() => qualifyImage('Team/API;rm -rf /', 'r:5000')).toThrow(PipelineError);
  });

  it('masks the registry password handed to the runner', () => {
    const masker = new Masker();
    maskRegistryCredentials({ [DOCKER_ENV.registryPassword]: 's3cret-registry-pw' }, (v) => masker.add(v));
    expect(masker.mask('login with s3cret-registry-pw')).toBe('login with ***');
    const none = new Masker();
    maskRegistryCredentials({}, (v) => none.add(v));
    expect(none.size).toBe(0);
  });

  it('refuses to push without a registry before touching the daemon', async () => {
    const lines: string[] = [];
    const ctx = createContext({
      runId: 'r1',
      jobId: 'build',
      args: {},
      outputs: {},
      env: { PATH: process.env.PATH },
      cwd: process.cwd(),
      signal: new AbortController().signal,
      write: (r) => lines.push(r.msg),
      getSecret: async () => '',
      mask: (t) => t,
      addSecret: () => undefined,
    });
    await expect(dockerBuild(ctx, { image: 'team/api' })).rejects.toThrow(/set SPARKWING_REGISTRY/);
    await expect(dockerBuild(ctx, { image: 'r:5000/team/api', tag: 'bad tag' })).rejects.toThrow(/tag/);
    expect(lines).toEqual([]);
  });
});
