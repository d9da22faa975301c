import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { append, ndjson, nodeToken, startService, tempDir } from './helpers.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

describe('process lifecycle', () => {
  it('refuses bad configuration with a readable message and exit code 1', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        SPARKWING_SIGNING_KEY: 'short',
        SPARKWING_CONTROLLER_URL: 'not a url',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('SPARKWING_SIGNING_KEY');
    expect(err).toContain('SPARKWING_CONTROLLER_URL');
  });

  it('shuts down cleanly on SIGTERM with its records on disk', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const service = await startService({ SPARKWING_DATA_DIR: dir });
      const response = await append(
        service.url,
        'run_t',
        'n',
        nodeToken('run_t', 'n'),
        ndjson([{ msg: 'kept' }]),
      );
      expect(response.status).toBe(200);
      expect(await service.stop()).toBe(0);
      const again = await startService({ SPARKWING_DATA_DIR: dir });
      const read = await fetch(`${again.url}/api/v1/logs/run_t/n`, {
        headers: { authorization: `Bearer ${nodeToken('run_t', 'n')}` },
      });
      expect(await read.text()).toContain('"msg":"kept"');
      expect(await again.stop()).toBe(0);
    } finally {
      await cleanup();
    }
  });
});
