import { PartialType } from '@nestjs/swagger';
import { CreateReleaseDto } from './create-release.dto';

/**
 * PATCH /v1/releases/:id: any subset of the create fields. `null` clears an
 * optional field; for required ones (title, artists, explicit, territories)
 * `null` is a field error rather than "leave unchanged" (skipNullProperties: false).
 */
export class UpdateReleaseDto extends PartialType(CreateReleaseDto, { skipNullProperties: false }) {}
