import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Bumped when the generated entry or build options change, so old bundles are not reused. */
const BUNDLE_FORMAT = 1;
const ENTRY_RE = /\.(?:ts|mts|js|mjs)$/;
const SKIP_RE = /\.(?:d\.ts|test\.ts|spec\.ts)$/;

export interface BinCache {
  get(key: string): Promise<Buffer | null>;
  put(key: string, body: Buffer): Promise<void>;
}

export interface BundleResult {
  path: string;
  key: string;
  /** Where the bundle came from: built now, the local cache in $SPARKWING_HOME, or the cache service. */
  source: 'built' | 'local' | 'remote';
  ms: number;
}

/** esbuild's version without loading esbuild: it is only imported when a bundle must be built. */
const esbuildVersion: string = createRequire(import.meta.url)('esbuild/package.json').version;

let sdkEntryMemo: { path: string; hash: string } | undefined;

/** The SDK build every bundle is compiled against (pipelines need no npm install of their own). */
export function sdkEntry(): { path: string; hash: string } {
  if (!sdkEntryMemo) {
    const path = fileURLToPath(import.meta.resolve('@sparkwing/sdk'));
    const dist = dirname(path);
    const hash = createHash('sha256');
    for (const file of readdirSync(dist)
      .filter((name) => name.endsWith('.js'))
      .sort()) {
      hash.update(file).update(readFileSync(join(dist, file)));
    }
    sdkEntryMemo = { path, hash: hash.digest('hex') };
  }
  return sdkEntryMemo;
}

function listFiles(dir: string, base = dir, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, base, out);
    else if (entry.isFile()) out.push(relative(base, full));
  }
  return out.sort();
}

/** The content hash naming a compiled pipeline: every file under .sparkwing/, the SDK and esbuild versions. */
export function bundleKey(sparkwingDir: string): string {
  const hash = createHash('sha256');
  hash.update(`format ${BUNDLE_FORMAT}\nesbuild ${esbuildVersion}\nsdk ${sdkEntry().hash}\n`);
  for (const file of listFiles(sparkwingDir)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(sparkwingDir, file)));
    hash.update('\0');
  }
  return `pipeline-${hash.digest('hex').slice(0, 32)}`;
}

function entrySource(sparkwingDir: string): string {
  const modules = readdirSync(sparkwingDir)
    .filter(
      (name) => ENTRY_RE.test(name) && !SKIP_RE.test(name) && statSync(join(sparkwingDir, name)).isFile(),
    )
    .sort();
  if (modules.length === 0) throw new Error(`no pipeline modules (*.ts) in ${sparkwingDir}`);
  const imports = modules.map((name, index) => `import * as m${index} from ${JSON.stringify(`./${name}`)};`);
  return [
    "import { childMain } from '@sparkwing/sdk';",
    ...imports,
    `childMain([${modules.map((_, index) => `m${index}`).join(', ')}]);`,
  ].join('\n');
}

/**
 * Compiles `.sparkwing/` into one ESM file keyed by its content hash. Reuses a bundle from
 * `<home>/bundles/`, else from the cache service's `/bin/{key}` when one is configured, else builds it
 * (and shares it back).
 */
export async function bundlePipeline(
  sparkwingDir: string,
  home: string,
  bin?: BinCache,
): Promise<BundleResult> {
  const started = performance.now();
  const key = bundleKey(sparkwingDir);
  const dir = join(home, 'bundles');
  const path = join(dir, `${key}.mjs`);
  const done = (source: BundleResult['source']) => ({ path, key, source, ms: performance.now() - started });
  if (existsSync(path)) return done('local');
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  if (bin) {
    const remote = await bin.get(key).catch(() => null);
    if (remote) {
      writeFileSync(tmp, remote);
      renameSync(tmp, path);
      return done('remote');
    }
  }
  const sdk = sdkEntry().path;
  const { build } = await import('esbuild');
  await build({
    stdin: {
      contents: entrySource(sparkwingDir),
      resolveDir: sparkwingDir,
      sourcefile: '__sparkwing_entry.js',
      loader: 'js',
    },
    bundle: true,
    absWorkingDir: dirname(sparkwingDir),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: tmp,
    write: true,
    logLevel: 'silent',
    banner: {
      js: "import { createRequire as __swRequire } from 'node:module'; const require = __swRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'sparkwing-sdk',
        setup(b) {
          b.onResolve({ filter: /^@sparkwing\/sdk$/ }, () => ({ path: sdk }));
        },
      },
    ],
  });
  renameSync(tmp, path);
  if (bin) await bin.put(key, readFileSync(path)).catch(() => undefined);
  return done('built');
}
