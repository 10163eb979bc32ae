export {
  configPath,
  DEFAULT_HOST,
  fileTokenStore,
  readConfig,
  resolveHosts,
  stableClientId,
  updateConfig,
  writeConfig,
} from './config.js';
export type { SavedConfig } from './config.js';
