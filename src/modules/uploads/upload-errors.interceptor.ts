import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { AppConfig } from '../../config/app-config';
import { BadRequest, DomainError } from '../../platform/errors/domain-errors';
import { isOutOfStorage } from '../../platform/errors/error-rendering';
import { requestOf } from '../../platform/http/http-context';
import { fileSettled } from './streaming-upload-engine';

/**
 * Wraps multer on the upload route, to word its failures for this form:
 *
 * - multer's limit errors (which FileInterceptor turns into terse Nest
 *   exceptions such as "Too many files") get a detail that says what to do;
 * - a client that goes away mid-body makes multer fail with a plain Error,
 *   which would be reported and audited as a 500: it is the client's doing,
 *   so it becomes a 400 (that the vanished client will not read).
 *
 * Either way the error goes out only once the engine has removed the
 * temporary file (see fileSettled).
 */
@Injectable()
export class UploadErrorsInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = requestOf(context);
    return next.handle().pipe(
      catchError((error: unknown) => from(fileSettled(req)).pipe(mergeMap(() => throwError(() => this.reword(error, req))))),
    );
  }

  private reword(error: unknown, req: Request): unknown {
    const code = multerCode(error);
    if (code === 'LIMIT_FILE_SIZE') {
      return new DomainError(413, `The file is larger than the upload limit of ${this.config.uploadMaxBytes} bytes; nothing was kept.`);
    }
    if (code === 'LIMIT_FILE_COUNT' || code === 'LIMIT_UNEXPECTED_FILE') {
      return new BadRequest('Send exactly one file, in the part named "file".', [{ field: 'file', message: 'exactly one file part named "file"' }]);
    }
    // A full disk is the server's condition even when it cut the upload short (507).
    if (error instanceof HttpException || error instanceof DomainError || isOutOfStorage(error) || req.complete) return error;
    return new BadRequest('The upload was interrupted before the request body was complete; nothing was kept.');
  }
}

/** The MulterError code behind an error (FileInterceptor keeps multer's error as the cause). */
function multerCode(error: unknown): string | undefined {
  const cause = error instanceof HttpException ? error.cause : error;
  const e = cause as { name?: unknown; code?: unknown } | null;
  return e?.name === 'MulterError' && typeof e.code === 'string' ? e.code : undefined;
}
