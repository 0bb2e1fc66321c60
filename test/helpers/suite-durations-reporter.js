// With RECORD_SUITE_DURATIONS=1, writes how long each suite of the run took
// to test/suite-durations.json, which orders the suites on machines where Jest
// has no times of its own (duration-hint-sequencer.js). Suites not in the run,
// or that failed, keep their recorded time; entries for files that are gone
// are dropped.
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const FILE = path.join(ROOT, 'test', 'suite-durations.json');

/** Milliseconds per suite, keyed by its path from the repository root. */
function readRecordedDurations() {
  return existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {};
}

class SuiteDurationsReporter {
  onRunComplete(_contexts, results) {
    if (process.env.RECORD_SUITE_DURATIONS !== '1') return;
    const durations = readRecordedDurations();
    for (const suite of results.testResults) {
      // A suite that failed may have stopped early: its time says nothing about the next run.
      if (suite.numFailingTests > 0 || suite.testExecError) continue;
      // Rounded: the order is what matters, and small diffs keep the file readable.
      durations[path.relative(ROOT, suite.testFilePath)] = Math.round((suite.perfStats.end - suite.perfStats.start) / 100) * 100;
    }
    const kept = Object.keys(durations)
      .filter((file) => existsSync(path.join(ROOT, file)))
      .sort();
    writeFileSync(FILE, `${JSON.stringify(Object.fromEntries(kept.map((file) => [file, durations[file]])), null, 2)}\n`);
  }
}

module.exports = SuiteDurationsReporter;
module.exports.readRecordedDurations = readRecordedDurations;
