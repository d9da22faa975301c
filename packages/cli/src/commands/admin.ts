import { ClientError } from '@sparkwing/client';
import { SCOPES, TOKEN_KINDS } from '@sparkwing/contracts';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  action,
  CliFailure,
  CliUsageError,
  type CliPaths,
  type CommonOptions,
  outputOption,
  printJson,
  profileOption,
  withExamples,
} from './context.js';
import { withBackend } from './runs.js';

type Common = CommonOptions;

// `.choices()` would be replaced by a repeatable option's own parser, so the check lives here.
function collectScope(value: string, previous: string[]): string[] {
  if (!(SCOPES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`Allowed choices are ${SCOPES.join(', ')}.`);
  return [...previous, value];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `${cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/** A 404 from a delete names what was missing instead of the generic API error. */
async function unlessMissing(call: Promise<unknown>, subject: string, label: string): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ClientError && error.status === 404)
      throw new CliFailure(`unknown ${subject} (${label})`);
    throw error;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is how `echo` and editors end the value, not part of it.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `sparkwing tokens create|list|revoke` and `sparkwing secrets set|list|rm` (admin scope). */
export function registerAdminCommands(program: Command, paths: () => CliPaths): void {
  const common = (command: Command) => command.addOption(profileOption()).addOption(outputOption());

  const tokens = program
    .command('tokens')
    .description('API tokens of the controller (admin; the local store, or a controller with --profile)');
  withExamples(
    common(tokens.command('create').description('create a token; its secret is printed once'))
      .requiredOption('--name <name>', 'what the token is for (shown as the actor of its runs)')
      .addOption(new Option('--kind <kind>', 'who uses it').choices([...TOKEN_KINDS]).default('user'))
      .addOption(
        new Option('--scope <scope>', `a scope it grants (repeatable): ${SCOPES.join(', ')}`)
          .argParser(collectScope)
          .default([]),
      ),
    ['sparkwing tokens create --name ci --kind service --scope runs.read --scope runs.write --profile prod'],
  ).action(
    action(async (opts: Common & { name: string; kind: (typeof TOKEN_KINDS)[number]; scope: string[] }) => {
      if (opts.scope.length === 0) throw new CliUsageError('pass at least one --scope');
      const scopes = [...new Set(opts.scope)] as (typeof SCOPES)[number][];
      return withBackend(paths(), opts, undefined, async (backend) => {
        const created = await backend.controller.createToken({ name: opts.name, kind: opts.kind, scopes });
        if (opts.output === 'json') printJson(created);
        else {
          process.stdout.write(`${created.token}\n`);
          process.stderr.write(
            `token ${created.prefix} (${created.name}, ${created.kind}: ${created.scopes.join(' ')}): shown only now\n`,
          );
        }
        return 0;
      });
    }),
  );
  withExamples(common(tokens.command('list').description('tokens (never their secrets)')), [
    'sparkwing tokens list -o json',
  ]).action(
    action(async (opts: Common) =>
      withBackend(paths(), opts, undefined, async (backend) => {
        const page = await backend.controller.listTokens();
        if (opts.output === 'json') printJson(page);
        else
          process.stdout.write(
            table(
              ['PREFIX', 'NAME', 'KIND', 'SCOPES', 'CREATED', 'LAST USED'],
              page.tokens.map((t) => [
                t.prefix,
                t.name,
                t.kind,
                t.scopes.join(' '),
                t.created_at,
                t.last_used_at ?? 'never',
              ]),
            ),
          );
        return 0;
      }),
    ),
  );
  withExamples(
    common(tokens.command('revoke').description('revoke a token by its prefix').argument('<prefix>')),
    ['sparkwing tokens revoke swt_AbCdEfGh'],
  ).action(
    action(async (prefix: string, opts: Common) =>
      withBackend(paths(), opts, undefined, async (backend) => {
        await unlessMissing(backend.controller.deleteToken(prefix), `token "${prefix}"`, backend.label);
        if (opts.output === 'json') printJson({ prefix, revoked: true });
        else process.stdout.write(`revoked token ${prefix}\n`);
        return 0;
      }),
    ),
  );

  const secrets = program
    .command('secrets')
    .description('secrets pipelines read with ctx.secret() (admin; values are never listed)');
  withExamples(
    common(
      secrets
        .command('set')
        .description('store or replace a secret; the value comes from stdin unless --value is given')
        .argument('<name>'),
    ).option('--value <value>', 'the value (visible in shell history and ps; prefer stdin)'),
    ['printf %s "$NPM_TOKEN" | sparkwing secrets set npm-token --profile prod'],
  ).action(
    action(async (name: string, opts: Common & { value?: string }) => {
      const value = opts.value ?? (await readStdin());
      if (value.length === 0) throw new CliUsageError('empty secret value: pipe it on stdin or pass --value');
      return withBackend(paths(), opts, undefined, async (backend) => {
        const info = await backend.controller.putSecret(name, value);
        if (opts.output === 'json') printJson(info);
        else process.stdout.write(`stored secret ${info.name}\n`);
        return 0;
      });
    }),
  );
  withExamples(common(secrets.command('list').description('secret names and dates')), [
    'sparkwing secrets list --profile prod',
  ]).action(
    action(async (opts: Common) =>
      withBackend(paths(), opts, undefined, async (backend) => {
        const page = await backend.controller.listSecrets();
        if (opts.output === 'json') printJson(page);
        else
          process.stdout.write(
            table(
              ['NAME', 'CREATED', 'UPDATED'],
              page.secrets.map((s) => [s.name, s.created_at, s.updated_at]),
            ),
          );
        return 0;
      }),
    ),
  );
  withExamples(common(secrets.command('rm').description('delete a secret').argument('<name>')), [
    'sparkwing secrets rm npm-token --profile prod',
  ]).action(
    action(async (name: string, opts: Common) =>
      withBackend(paths(), opts, undefined, async (backend) => {
        await unlessMissing(backend.controller.deleteSecret(name), `secret "${name}"`, backend.label);
        if (opts.output === 'json') printJson({ name, removed: true });
        else process.stdout.write(`removed secret ${name}\n`);
        return 0;
      }),
    ),
  );
}
