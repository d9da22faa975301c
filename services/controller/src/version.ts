/** Reported by /api/v1/health; kept in step with package.json. */
export const CONTROLLER_VERSION = '0.1.0';
