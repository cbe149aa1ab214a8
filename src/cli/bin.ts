// The executable: `node dist/setcap-static.cjs ...` or the pkg standalone.
import { processCliEnv } from './env';
import { main } from './main';
import { PROGRAM } from './usage';

// A reader that goes away (`setcap-static get -r / | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 1);
    throw error;
  });
}

try {
  process.exitCode = main(process.argv.slice(2), processCliEnv());
} catch (error) {
  // A bug, not a user error: one line by default, the stack with SETCAP_STATIC_DEBUG=1.
  const detail = process.env.SETCAP_STATIC_DEBUG ? (error as Error).stack : (error as Error).message;
  process.stderr.write(`${PROGRAM}: internal error: ${detail ?? String(error)}\n`);
  process.exitCode = 70; // EX_SOFTWARE
}
