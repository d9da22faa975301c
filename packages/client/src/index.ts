export * from './http.js';
export * from './controller.js';
