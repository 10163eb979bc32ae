export { safeLine, safeText } from './safe-text.js';
export type { SafeTextOptions } from './safe-text.js';
