import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { AppConfig } from '#core';
import { FileJobsHandler } from './file-jobs.handler.js';
import { StoredFile } from './file.entity.js';
import { FilesController } from './files.controller.js';
import { FilesService } from './files.service.js';
import { FileStorageModule } from './storage/file-storage.module.js';

/**
 * Registers @fastify/multipart on the HTTP server. Its parser is global in Fastify, but the
 * media-type rule (NON_JSON_BODY_ROUTES) lets multipart reach POST /files/upload only; every other
 * route answers 415 before any parser runs.
 */
@Module({})
class MultipartRegistration implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    // Not awaited: awaiting would make Fastify build the routes declared so far before Nest sets its
    // error and not-found handlers; the plugin loads with the rest when the server starts.
    void fastify.register(multipart, {
      limits: { fileSize: this.config.maxUploadBytes + 1, files: 1, fields: 10, fieldSize: 4096, parts: 12 },
    });
  }
}

/**
 * Files: the entity, the storage provider, and where workers run the files queue's handlers; with
 * `http`, the /files routes and the multipart parser.
 */
@Module({})
export class FilesModule {
  static forRoot(opts: { workers: boolean; http?: boolean }): DynamicModule {
    return {
      module: FilesModule,
      imports: [
        TypeOrmModule.forFeature([StoredFile]),
        FileStorageModule,
        ...(opts.http ? [MultipartRegistration] : []),
      ],
      controllers: opts.http ? [FilesController] : [],
      providers: [FilesService, ...(opts.workers ? [FileJobsHandler] : [])],
      exports: [FilesService, FileStorageModule],
    };
  }
}
