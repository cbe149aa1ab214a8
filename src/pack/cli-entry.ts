// Runs `pack` on its own: `npx tsx src/pack/cli-entry.ts --output app.tar cap_net_bind_service=ep ./app:/app`.
import { packMain } from './cli';

process.exitCode = packMain(process.argv.slice(2));
