import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSparkwingConfig } from '@sparkwing/sdk/config';
import { loadProfiles, type Profile, ProfilesError } from './store.js';

export interface ResolvedProfile {
  name: string;
  profile: Profile;
  /** Where the choice came from, for error messages. */
  source: 'flag' | 'project' | 'default';
}

/** `defaults.profile` of `<dir>/.sparkwing/sparkwing.yaml`, if the file exists and sets one. */
export function projectDefaultProfile(dir: string): string | undefined {
  const file = join(dir, '.sparkwing', 'sparkwing.yaml');
  if (!existsSync(file)) return undefined;
  return parseSparkwingConfig(readFileSync(file, 'utf8'), file).defaults?.profile;
}

/**
 * The profile a remote command uses: `--profile`, else the project's `defaults.profile`, else the profiles
 * file's `default`. Null when none is chosen (local commands then use the local store).
 */
export function resolveProfile(path: string, flag: string | undefined, dir: string): ResolvedProfile | null {
  const file = loadProfiles(path);
  const project = flag ? undefined : projectDefaultProfile(dir);
  const name = flag ?? project ?? file.default;
  if (!name) return null;
  const profile = file.profiles[name];
  if (!profile) {
    const known = Object.keys(file.profiles);
    throw new ProfilesError(
      `no profile "${name}" in ${path} (known: ${known.length ? known.join(', ') : 'none'}); add it with: sparkwing profile add ${name} --url URL --token TOKEN`,
    );
  }
  return { name, profile, source: flag ? 'flag' : project ? 'project' : 'default' };
}
