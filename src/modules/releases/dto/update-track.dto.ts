import { PartialType } from '@nestjs/swagger';
import { CreateTrackDto } from './create-track.dto';

/** PATCH /v1/releases/:id/tracks/:trackId: `null` clears isrc/iswc; it is a field error for the rest. */
export class UpdateTrackDto extends PartialType(CreateTrackDto, { skipNullProperties: false }) {}
