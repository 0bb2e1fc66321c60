// Runs fauxqs (an S3-protocol emulator from npm) in its own process on
// 127.0.0.1 and prints {"address": …} once it listens. fauxqs is ESM-only, and
// a process of its own also keeps its memory out of the measured one. Objects
// live in memory, or under the directory given as the first argument. The
// server stops when its parent closes stdin.
import { startFauxqs } from 'fauxqs';

const s3StorageDir = process.argv[2];
const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false, ...(s3StorageDir ? { s3StorageDir } : {}) });
process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);
process.stdin.resume();
process.stdin.on('end', () => server.stop().finally(() => process.exit(0)));
process.stdin.on('error', () => process.exit(0));
