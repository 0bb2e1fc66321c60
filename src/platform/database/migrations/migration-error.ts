/**
 * Why migrations could not be applied. The message is meant for an operator's
 * terminal: it names the migration and quotes the database's own error, and
 * never carries a stack trace or the connection string.
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    message: string,
    /** The migration folder the error is about, when it is about one. */
    readonly migrationName?: string,
  ) {
    super(message);
  }
}
