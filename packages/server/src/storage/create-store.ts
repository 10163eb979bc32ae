import type { FileStoreChoice } from '../config.js';
import type { Database } from '../db/database.js';
import type { FileStore } from './file-store.js';
import { FsStore } from './fs-store.js';
import { PostgresStore } from './postgres-store.js';
import { S3Store } from './s3-store.js';

/** The store FILE_STORE names (not yet opened). */
export function createStore(choice: FileStoreChoice, db: Database): FileStore {
  switch (choice.kind) {
    case 'postgres':
      return new PostgresStore(db);
    case 'fs':
      return new FsStore(choice.folder);
    case 's3':
      return new S3Store(choice);
  }
}
