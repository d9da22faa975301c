export { openLocalStack, type LocalStack, type LocalStackOptions } from './local/stack.js';
export { localRun, localLabels, UsageError, type LocalRunOptions } from './local/run.js';
export { registerDashboardCommand } from './dashboard/command.js';
