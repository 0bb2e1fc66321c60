import { Module } from '@nestjs/common';
import { ReleasesModule } from '../releases/releases.module';
import { PartnerCallbacksController } from './partner-callbacks.controller';
import { PartnerCallbacksService } from './partner-callbacks.service';
import { PartnersRepository } from './partners.repository';
import { PartnersService } from './partners.service';

/** Delivery partners and their signed status callbacks (API guide: Partner callbacks). SecretBox and PrismaService are global. */
@Module({
  imports: [ReleasesModule],
  controllers: [PartnerCallbacksController],
  providers: [PartnersRepository, PartnersService, PartnerCallbacksService],
  exports: [PartnersService],
})
export class PartnersModule {}
