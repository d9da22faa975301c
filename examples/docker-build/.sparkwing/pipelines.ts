import { dockerBuild, dockerPull, pipeline } from '@sparkwing/sdk';

/** build (docker, warm cache) → verify (pulls the pushed image by its digest). */
export const image = pipeline(
  (p) => {
    const build = p
      .job('build', async (ctx) => {
        // No public registry is reachable from the test machines, so the image starts FROM scratch and
        // the runner host's static busybox stands in for a base image's shell.
        await ctx.sh('cp "$(command -v busybox)" image/busybox');
        return dockerBuild(ctx, { image: 'examples/hello-image', context: 'image' });
      })
      .docker();

    p.job('verify', async (ctx) => {
      const built = ctx.output(build);
      if (!built.pinned) throw new Error('the build pushed nothing');
      await dockerPull(ctx, built.pinned);
      const id = await ctx.exec('docker', ['image', 'inspect', '--format', '{{.Id}}', built.pinned]);
      ctx.log(`pulled ${built.pinned} (image ${id.stdout.trim()})`);
      return { pinned: built.pinned };
    })
      .needs(build)
      .requires('docker');
  },
  { description: 'docker build + push with a warm layer cache, pull by digest' },
);
