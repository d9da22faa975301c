import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { pipeline } from '@sparkwing/sdk';

/** lint ∥ test → build → smoke (verified). */
export const hello = pipeline(
  (p) => {
    const lint = p.job('lint', async (ctx) => {
      await ctx.sh('node --check src/greet.mjs && echo "lint: src/greet.mjs is valid JavaScript"');
    });

    const test = p
      .job('test', async (ctx) => {
        const result = await ctx.sh('node src/greet.test.mjs');
        const passed = Number(/(\d+) passed/.exec(result.stdout)?.[1] ?? 0);
        return { passed };
      })
      .timeout('2m');

    const build = p
      .job('build')
      .needs(lint, test)
      .step('compile', async (ctx) => {
        await ctx.sh('mkdir -p dist && cp src/greet.mjs dist/greet.mjs');
      })
      .step(
        'stamp',
        async (ctx) => {
          const tests = ctx.output(test);
          await ctx.sh(`echo "built with ${tests.passed} passing tests" > dist/BUILD_INFO`);
          // Jobs may run on different runners: the artifact travels as an output, not through the disk.
          const source = await readFile('dist/greet.mjs', 'utf8');
          return { artifact: 'dist/greet.mjs', tests: tests.passed, source };
        },
        { needs: ['compile'] },
      )
      .resources({ cpu: '500m', memory: '256Mi' });

    p.job('smoke', async (ctx) => {
      // A job made of steps outputs an object of its steps' outputs.
      const built = ctx.output<{ stamp: { artifact: string; source: string } }>('build').stamp;
      await mkdir('dist', { recursive: true });
      await writeFile(built.artifact, built.source);
      const out = await ctx.exec('node', [built.artifact, ctx.args.name ?? 'sparkwing']);
      return { greeting: out.stdout.trim() };
    })
      .needs(build)
      .verify((_ctx, output) => {
        if (!output.greeting.startsWith('hello, '))
          throw new Error(`unexpected greeting: ${output.greeting}`);
      });
  },
  { description: 'the sample pipeline' },
);

/** A pipeline that fails on purpose: its test job exits non-zero. */
export const broken = pipeline((p) => {
  const prepare = p.job('prepare', async (ctx) => {
    ctx.log('preparing the workspace');
  });
  p.job('test', async (ctx) => {
    await ctx.sh(
      'echo "running 3 tests"; echo "1 passed"; echo "FAIL greet: expected hello, got goodbye" >&2; exit 3',
    );
  }).needs(prepare);
});
