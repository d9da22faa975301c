/** `.sparkwing/ci.ts` of the repositories the runner tests execute. */
export const TEST_PIPELINES = `import { pipeline } from '@sparkwing/sdk';

export const ci = pipeline((p) => {
  const a = p.job('a', async (ctx) => {
    await ctx.sh('echo building a');
    return { n: 21 };
  });
  const b = p.job('b', (ctx) => ({ doubled: ctx.output(a).n * 2 })).needs(a);
  const c = p.job('c', (ctx) => ctx.sh('echo c >&2; echo "token:\${SPARKWING_RUNNER_TOKEN:-withheld}"')).needs(a);
  p.job('d', (ctx) => ctx.log('d sees', ctx.output(b).doubled)).needs(b, c).verify(() => undefined);
});

export const failures = pipeline((p) => {
  p.job('slow', (ctx) => ctx.sh('sleep 30')).timeout('1s');
  p.job('unverified', () => ({ ok: false })).verify((_ctx, out) => {
    if (!out.ok) throw new Error('output not ok');
  });
  p.job('exit3', (ctx) => ctx.sh('echo about to fail; exit 3'));
});

export const hog = pipeline((p) => {
  p.job('hog', (ctx) =>
    ctx.exec('node', ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(16 * 1024 * 1024, 1));']),
  ).resources({ memory: '160Mi' });
});

const SPIN = 'const t = Date.now(); while (Date.now() < t + 6000) {} const u = process.cpuUsage(); console.log(JSON.stringify({ cpu_ms: (u.user + u.system) / 1000, wall_ms: Date.now() - t }));';

export const busy = pipeline((p) => {
  p.job('spin', async (ctx) => JSON.parse((await ctx.exec('node', ['-e', SPIN])).stdout));
});

export const secretive = pipeline((p) => {
  p.job('use', async (ctx) => {
    const token = await ctx.secret('DEPLOY_TOKEN');
    await ctx.sh('echo "deploying with $TOK"', { env: { TOK: token } });
    console.log('raw console line ' + token);
    throw new Error('refused token ' + token);
  });
});

export const leaky = pipeline((p) => {
  p.job('leak', async (ctx) => {
    const token = await ctx.secret('LEAK_TOKEN');
    console.log('b64 ' + Buffer.from('user:' + token).toString('base64'));
    console.log('hex ' + Buffer.from(token).toString('hex'));
    return {
      token,
      nested: [{ b64: Buffer.from(token).toString('base64') }],
      url: 'https://x.test/?t=' + encodeURIComponent(token),
    };
  });
});

export const quick = pipeline((p) => {
  p.job('only', () => ({ ok: true }));
});

export const long = pipeline((p) => {
  p.job('wait', (ctx) => ctx.sh('sleep 60'));
});

export const sleepy = pipeline((p) => {
  p.job('nap', (ctx) => ctx.sh('sleep 3; echo rested'));
});
`;

export const PIPELINE_NAMES = [
  'ci',
  'failures',
  'hog',
  'busy',
  'sleepy',
  'secretive',
  'leaky',
  'quick',
  'long',
];
