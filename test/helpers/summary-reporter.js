// Prints one plain closing line, "jest: N passed, N failed[, N skipped]", after
// Jest's own summary, so tools that read a run's last line (CI) see the count.
// A suite that failed to run (a module that does not load, a throwing
// beforeAll on an old Node) reports no failed test of its own, so it counts
// as one failure here; otherwise the line could say "0 failed" on a red run.
function summaryLine(results) {
  const skipped = results.numPendingTests + results.numTodoTests;
  const broken = results.numRuntimeErrorTestSuites;
  const failed = results.numFailedTests + broken;
  const notRun = broken ? ` (${broken} suite${broken === 1 ? '' : 's'} failed to run)` : '';
  return `jest: ${results.numPassedTests} passed, ${failed} failed${notRun}${skipped ? `, ${skipped} skipped` : ''}`;
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = summaryLine(results);
    // Jest prints "Ran all test suites" after the reporters; be the very last line.
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
module.exports.summaryLine = summaryLine;
