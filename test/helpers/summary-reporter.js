// Prints one plain closing line, "jest: N passed, N failed[, N skipped]", after
// Jest's own summary, so tools that read a run's last line (CI) see the count.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
    // Jest prints "Ran all test suites" after the reporters; be the very last line.
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
