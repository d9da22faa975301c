import { describe, expect, it } from 'vitest';
import { createMirrorUrlPolicy, isBlockedAddress } from './mirror-urls.js';

const DNS: Record<string, string[]> = {
  'git.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
  'rebind.example.com': ['93.184.216.34', '10.1.2.3'],
  'metadata.example.com': ['169.254.169.254'],
};
const resolve = async (host: string) => {
  const addresses = DNS[host];
  if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addresses;
};

describe('mirror URL policy', () => {
  it('accepts https:// to hosts whose every address is public', async () => {
    const policy = createMirrorUrlPolicy({ allow: [], resolve });
    await expect(policy.check('https://git.example.com/acme/app.git')).resolves.toBe(
      'https://git.example.com/acme/app.git',
    );
    await expect(policy.check('https://93.184.216.34/app.git')).resolves.toBeTruthy();
  });

  it('refuses a host with any private address, unresolvable hosts and non-https schemes', async () => {
    const policy = createMirrorUrlPolicy({ allow: [], resolve });
    for (const url of [
      'https://rebind.example.com/app.git',
      'https://metadata.example.com/',
      'https://nowhere.example.com/app.git',
      'http://git.example.com/app.git',
      'ftp://git.example.com/app.git',
      '/srv/git/app.git',
    ]) {
      await expect(policy.check(url), url).rejects.toMatchObject({ status: 400 });
    }
  });

  it('lets an operator allow-list prefixes, on path boundaries only', async () => {
    const policy = createMirrorUrlPolicy({ allow: ['http://git.internal:8080/', '/srv/git'], resolve });
    await expect(policy.check('http://git.internal:8080/acme/app.git')).resolves.toBeTruthy();
    await expect(policy.check('/srv/git/app.git')).resolves.toBeTruthy();
    await expect(policy.check('/srv/gitx/app.git')).rejects.toMatchObject({ status: 400 });
    await expect(policy.check('/srv/git/../../etc')).rejects.toMatchObject({ status: 400 });
  });

  it('classifies addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.20.0.1',
      '192.168.0.1',
      '169.254.1.1',
      '::1',
      'fe80::1',
      'fd12::1',
      '::ffff:10.0.0.1',
      '100.64.0.1',
      'not-an-ip',
    ])
      expect(isBlockedAddress(address), address).toBe(true);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:2800:220:1::1', '::ffff:8.8.8.8'])
      expect(isBlockedAddress(address), address).toBe(false);
  });
});
