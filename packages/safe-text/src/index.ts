export { safeLine, safeText } from './safe-text.js';
export type { SafeTextOptions } from './safe-text.js';
export { humanSize, safeFileName } from './file-name.js';
export type { SafeFileNameOptions } from './file-name.js';
