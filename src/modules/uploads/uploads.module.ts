import path from 'node:path';
import { Inject, Logger, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { AppConfig } from '../../config/app-config';
import { RequestTransactionModule } from '../../platform/request-transaction/request-transaction.module';
import { ReleasesModule } from '../releases/releases.module';
import { HashingTempFileEngine, prepareTempDir, receivingSettled } from './hashing-temp-file-engine';
import { LocalDiskUploadStorage } from './storage/local-disk-upload-storage';
import { UPLOAD_STORAGE } from './storage/upload-storage';
import { TrackAudioController } from './track-audio.controller';
import { TrackAudioService } from './track-audio.service';
import { UploadsController } from './uploads.controller';
import { UploadsRepository } from './uploads.repository';
import { UploadsService } from './uploads.service';

/** Temporary files of uploads in progress live beside the stored objects, so moving one into place is a rename. */
function tempDirOf(config: AppConfig): string {
  return path.join(path.resolve(config.uploadDir), 'tmp');
}

const STALE_TEMP_FILE_MS = 60 * 60 * 1000;

/**
 * Audio uploads (API.md §4), and attaching them to tracks (§3). Multer gets a streaming engine and the limits:
 * one file of at most UPLOAD_MAX_BYTES (413 beyond), one small text part
 * (`trackId`), nothing else. PrismaService and OutboxWriter come from global modules.
 */
@Module({
  imports: [
    ReleasesModule,
    RequestTransactionModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        storage: new HashingTempFileEngine(tempDirOf(config)),
        limits: {
          fileSize: config.uploadMaxBytes,
          files: 1,
          fields: 2,
          fieldNameSize: 64,
          fieldSize: 256,
          parts: 3,
          headerPairs: 20,
        },
        // RFC 7578 §4.2: browsers send UTF-8 filenames; busboy assumes Latin-1 otherwise.
        defParamCharset: 'utf8',
      }),
    }),
  ],
  controllers: [UploadsController, TrackAudioController],
  providers: [
    UploadsRepository,
    UploadsService,
    TrackAudioService,
    {
      provide: UPLOAD_STORAGE,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        const storage = new LocalDiskUploadStorage(config.uploadDir);
        await storage.init();
        return storage;
      },
    },
  ],
  exports: [UploadsService],
})
export class UploadsModule implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(UploadsModule.name);

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const removed = await prepareTempDir(tempDirOf(this.config), STALE_TEMP_FILE_MS);
    if (removed > 0) this.logger.warn({ removed }, 'removed temporary upload files left by an earlier process');
  }

  /** Shutdown: uploads cut off by the drain deadline remove their temporary files before the process exits. */
  async onModuleDestroy(): Promise<void> {
    await receivingSettled();
  }
}
