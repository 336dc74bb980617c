import type { AppConfig } from '#core';
import { AzureBlobFileStorage, type AzureBlobFileStorageOptions } from './azure-blob-file-storage.js';
import type { FileStorage } from './file-storage.js';
import { LocalFileStorage } from './local-file-storage.js';

/**
 * The FileStorage for `config.effectiveStorageProvider` (Azure, or local disk under DATA_DIR when
 * Azure is not configured outside production), initialised: local directories exist, the Azure
 * container exists (created if missing).
 */
export async function createFileStorage(
  config: AppConfig,
  azureOptions: AzureBlobFileStorageOptions = {},
): Promise<FileStorage> {
  if (config.effectiveStorageProvider === 'azure') {
    const storage = AzureBlobFileStorage.fromConfig(config, azureOptions);
    await storage.init();
    return storage;
  }
  const storage = LocalFileStorage.fromConfig(config);
  await storage.init();
  return storage;
}
