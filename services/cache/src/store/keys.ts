import { ApiError, isBlobKey, isSafeId } from '@sparkwing/contracts';

export function blobKeyOrThrow(key: string): string {
  if (!isBlobKey(key)) {
    throw new ApiError(
      'bad_request',
      'blob keys are 1-200 characters of letters, digits, ".", "_" or "-", not starting with "." and without ".."',
    );
  }
  return key;
}

export function runIdOrThrow(runId: string): string {
  if (!isSafeId(runId)) throw new ApiError('bad_request', `invalid run id "${runId.slice(0, 64)}"`);
  return runId;
}

/** Artifact paths: relative, `/`-separated, each segment a plain name; nothing that could leave the run dir. */
export function artifactPathOrThrow(raw: string): string {
  if (raw.length === 0 || raw.length > 1024)
    throw new ApiError('bad_request', 'artifact path must be 1-1024 characters');
  if (raw.includes('\0') || raw.includes('\\') || raw.startsWith('/')) {
    throw new ApiError('bad_request', 'artifact path must be relative without NUL or backslashes');
  }
  const parts = raw.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.startsWith('.sw-')) {
      throw new ApiError(
        'bad_request',
        `artifact path "${raw.slice(0, 200)}" has an empty, "." or ".." segment`,
      );
    }
    // Each segment becomes a file name: past the filesystem's limit the write would fail (ENAMETOOLONG).
    if (Buffer.byteLength(part) > 255) {
      throw new ApiError('bad_request', 'artifact path segments must be at most 255 bytes');
    }
  }
  return parts.join('/');
}
