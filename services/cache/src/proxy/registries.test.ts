import { describe, expect, it } from 'vitest';
import { isImmutable, proxyPathOrThrow, rewriteNpmPackument } from './registries.js';

describe('proxy registries', () => {
  it('classifies immutable artifacts per registry and treats everything else as metadata', () => {
    const cases: [Parameters<typeof isImmutable>[0], string, boolean][] = [
      ['npm', '/left-pad/-/left-pad-1.3.0.tgz', true],
      ['npm', '/@scope%2fpkg/-/pkg-1.0.0.tgz', true],
      ['npm', '/left-pad', false],
      ['pypi', '/packages/ab/cd/requests-2.0-py3-none-any.whl', true],
      ['pypi', '/simple/requests/', false],
      ['golang', '/golang.org/x/mod/@v/v0.1.0.zip', true],
      ['golang', '/golang.org/x/mod/@v/list', false],
      ['golang', '/golang.org/x/mod/@latest', false],
      ['rubygems', '/gems/rake-13.0.0.gem', true],
      ['rubygems', '/info/rake', false],
      ['alpine', '/v3.19/main/x86_64/musl-1.2.4-r2.apk', true],
      ['alpine', '/v3.19/main/x86_64/APKINDEX.tar.gz', false],
    ];
    for (const [registry, path, expected] of cases)
      expect(isImmutable(registry, path), `${registry} ${path}`).toBe(expected);
  });

  it('refuses paths that could climb out of the upstream', () => {
    expect(proxyPathOrThrow('/@scope%2fpkg')).toBe('/@scope%2fpkg');
    for (const bad of ['/a/%2e%2e/b', '/a/../b', '/a%00', '/%E0%A4%A', 'relative']) {
      expect(() => proxyPathOrThrow(bad), bad).toThrow();
    }
  });

  it('rewrites only tarball URLs that live on the upstream', () => {
    const doc = {
      name: 'p',
      versions: {
        '1.0.0': { dist: { tarball: 'https://registry.npmjs.org/p/-/p-1.0.0.tgz' } },
        '2.0.0': { dist: { tarball: 'https://elsewhere.example/p-2.0.0.tgz' } },
      },
    };
    const out = JSON.parse(
      rewriteNpmPackument(
        Buffer.from(JSON.stringify(doc)),
        'https://registry.npmjs.org/',
        'http://cache/proxy/npm',
      ).toString(),
    );
    expect(out.versions['1.0.0'].dist.tarball).toBe('http://cache/proxy/npm/p/-/p-1.0.0.tgz');
    expect(out.versions['2.0.0'].dist.tarball).toBe('https://elsewhere.example/p-2.0.0.tgz');
    expect(rewriteNpmPackument(Buffer.from('not json'), 'x', 'y').toString()).toBe('not json');
  });
});
