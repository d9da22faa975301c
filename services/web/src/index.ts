export { createApp, createWebApp } from './app.js';
export { configSchema, parseConfig, type WebConfig } from './config.js';
export {
  buildDeps,
  type FetchLike,
  type Upstream,
  type WebAppOptions,
  type WebDeps,
  type WebMode,
  webStaticDir,
} from './deps.js';
export { createWebMetrics, type WebMetrics } from './metrics.js';
export { SessionStore } from './session/store.js';
export { CSRF_HEADER, SESSION_COOKIE } from './session/viewer.js';
