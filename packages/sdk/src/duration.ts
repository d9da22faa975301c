/** The special first node of every run (contracts' PLAN_NODE_ID). */
export const PLAN_NODE = '_plan';
