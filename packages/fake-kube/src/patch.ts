import { badRequest, KubeError } from './errors.js';

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386 JSON merge patch (also used for strategic-merge patches, which agree for maps and scalars). */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function walk(doc: Json, path: string): { parent: Record<string, Json> | Json[]; key: string } {
  const parts = path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let parent: Json = doc;
  for (const part of parts.slice(0, -1)) {
    parent = Array.isArray(parent) ? parent[Number(part)] : isObject(parent) ? parent[part] : undefined;
    if (parent === undefined)
      throw new KubeError(422, 'Invalid', `the server rejected our request: path ${path} not found`);
  }
  if (!isObject(parent) && !Array.isArray(parent)) throw badRequest(`invalid patch path ${path}`);
  return { parent, key: parts[parts.length - 1] ?? '' };
}

/** RFC 6902 JSON patch with add, replace, remove and test. */
export function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  const result = structuredClone(doc);
  for (const op of ops as Array<{ op: string; path: string; value?: Json }>) {
    const { parent, key } = walk(result, op.path);
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : Number(key);
      if (op.op === 'add') parent.splice(index, 0, op.value);
      else if (op.op === 'replace') parent[index] = op.value;
      else if (op.op === 'remove') parent.splice(index, 1);
      else if (op.op === 'test' && JSON.stringify(parent[index]) !== JSON.stringify(op.value))
        throw new KubeError(422, 'Invalid', `test operation failed at ${op.path}`);
    } else {
      if (op.op === 'add' || op.op === 'replace') parent[key] = op.value;
      else if (op.op === 'remove') delete parent[key];
      else if (op.op === 'test' && JSON.stringify(parent[key]) !== JSON.stringify(op.value))
        throw new KubeError(422, 'Invalid', `test operation failed at ${op.path}`);
    }
  }
  return result;
}
