import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

const root = dirname(fileURLToPath(import.meta.url));
const BIN_DIR = 'dist/bin';

/**
 * What the `sparkwing` bundle leaves to Node's resolver: native addons, esbuild (a binary of its own), and
 * the heavy imports nothing on a local path loads (the Kubernetes client, the OpenTelemetry SDK).
 */
const KEEP_EXTERNAL = [
  'better-sqlite3',
  'esbuild',
  '@kubernetes/client-node',
  '@opentelemetry/sdk-',
  '@opentelemetry/exporter-',
  '@opentelemetry/resources',
];
const keptPattern = KEEP_EXTERNAL.map((name) => name.replace(/[/.-]/g, '\\$&')).join('|');
// tsup bundles whatever `noExternal` matches, whatever `external` says: so it matches everything else.
const BUNDLED = new RegExp(`^(?!${keptPattern})`);
const KEPT = new RegExp(`^(?:${keptPattern})`);

export default defineConfig([
  // The library entry (openLocalStack, localRun) for other packages: ordinary ESM over the workspace packages.
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    clean: false,
    target: 'node20',
  },
  // The command: one esbuild bundle of everything it can load, split so that each command loads only its
  // own chunks (hundreds of ESM files resolved one by one were most of the start-up time).
  {
    entry: { main: 'src/main.ts' },
    outDir: BIN_DIR,
    format: ['esm'],
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    noExternal: [BUNDLED],
    external: [KEPT],
    // Bundled CommonJS dependencies (prom-client, tar's deps) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __swCreateRequire } from 'node:module'; const require = __swCreateRequire(import.meta.url);",
    },
    // Files the bundled services find next to their own module: the controller's migrations and the
    // dashboard's browser app.
    onSuccess: async () => {
      cpSync(join(root, '../../services/controller/drizzle'), join(root, BIN_DIR, 'drizzle'), {
        recursive: true,
      });
      cpSync(join(root, '../../services/web/dist/public'), join(root, BIN_DIR, 'public'), {
        recursive: true,
      });
    },
  },
]);
