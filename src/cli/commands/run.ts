// `drover run`: the controller and its HTTP surface. All settings come from the environment (see the
// README's configuration table); a bad setup prints every problem at once and exits 1.
import type { Command } from 'commander';
import { runDrover } from '../../main.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run the controller: poll git, reconcile Nomad, serve /healthz, /readyz, /metrics, /apps and the webhook (configured by NOMAD_*, CONSUL_*, VAULT_*, DROVER_* env vars)')
    .action(async () => {
      await runDrover(process.env);
      // Returns while the server keeps the process alive; SIGINT/SIGTERM shut it down gracefully (exit 0).
    });
}
