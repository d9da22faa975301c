import { describe, expect, it } from 'vitest';
import { ConfigError, findPipeline, parseSparkwingConfig } from '../src/config.js';

const VALID = `pipelines:
  - name: ci
    entrypoint: ci
    description: the build
    on:
      push:
        branches: [main]
    requires: [linux]
    timeout: 10m
`;

function errorOf(text: string): ConfigError {
  try {
    parseSparkwingConfig(text, '.sparkwing/sparkwing.yaml');
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSparkwingConfig', () => {
  it('parses a valid file', () => {
    const config = parseSparkwingConfig(VALID);
    expect(config.pipelines).toEqual([
      {
        name: 'ci',
        entrypoint: 'ci',
        description: 'the build',
        on: { push: { branches: ['main'] } },
        requires: ['linux'],
        timeout: '10m',
      },
    ]);
    expect(findPipeline(config, 'ci').entrypoint).toBe('ci');
  });

  it('names file, line and key of an unknown key', () => {
    const error = errorOf(`pipelines:\n  - name: ci\n    entrypoint: ci\n    timout: 5m\n`);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.file).toBe('.sparkwing/sparkwing.yaml');
    expect(error.line).toBe(4);
    expect(error.key).toBe('pipelines[0].timout');
    expect(error.message).toBe('.sparkwing/sparkwing.yaml:4: pipelines[0].timout: unknown key "timout"');
  });

  it('names the line of a bad value', () => {
    const error = errorOf(`pipelines:\n  - name: ci\n    entrypoint: ci\n\n    timeout: soon\n`);
    expect(error.line).toBe(5);
    expect(error.key).toBe('pipelines[0].timeout');
    expect(error.message).toContain('duration');
  });

  it('reports unknown top-level keys and missing fields', () => {
    expect(errorOf(`pipelines:\n  - name: a\n    entrypoint: a\nrunners: 3\n`)).toMatchObject({
      line: 4,
      key: 'runners',
    });
    expect(errorOf(`pipelines:\n  - name: a\n`)).toMatchObject({ line: 2, key: 'pipelines[0].entrypoint' });
  });

  it('reports YAML syntax errors and duplicate names with a line', () => {
    expect(errorOf(`pipelines:\n  - name: [a\n`).line).not.toBeNull();
    expect(
      errorOf(`pipelines:\n  - name: a\n    entrypoint: a\n  - name: a\n    entrypoint: b\n`),
    ).toMatchObject({
      line: 4,
      key: 'pipelines[1].name',
    });
  });

  it('lists the known pipelines when one is missing', () => {
    expect(() => findPipeline(parseSparkwingConfig(VALID), 'deploy')).toThrow(
      /no pipeline "deploy" \(known: ci\)/,
    );
  });

  it('accepts defaults.profile and refuses unknown keys under defaults', () => {
    expect(parseSparkwingConfig(`${VALID}defaults:\n  profile: prod\n`).defaults).toEqual({
      profile: 'prod',
    });
    expect(errorOf(`${VALID}defaults:\n  profil: prod\n`).message).toMatch(/defaults\.profil: unknown key/);
  });
});
