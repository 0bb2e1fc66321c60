// Jest runs the longest suites first when it knows how long each took: it
// keeps that per machine, in its cache of earlier runs. On a fresh machine
// (CI's clean clone) it knows nothing and orders by file size, and the same
// suite then took 313–334 s on 2 cores against 260–291 s with the times known
// (2026-12-06, four runs each way; four clean clones with this sequencer: 286–303 s).
// Where Jest has no time of its own for a suite, this takes the one recorded
// in test/suite-durations.json (`RECORD_SUITE_DURATIONS=1 npm test` rewrites
// it); a suite in neither runs first, as Jest runs any new suite.
const path = require('node:path');
const { default: TestSequencer } = require('@jest/test-sequencer');
const { readRecordedDurations } = require('./suite-durations-reporter');

class DurationHintSequencer extends TestSequencer {
  constructor(...args) {
    super(...args);
    this.recorded = readRecordedDurations();
  }

  time(test) {
    return super.time(test) ?? this.recorded[path.relative(test.context.config.rootDir, test.path)];
  }
}

module.exports = DurationHintSequencer;
