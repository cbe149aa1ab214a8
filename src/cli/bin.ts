// The executable: `node dist/setcap-static.cjs ...` or the pkg standalone.
import { processCliEnv } from './env';
import { main } from './main';

process.exitCode = main(process.argv.slice(2), processCliEnv());
