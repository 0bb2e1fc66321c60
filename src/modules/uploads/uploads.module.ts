import { Inject, Logger, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { AppConfig } from '../../config/app-config';
import { RequestTransactionModule } from '../../platform/request-transaction/request-transaction.module';
import { ReleasesModule } from '../releases/releases.module';
import { LocalDiskUploadStorage } from './storage/local-disk-upload-storage';
import { UploadStorageModule } from './storage/upload-storage.module';
import { UPLOAD_STORAGE, type UploadStorage } from './storage/upload-storage';
import { StoredObjectDeletions } from './stored-object-deletions';
import { receivingSettled, StreamingUploadEngine } from './streaming-upload-engine';
import { TrackAudioController } from './track-audio.controller';
import { TrackAudioService } from './track-audio.service';
import { UploadsController } from './uploads.controller';
import { UploadsRepository } from './uploads.repository';
import { UploadsService } from './uploads.service';

const STALE_TEMP_FILE_MS = 60 * 60 * 1000;

/**
 * Audio uploads (API guide: Uploads and the distribution rules), and attaching them to tracks (§3). Multer gets a
 * streaming engine that writes into the configured UploadStorage, and the
 * limits: one file of at most UPLOAD_MAX_BYTES (413 beyond), one small text
 * part (`trackId`), nothing else. PrismaService and OutboxWriter come from
 * global modules.
 */
@Module({
  imports: [
    ReleasesModule,
    RequestTransactionModule,
    UploadStorageModule,
    MulterModule.registerAsync({
      imports: [UploadStorageModule],
      inject: [AppConfig, UPLOAD_STORAGE],
      useFactory: (config: AppConfig, storage: UploadStorage) => ({
        storage: new StreamingUploadEngine(storage),
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
  providers: [UploadsRepository, UploadsService, TrackAudioService, StoredObjectDeletions],
  exports: [UploadsService],
})
export class UploadsModule implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(UploadsModule.name);

  constructor(@Inject(UPLOAD_STORAGE) private readonly storage: UploadStorage) {}

  async onModuleInit(): Promise<void> {
    if (!(this.storage instanceof LocalDiskUploadStorage)) return;
    const removed = await this.storage.removeStaleStagedFiles(STALE_TEMP_FILE_MS);
    if (removed > 0) this.logger.warn({ removed }, 'removed temporary upload files left by an earlier process');
  }

  /** Shutdown: uploads cut off by the drain deadline discard their staged bytes before the process exits. */
  async onModuleDestroy(): Promise<void> {
    await receivingSettled();
  }
}
