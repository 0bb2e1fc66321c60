import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { LocalDiskUploadStorage } from './local-disk-upload-storage';
import { UPLOAD_STORAGE, type UploadStorage } from './upload-storage';

/**
 * The configured UploadStorage (UPLOAD_STORAGE): the local disk under
 * UPLOAD_DIR by default, or an S3-compatible bucket. Its own module so that
 * the multer engine's factory and the uploads module share one instance.
 */
@Module({
  providers: [
    {
      provide: UPLOAD_STORAGE,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<UploadStorage> => {
        if (config.s3) {
          // The AWS SDK is loaded only when it is used (it is a large module graph).
          const { createS3Client, partSizeFor, S3UploadStorage } = await import('./s3-upload-storage');
          const { bucket, keyPrefix, sse, sseKmsKeyId, region, endpoint, forcePathStyle } = config.s3;
          return new S3UploadStorage(createS3Client({ region, endpoint, forcePathStyle }), {
            bucket,
            keyPrefix,
            sse,
            sseKmsKeyId,
            partSize: partSizeFor(config.uploadMaxBytes),
          });
        }
        const storage = new LocalDiskUploadStorage(config.uploadDir);
        await storage.init();
        return storage;
      },
    },
  ],
  exports: [UPLOAD_STORAGE],
})
export class UploadStorageModule implements OnApplicationShutdown {
  constructor(@Inject(UPLOAD_STORAGE) private readonly storage: UploadStorage) {}

  onApplicationShutdown(): void {
    this.storage.close?.();
  }
}
