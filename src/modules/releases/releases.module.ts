import { Module } from '@nestjs/common';
import { ReleasesController } from './releases.controller';
import { ReleasesRepository } from './releases.repository';
import { ReleasesService } from './releases.service';
import { TracksController } from './tracks.controller';
import { TracksRepository } from './tracks.repository';
import { TracksService } from './tracks.service';

/** Releases, their tracks and lifecycle (API guide: Releases and their lifecycle). PrismaService and OutboxWriter come from global modules. */
@Module({
  controllers: [ReleasesController, TracksController],
  providers: [ReleasesRepository, ReleasesService, TracksRepository, TracksService],
  exports: [ReleasesService, TracksService],
})
export class ReleasesModule {}
