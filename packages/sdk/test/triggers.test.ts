import { describe, expect, it } from 'vitest';
import {
  type ConfigError,
  matchTriggers,
  nextFireAfter,
  parseScheduleEntry,
  parseSparkwingConfig,
  type TriggerEvent,
  type Triggers,
} from '../src/config.js';

const push = (branch: string, changedFiles: string[] | null = null): TriggerEvent => ({
  kind: 'push',
  branch,
  changedFiles,
});
const tag = (name: string): TriggerEvent => ({ kind: 'tag', tag: name });
const pr = (action: string, baseBranch = 'main', changedFiles: string[] | null = null): TriggerEvent => ({
  kind: 'pull_request',
  action,
  baseBranch,
  changedFiles,
});

/** [description, on:, event, expected rule or false] */
const TABLE: [string, Triggers | undefined, TriggerEvent, string | false][] = [
  ['no on: block never runs', undefined, push('main'), false],
  ['bare push runs for any branch', { push: null }, push('feature/x'), 'push'],
  ['bare push runs for tags too', { push: null }, tag('v1.0.0'), 'push'],
  ['exact branch', { push: { branches: ['main'] } }, push('main'), 'push.branches: main'],
  ['exact branch refuses others', { push: { branches: ['main'] } }, push('mainline'), false],
  ['* stays in one segment', { push: { branches: ['release/*'] } }, push('release/1/hotfix'), false],
  [
    '* within a segment',
    { push: { branches: ['release/*'] } },
    push('release/1.2'),
    'push.branches: release/*',
  ],
  [
    '** crosses segments',
    { push: { branches: ['release/**'] } },
    push('release/1/hotfix'),
    'push.branches: release/**',
  ],
  ['{a,b} alternatives', { push: { branches: ['{main,dev}'] } }, push('dev'), 'push.branches: {main,dev}'],
  ['branches_ignore excludes', { push: { branches_ignore: ['wip/**'] } }, push('wip/a/b'), false],
  [
    'branches_ignore lets others through',
    { push: { branches_ignore: ['wip/**'] } },
    push('main'),
    'push.branches_ignore',
  ],
  ['branch-only filter skips tags', { push: { branches: ['main'] } }, tag('v1'), false],
  ['tag glob v*', { push: { tags: ['v*'] } }, tag('v1.2.3'), 'push.tags: v*'],
  ['tag glob refuses', { push: { tags: ['v*'] } }, tag('release-1'), false],
  ['tag-only filter skips branches', { push: { tags: ['v*'] } }, push('main'), false],
  ['tags_ignore', { push: { tags_ignore: ['nightly-*'] } }, tag('nightly-3'), false],
  [
    'paths match one file',
    { push: { paths: ['src/**'] } },
    push('main', ['README.md', 'src/a/b.ts']),
    'push +paths',
  ],
  ['paths match none', { push: { paths: ['src/**'] } }, push('main', ['docs/x.md']), false],
  [
    'paths ** matches dotfiles',
    { push: { paths: ['**/*.yml'] } },
    push('main', ['.github/ci.yml']),
    'push +paths',
  ],
  ['paths_ignore: all ignored', { push: { paths_ignore: ['docs/**'] } }, push('main', ['docs/a.md']), false],
  [
    'paths_ignore: one not ignored',
    { push: { paths_ignore: ['docs/**'] } },
    push('main', ['docs/a.md', 'x.ts']),
    'push +paths',
  ],
  ['paths with unknown files match', { push: { paths: ['src/**'] } }, push('main', null), 'push +paths'],
  ['paths with no changed files refuse', { push: { paths: ['src/**'] } }, push('main', []), false],
  [
    'paths are not checked for tags',
    { push: { tags: ['v*'], paths: ['src/**'] } },
    tag('v2'),
    'push.tags: v*',
  ],
  ['push does not answer PRs', { push: null }, pr('opened'), false],
  ['bare pull_request: opened', { pull_request: null }, pr('opened'), 'pull_request (opened)'],
  ['bare pull_request: synchronize', { pull_request: null }, pr('synchronize'), 'pull_request (synchronize)'],
  ['bare pull_request: not closed', { pull_request: null }, pr('closed'), false],
  ['bare pull_request: not labeled', { pull_request: null }, pr('labeled'), false],
  ['types narrows', { pull_request: { types: ['opened'] } }, pr('synchronize'), false],
  [
    'PR base branch filter',
    { pull_request: { branches: ['main'] } },
    pr('opened', 'main'),
    'pull_request.branches: main (opened)',
  ],
  ['PR base branch refuses', { pull_request: { branches: ['main'] } }, pr('opened', 'develop'), false],
  ['PR paths', { pull_request: { paths: ['api/**'] } }, pr('opened', 'main', ['web/x.ts']), false],
  ['pull_request does not answer pushes', { pull_request: null }, push('main'), false],
];

describe('on: filter semantics', () => {
  it.each(TABLE)('%s', (_name, on, event, expected) => {
    const result = matchTriggers(on, event);
    if (expected === false) expect(result.matched).toBe(false);
    else expect(result).toEqual({ matched: true, rule: expected });
  });
});

function errorOf(text: string): ConfigError {
  try {
    parseSparkwingConfig(text, '.sparkwing/sparkwing.yaml');
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const HEAD = 'pipelines:\n  - name: ci\n    entrypoint: ci\n';

describe('on: grammar', () => {
  it('parses the full grammar and concurrency', () => {
    const config = parseSparkwingConfig(
      `${HEAD}    on:\n      push:\n        branches: [main, 'release/**']\n        paths_ignore: ['docs/**']\n      pull_request:\n        types: [opened, closed]\n      schedule:\n        - '0 3 * * *'\n        - 'TZ=Europe/Berlin 30 9 * * 1-5'\n      webhook: true\n    concurrency:\n      group: 'ci-{branch}'\n      cancel_in_progress: true\n`,
    );
    expect(config.pipelines[0]).toMatchObject({
      on: {
        push: { branches: ['main', 'release/**'], paths_ignore: ['docs/**'] },
        pull_request: { types: ['opened', 'closed'] },
        schedule: ['0 3 * * *', 'TZ=Europe/Berlin 30 9 * * 1-5'],
        webhook: true,
      },
      concurrency: { group: 'ci-{branch}', cancel_in_progress: true },
    });
  });

  it('names file, line and key of a bad cron entry, an unknown filter key and a bad PR type', () => {
    const cron = errorOf(`${HEAD}    on:\n      schedule:\n        - '0 3 * * *'\n        - '61 * * * *'\n`);
    expect(cron).toMatchObject({ line: 7, key: 'pipelines[0].on.schedule[1]' });
    expect(cron.message).toMatch(
      /^\.sparkwing\/sparkwing\.yaml:7: pipelines\[0\]\.on\.schedule\[1\]: invalid cron/,
    );
    const sixFields = errorOf(`${HEAD}    on:\n      schedule: '0 0 3 * * *'\n`);
    expect(sixFields.message).toMatch(/must have 5 fields/);
    expect(sixFields.line).toBe(5);
    const tz = errorOf(`${HEAD}    on:\n      schedule: 'TZ=Mars/Base 0 3 * * *'\n`);
    expect(tz.message).toMatch(/unknown time zone "Mars\/Base"/);
    const unknown = errorOf(`${HEAD}    on:\n      push:\n        branch: [main]\n`);
    expect(unknown).toMatchObject({ line: 6, key: 'pipelines[0].on.push.branch' });
    const type = errorOf(`${HEAD}    on:\n      pull_request:\n        types: [opend]\n`);
    expect(type).toMatchObject({ line: 6, key: 'pipelines[0].on.pull_request.types[0]' });
  });

  it('refuses negated globs and branches together with branches_ignore', () => {
    expect(errorOf(`${HEAD}    on:\n      push:\n        branches: ['!main']\n`).message).toMatch(
      /negated globs are not supported/,
    );
    expect(
      errorOf(`${HEAD}    on:\n      push:\n        branches: [a]\n        branches_ignore: [b]\n`).message,
    ).toMatch(/either branches or branches_ignore/);
    expect(errorOf(`${HEAD}    concurrency:\n      cancel_in_progress: true\n`).key).toBe(
      'pipelines[0].concurrency.group',
    );
  });
});

describe('schedule entries', () => {
  it('evaluates cron in UTC by default and in the TZ= zone when given', () => {
    const from = Date.UTC(2026, 0, 2, 9, 0); // Friday
    expect(new Date(nextFireAfter(parseScheduleEntry('0 3 * * *'), from)!).toISOString()).toBe(
      '2026-01-03T03:00:00.000Z',
    );
    // 09:30 Berlin on weekdays is 08:30 UTC in winter; Saturday and Sunday are skipped.
    const berlin = parseScheduleEntry('TZ=Europe/Berlin 30 9 * * 1-5');
    expect(berlin).toMatchObject({ timezone: 'Europe/Berlin', cron: '30 9 * * 1-5' });
    expect(new Date(nextFireAfter(berlin, from)!).toISOString()).toBe('2026-01-05T08:30:00.000Z');
    // Strictly after: a time that is itself a slot gives the next slot.
    expect(nextFireAfter(parseScheduleEntry('*/15 * * * *'), Date.UTC(2026, 0, 1, 0, 15))).toBe(
      Date.UTC(2026, 0, 1, 0, 30),
    );
  });
});
