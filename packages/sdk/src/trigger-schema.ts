import { z } from 'zod';
import { parseScheduleEntry } from './schedule.js';

/**
 * Glob lists of `on:` filters. `!` negation is refused: the `*_ignore` keys say the same thing without
 * order-dependent rules.
 */
const globList = z
  .array(
    z
      .string()
      .min(1)
      .refine((glob) => !glob.startsWith('!'), { message: 'negated globs are not supported: use *_ignore' }),
  )
  .min(1);

export const PR_TYPES = ['opened', 'synchronize', 'reopened', 'closed'] as const;
export const DEFAULT_PR_TYPES: readonly (typeof PR_TYPES)[number][] = ['opened', 'synchronize', 'reopened'];

const pushFilter = z
  .strictObject({
    branches: globList.optional(),
    branches_ignore: globList.optional(),
    tags: globList.optional(),
    tags_ignore: globList.optional(),
    paths: globList.optional(),
    paths_ignore: globList.optional(),
  })
  .refine((f) => !(f.branches && f.branches_ignore), {
    message: 'use either branches or branches_ignore, not both',
  })
  .refine((f) => !(f.tags && f.tags_ignore), { message: 'use either tags or tags_ignore, not both' })
  .nullable();

const pullRequestFilter = z
  .strictObject({
    branches: globList.optional(),
    branches_ignore: globList.optional(),
    paths: globList.optional(),
    paths_ignore: globList.optional(),
    types: z.array(z.enum(PR_TYPES)).min(1).optional(),
  })
  .refine((f) => !(f.branches && f.branches_ignore), {
    message: 'use either branches or branches_ignore, not both',
  })
  .nullable();

/** One entry or a list; each entry is checked by the cron library so lint and controller agree. */
const schedule = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).superRefine((value, ctx) => {
  const entries = typeof value === 'string' ? [value] : value;
  entries.forEach((entry, index) => {
    try {
      parseScheduleEntry(entry);
    } catch (error) {
      const path = typeof value === 'string' ? [] : [index];
      ctx.addIssue({ code: 'custom', message: (error as Error).message, path });
    }
  });
});

export const triggersSchema = z.strictObject({
  push: pushFilter.optional(),
  pull_request: pullRequestFilter.optional(),
  schedule: schedule.optional(),
  webhook: z.union([z.boolean(), z.null()]).optional(),
});
export type Triggers = z.infer<typeof triggersSchema>;
export type PushFilter = NonNullable<Triggers['push']>;
export type PullRequestFilter = NonNullable<Triggers['pull_request']>;

/** `{pipeline}`, `{ref}`, `{branch}`, `{pr}`, `{event}` in `group` are replaced per run. */
export const concurrencySchema = z.strictObject({
  group: z.string().min(1).max(200),
  cancel_in_progress: z.boolean().default(false),
});
export type Concurrency = z.infer<typeof concurrencySchema>;
