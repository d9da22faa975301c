import assert from 'node:assert/strict';
import { greet } from './greet.mjs';

assert.equal(greet('ada'), 'hello, ada');
assert.equal(greet(''), 'hello, ');
console.log('2 passed');
