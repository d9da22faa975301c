import { ApiError, changesQuerySchema, registerMirrorRequestSchema } from '@sparkwing/contracts';
import { safeTreePath, UnsafeTarError } from '@sparkwing/client';
import { readJson, readQuery } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { z } from 'zod';
import { allow, assertMirrorAdmin, type AuthVariables } from '../auth.js';
import type { CacheDeps } from '../deps.js';
import { advertiseRefs, parseWants, readUploadPackRequest, uploadPack } from '../git/smart-http.js';
import { changedFiles } from '../git/changes.js';
import { runGit } from '../git/run-git.js';
import { touch, fileBody } from '../store/atomic.js';

const archiveQuerySchema = z.strictObject({
  repo: z.string().min(1).max(2048),
  ref: z.string().min(1).max(256),
});
const fileQuerySchema = archiveQuerySchema.extend({ path: z.string().min(1).max(4096) });

/** Mirror admin, smart-HTTP clone/fetch (read only), archives and single files. */
export function gitRoutes(deps: CacheDeps) {
  const { mirrors } = deps;
  const auth = deps.auth.middleware();
  const read = allow('gitRead');
  return new Hono<{ Variables: AuthVariables }>()
    .use('/git/*', auth)
    .use('/archive', auth, read)
    .use('/file', auth, read)
    .use('/changes', auth, read)
    .get('/git/repos', read, async (c) => c.json({ repos: await mirrors.list() }))
    .post('/git/repos', async (c) => {
      assertMirrorAdmin(c.get('caller'));
      const body = await readJson(c, registerMirrorRequestSchema, 16 * 1024);
      const url = await deps.mirrorUrls.check(body.url);
      const { repo, created } = await mirrors.register(body.name, url);
      return c.json({ repo }, created ? 201 : 200);
    })
    .post('/git/repos/:name/refresh', async (c) => {
      assertMirrorAdmin(c.get('caller'));
      return c.json({ repo: await mirrors.refresh(c.req.param('name')) });
    })
    .get('/git/:name/info/refs', read, async (c) => {
      const { dir } = await mirrors.resolve(c.req.param('name'));
      return advertiseRefs(c, dir);
    })
    .post('/git/:name/git-upload-pack', read, async (c) => {
      const { name, dir } = await mirrors.resolve(c.req.param('name'));
      const body = await readUploadPackRequest(c);
      const wants = parseWants(body);
      if (wants.length > 0) await mirrors.ensureCommits(name, wants);
      return uploadPack(c, dir, body);
    })
    .post('/git/:name/git-receive-pack', () => {
      throw new ApiError('forbidden', 'the cache is a read-only mirror: push to the origin');
    })
    .get('/archive', async (c) => {
      const query = readQuery(c, archiveQuerySchema);
      const { name, dir } = await mirrors.resolve(query.repo);
      const sha = await mirrors.resolveCommit(name, query.ref);
      const { path, hit } = await deps.archives.ensure(name, dir, sha);
      if (hit) {
        deps.metrics.hit('archives');
        touch(path);
      } else {
        deps.metrics.miss('archives');
        deps.evictor.schedule();
      }
      deps.metrics.archivesServed.inc();
      return new Response(fileBody(path), {
        headers: {
          'content-type': 'application/gzip',
          'x-sparkwing-commit': sha,
          'content-disposition': `attachment; filename="${name}-${sha.slice(0, 12)}.tar.gz"`,
        },
      });
    })
    .get('/changes', async (c) => {
      const query = readQuery(c, changesQuerySchema);
      const { name } = await mirrors.resolve(query.repo);
      return c.json(await changedFiles(mirrors, name, query.base, query.head));
    })
    .get('/file', async (c) => {
      const query = readQuery(c, fileQuerySchema);
      let path: string;
      try {
        path = safeTreePath(query.path);
      } catch (error) {
        if (error instanceof UnsafeTarError) throw new ApiError('bad_request', error.message);
        throw error;
      }
      const { name, dir } = await mirrors.resolve(query.repo);
      const sha = await mirrors.resolveCommit(name, query.ref);
      const type = await runGit(['cat-file', '-t', `${sha}:${path}`], { cwd: dir });
      if (type.code !== 0 || type.stdout.toString().trim() !== 'blob') {
        throw new ApiError('not_found', `no file "${path}" at ${sha.slice(0, 12)} in "${name}"`);
      }
      const blob = await runGit(['cat-file', 'blob', `${sha}:${path}`], { cwd: dir });
      deps.metrics.filesServed.inc();
      return c.body(new Uint8Array(blob.stdout), 200, {
        'content-type': 'application/octet-stream',
        'x-sparkwing-commit': sha,
      });
    });
}
