// Runs first in `npm start`, `npm test`, `npm run cli` and the other entry
// scripts: on an older Node the app and its tests fail in scattered, confusing
// ways (or worse, seem to work), so stop with one line that says what to do.
// Deliberately ES5 (var, function, no template literals): it must parse on
// whatever old Node a newcomer happens to have.
'use strict';

var REQUIRED_MAJOR = 24;

function nodeVersionProblem(version) {
  var major = parseInt(String(version).replace(/^v/, '').split('.')[0], 10);
  if (major >= REQUIRED_MAJOR) return null;
  return (
    'musicpub needs Node.js ' + REQUIRED_MAJOR + ' or newer, but this is Node.js ' + String(version).replace(/^v/, '') +
    ' (' + process.execPath + '). See docs/getting-started.md ("Node.js 24") to install it.'
  );
}

module.exports = { nodeVersionProblem: nodeVersionProblem, REQUIRED_MAJOR: REQUIRED_MAJOR };

if (require.main === module) {
  var problem = nodeVersionProblem(process.versions.node);
  if (problem) {
    process.stderr.write(problem + '\n');
    process.exit(1);
  }
}
