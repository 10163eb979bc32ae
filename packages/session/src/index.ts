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
export { FileOperationIds, operationIdsDir } from './operation-ids.js';
export type { FileOperationIdsOptions } from './operation-ids.js';
