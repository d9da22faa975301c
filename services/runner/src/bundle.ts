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
import { bundleDigest } from '@sparkwing/contracts';
import { fileURLToPath } from 'node:url';

/** Bumped when the generated entry or build options change, so old bundles are not reused. */
const BUNDLE_FORMAT = 1;
const ENTRY_RE = /\.(?:ts|mts|js|mjs)$/;
const SKIP_RE = /\.(?:d\.ts|test\.ts|spec\.ts)$/;

/** The cache's `/bin` store, keyed by content digest (`sha256-<hex>`). */
export interface BinCache {
  get(digest: string): Promise<Buffer | null>;
  put(digest: string, body: Buffer): Promise<void>;
}

export interface BundleResult {
  path: string;
  /** Source key (hash of `.sparkwing/`, SDK and esbuild) of a build from this checkout, else the digest. */
  key: string;
  /** `sha256-<hex>` of the bundle's content: what the cache stores it under and the run records. */
  digest: string;
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

function writeFileAtomic(path: string, content: Buffer): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

async function build(sparkwingDir: string, outfile: string): Promise<void> {
  const sdk = sdkEntry().path;
  const { build: esbuild } = await import('esbuild');
  const tmp = `${outfile}.${process.pid}.${Date.now()}.tmp`;
  await esbuild({
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
  renameSync(tmp, outfile);
}

export interface BundleOptions {
  /** The cache service's content-addressed `/bin` store. */
  bin?: BinCache;
  /**
   * The digest the run's `_plan` node recorded: a bundle from the local or remote cache is executed only if
   * its content has exactly this digest. Without it (the `_plan` node itself) only this checkout is trusted.
   */
  digest?: string | null;
  /** Told when a cached bundle is refused because its content does not match `digest`. */
  onRefused?: (why: string) => void;
}

/**
 * Compiles `.sparkwing/` into one ESM file named by its content digest. A job of a run whose `_plan`
 * recorded a digest reuses a bundle with that digest from `<home>/bundles/` or the cache's `/bin/{digest}`
 * (verified before use); otherwise the checkout is compiled (reusing this runner's own build of the same
 * sources) and the result is shared back under its digest. Nothing fetched by a name someone else chose
 * is ever executed.
 */
export async function bundlePipeline(
  sparkwingDir: string,
  home: string,
  options: BundleOptions = {},
): Promise<BundleResult> {
  const started = performance.now();
  const dir = join(home, 'bundles');
  mkdirSync(dir, { recursive: true });
  const done = (path: string, key: string, digest: string, source: BundleResult['source']) => ({
    path,
    key,
    digest,
    source,
    ms: performance.now() - started,
  });
  const { bin, digest: wanted } = options;
  if (wanted) {
    const path = join(dir, `${wanted}.mjs`);
    if (existsSync(path) && bundleDigest(readFileSync(path)) === wanted)
      return done(path, wanted, wanted, 'local');
    const remote = bin ? await bin.get(wanted).catch(() => null) : null;
    if (remote) {
      const actual = bundleDigest(remote);
      if (actual === wanted) {
        writeFileAtomic(path, remote);
        return done(path, wanted, wanted, 'remote');
      }
      options.onRefused?.(`refused the cached compiled pipeline ${wanted}: its content is ${actual}`);
    }
  }
  const key = bundleKey(sparkwingDir);
  const own = join(dir, `${key}.mjs`);
  const source = existsSync(own) ? 'local' : 'built';
  if (source === 'built') await build(sparkwingDir, own);
  const content = readFileSync(own);
  const digest = bundleDigest(content);
  // Always (re)written: a file left under this name with other content must not survive.
  const path = join(dir, `${digest}.mjs`);
  writeFileAtomic(path, content);
  if (source === 'built' && bin) await bin.put(digest, content).catch(() => undefined);
  return done(path, key, digest, source);
}
