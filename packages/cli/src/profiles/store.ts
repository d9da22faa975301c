import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

const urlSchema = z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL');

export const profileSchema = z.strictObject({
  controller: z.strictObject({ url: urlSchema, token: z.string().min(1) }),
  /** Overrides the cache URL the controller's health reports (e.g. when its in-cluster name is unreachable). */
  cache: z.strictObject({ url: urlSchema }).optional(),
  /** Overrides the logs URL the controller's health reports. */
  logs: z.strictObject({ url: urlSchema }).optional(),
});
export type Profile = z.infer<typeof profileSchema>;

export const profilesFileSchema = z.strictObject({
  default: z.string().min(1).optional(),
  profiles: z
    .record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'profile names: letters, digits, ._-'), profileSchema)
    .default({}),
});
export type ProfilesFile = z.infer<typeof profilesFileSchema>;

/** A profiles file that cannot be read or parsed: the message names the file. */
export class ProfilesError extends Error {}

/** `$SPARKWING_CONFIG_DIR`, else `$XDG_CONFIG_HOME/sparkwing`, else `~/.config/sparkwing` (decided in main). */
export function profilesPath(configDir: string): string {
  return join(configDir, 'profiles.yaml');
}

export function loadProfiles(path: string): ProfilesFile {
  if (!existsSync(path)) return { profiles: {} };
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ProfilesError(`${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = profilesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProfilesError(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Writes atomically with mode 0600: the file holds tokens. */
export function saveProfiles(path: string, file: ProfilesFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(file), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
