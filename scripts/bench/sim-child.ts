// The benchmark's simulated cluster in a process of its own, so the simulator's CPU and memory do not
// count against drover's. Prints one JSON line with the URLs, then runs until SIGTERM/SIGINT.
import { startSimCluster } from '@drover/sim';
import { vaultSecrets } from './apps.js';

const sim = await startSimCluster({ allocDelayMs: Number(process.env.BENCH_ALLOC_DELAY_MS ?? 5), secrets: vaultSecrets(Number(process.env.BENCH_APP_COUNT ?? 0)) });
process.stdout.write(`${JSON.stringify(sim.urls)}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
