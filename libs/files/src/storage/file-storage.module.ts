import { Module } from '@nestjs/common';
import { AppConfig, Clock } from '#core';
import { FILE_STORAGE, FILE_STORAGE_WRAPPER, type FileStorage, type FileStorageWrapper } from './file-storage.js';
import { createFileStorage } from './file-storage.factory.js';

/**
 * Provides the configured FileStorage under the FILE_STORAGE token (needs the global AppConfig and
 * Clock, from ConfigModule and ClockModule). A FileStorageWrapper provided globally under
 * FILE_STORAGE_WRAPPER wraps it.
 */
@Module({
  providers: [
    {
      provide: FILE_STORAGE,
      inject: [AppConfig, Clock, { token: FILE_STORAGE_WRAPPER, optional: true }],
      useFactory: async (config: AppConfig, clock: Clock, wrap?: FileStorageWrapper): Promise<FileStorage> => {
        const storage = await createFileStorage(config, { now: () => clock.now() });
        return wrap ? wrap(storage) : storage;
      },
    },
  ],
  exports: [FILE_STORAGE],
})
export class FileStorageModule {}
