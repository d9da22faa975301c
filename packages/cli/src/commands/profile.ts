import type { Command } from 'commander';
import { loadProfiles, type Profile, profilesPath, saveProfiles } from '../profiles/store.js';
import { action, CliUsageError, type CliPaths, outputOption, printJson, withExamples } from './context.js';

function mask(token: string): string {
  return token.length <= 8 ? '****' : `${token.slice(0, 8)}…`;
}

/** `sparkwing profile add|list|use|remove`: controller endpoints and tokens in profiles.yaml (mode 0600). */
export function registerProfileCommands(program: Command, paths: () => CliPaths): void {
  const profile = withExamples(
    program.command('profile').description('manage controller profiles (~/.config/sparkwing/profiles.yaml)'),
    [
      'sparkwing profile add prod --url https://sparkwing.example.com --token swt_… --default',
      'sparkwing profile list',
    ],
  );
  const file = () => profilesPath(paths().configDir);

  withExamples(
    profile
      .command('add')
      .description('add or replace a profile')
      .argument('<name>', 'profile name (letters, digits, ._-)')
      .requiredOption('--url <url>', 'controller base URL')
      .requiredOption('--token <token>', 'API token (scopes runs.read, runs.write; admin for prune)')
      .option(
        '--cache-url <url>',
        'cache URL, when the one the controller reports is not reachable from here',
      )
      .option('--logs-url <url>', 'logs URL, when the one the controller reports is not reachable from here')
      .option('--default', 'make it the default profile')
      .addOption(outputOption()),
    ['sparkwing profile add staging --url http://127.0.0.1:8080 --token "$TOKEN" --default'],
  ).action(
    action(
      async (
        name: string,
        opts: { url: string; token: string; cacheUrl?: string; logsUrl?: string; default?: boolean },
      ) => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
          throw new CliUsageError(`invalid profile name "${name}": letters, digits, ._-`);
        if (!/^https?:\/\/\S+$/.test(opts.url))
          throw new CliUsageError(`--url must be an http(s) URL, got "${opts.url}"`);
        const current = loadProfiles(file());
        const entry: Profile = { controller: { url: opts.url, token: opts.token } };
        if (opts.cacheUrl) entry.cache = { url: opts.cacheUrl };
        if (opts.logsUrl) entry.logs = { url: opts.logsUrl };
        current.profiles[name] = entry;
        if (opts.default || !current.default) current.default = name;
        saveProfiles(file(), current);
        process.stdout.write(
          `profile ${name} saved in ${file()}${current.default === name ? ' (default)' : ''}\n`,
        );
        return 0;
      },
    ),
  );

  withExamples(
    profile.command('list').description('list profiles (tokens masked)').addOption(outputOption()),
    ['sparkwing profile list -o json'],
  ).action(
    action(async (opts: { output: string }) => {
      const current = loadProfiles(file());
      const rows = Object.entries(current.profiles).map(([name, entry]) => ({
        name,
        default: current.default === name,
        controller_url: entry.controller.url,
        token: mask(entry.controller.token),
        cache_url: entry.cache?.url ?? null,
        logs_url: entry.logs?.url ?? null,
      }));
      if (opts.output === 'json')
        printJson({ file: file(), default: current.default ?? null, profiles: rows });
      else if (rows.length === 0)
        process.stdout.write(
          `no profiles in ${file()}: sparkwing profile add NAME --url URL --token TOKEN\n`,
        );
      else
        for (const row of rows)
          process.stdout.write(
            `${row.default ? '*' : ' '} ${row.name.padEnd(16)} ${row.controller_url}  ${row.token}\n`,
          );
      return 0;
    }),
  );

  withExamples(
    profile
      .command('use')
      .description('set the default profile')
      .argument('<name>')
      .addOption(outputOption()),
    ['sparkwing profile use prod'],
  ).action(
    action(async (name: string) => {
      const current = loadProfiles(file());
      if (!current.profiles[name])
        throw new CliUsageError(
          `no profile "${name}" (known: ${Object.keys(current.profiles).join(', ') || 'none'})`,
        );
      current.default = name;
      saveProfiles(file(), current);
      process.stdout.write(`default profile: ${name}\n`);
      return 0;
    }),
  );

  withExamples(
    profile.command('remove').description('delete a profile').argument('<name>').addOption(outputOption()),
    ['sparkwing profile remove staging'],
  ).action(
    action(async (name: string, opts: { output: string }) => {
      const current = loadProfiles(file());
      if (!current.profiles[name]) throw new CliUsageError(`no profile "${name}"`);
      delete current.profiles[name];
      if (current.default === name) delete current.default;
      saveProfiles(file(), current);
      if (opts.output === 'json') printJson({ removed: name, default: current.default ?? null });
      else process.stdout.write(`profile ${name} removed\n`);
      return 0;
    }),
  );
}
