import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  byKind,
  COMPONENTS,
  containerEnv,
  find,
  type K8sObject,
  render,
  subchart,
  umbrellaChart,
} from './helm.js';

const secretData = (objects: K8sObject[]) =>
  Object.fromEntries(
    byKind(objects, 'Secret').map((s) => [
      s.metadata.name,
      Object.fromEntries(
        Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()]),
      ),
    ]),
  ) as Record<string, Record<string, string>>;

/** Every string under a key that names a credential, with its path. */
function credentialValues(value: unknown, path: string[] = []): Array<[string, string]> {
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => credentialValues(v, [...path, k]));
  }
  const key = path.at(-1) ?? '';
  const credentialKey = /(password|passwd|token|secret|apikey|signingkey|secretkey)$/i.test(key);
  const names = /^(existingSecret|name|key)$/i.test(key); // names of Secrets or keys, not values
  return credentialKey && !names && typeof value === 'string' && value !== ''
    ? [[path.join('.'), value]]
    : [];
}

describe('credentials', () => {
  it('are generated at random per install: two renders never share a value', async () => {
    const first = secretData(await render(umbrellaChart));
    const second = secretData(await render(umbrellaChart));
    expect(Object.keys(first).sort()).toEqual([
      'sparkwing-controller-secrets',
      'sparkwing-shared',
      'sparkwing-web-secrets',
    ]);
    for (const [secret, data] of Object.entries(first)) {
      for (const [key, value] of Object.entries(data)) {
        expect(value.length, `${secret}/${key}`).toBeGreaterThanOrEqual(32);
        expect(value, `${secret}/${key}`).not.toBe(second[secret]?.[key]);
      }
    }
  });

  it('hold the keys each service reads', async () => {
    const data = secretData(await render(umbrellaChart));
    expect(Object.keys(data['sparkwing-shared'] ?? {}).sort()).toEqual([
      'SPARKWING_RUNNER_TOKEN',
      'SPARKWING_SIGNING_KEY',
    ]);
    expect(Object.keys(data['sparkwing-controller-secrets'] ?? {}).sort()).toEqual([
      'GITHUB_WEBHOOK_SECRET',
      'SPARKWING_ADMIN_TOKEN',
      'SPARKWING_SECRET_KEY',
    ]);
    expect(Object.keys(data['sparkwing-web-secrets'] ?? {})).toEqual(['SPARKWING_SESSION_SECRET']);
  });

  it('never have a default in any values.yaml', () => {
    const files = [
      join(umbrellaChart, 'values.yaml'),
      ...COMPONENTS.map((c) => join(subchart(c), 'values.yaml')),
    ];
    for (const file of files) {
      const values = parse(readFileSync(file, 'utf8'));
      expect(credentialValues(values), file).toEqual([]);
    }
  });

  it('come from existing Secrets when named, and then none is generated', async () => {
    const objects = await render(umbrellaChart, [
      '--set',
      'global.sharedSecret.existingSecret=ops-shared',
      '--set',
      'controller.existingSecret=ops-controller',
      '--set',
      'web.existingSecret=ops-web',
    ]);
    expect(byKind(objects, 'Secret')).toEqual([]);
    const controller = containerEnv(find(objects, 'Deployment', 'sparkwing-controller'));
    expect(controller.SPARKWING_SIGNING_KEY).toBe('secret:ops-shared/SPARKWING_SIGNING_KEY');
    expect(controller.SPARKWING_ADMIN_TOKEN).toBe('secret:ops-controller/SPARKWING_ADMIN_TOKEN');
    expect(containerEnv(find(objects, 'Deployment', 'sparkwing-logs')).SPARKWING_SIGNING_KEY).toBe(
      'secret:ops-shared/SPARKWING_SIGNING_KEY',
    );
    expect(containerEnv(find(objects, 'Deployment', 'sparkwing-web')).SPARKWING_SESSION_SECRET).toBe(
      'secret:ops-web/SPARKWING_SESSION_SECRET',
    );
    expect(containerEnv(find(objects, 'Deployment', 'sparkwing-runner')).SPARKWING_RUNNER_TOKEN).toBe(
      'secret:ops-shared/SPARKWING_RUNNER_TOKEN',
    );
  });

  it('survive upgrades: generated Secrets are kept (lookup on upgrade, resource-policy keep)', async () => {
    const objects = await render(umbrellaChart);
    for (const name of ['sparkwing-shared', 'sparkwing-controller-secrets']) {
      expect(find(objects, 'Secret', name).metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
    const template = readFileSync(join(umbrellaChart, 'charts/sparkwing-lib/templates/_helpers.tpl'), 'utf8');
    expect(template).toContain('lookup "v1" "Secret"');
  });

  it('are generated once in the umbrella chart, not per subchart', async () => {
    const objects = await render(umbrellaChart);
    expect(byKind(objects, 'Secret').filter((s) => s.metadata.name === 'sparkwing-shared')).toHaveLength(1);
  });
});
