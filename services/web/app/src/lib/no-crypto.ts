// Stand-in for node:crypto in the browser bundle: contracts' node-token helpers are never called here.
const unavailable = () => {
  throw new Error('node:crypto is not available in the browser');
};
export const createHmac = unavailable;
export const timingSafeEqual = unavailable;
export const randomBytes = unavailable;
export const createHash = unavailable;
