// Everything a command needs beyond argument parsing: the Kubernetes client, the domain and the renderers.
// Built as a second bundle and loaded only when a command runs, so --help, --version and completion start fast.
import { runCrr } from './commands/crr';
import { runInplace } from './commands/inplace';
import { runStatus } from './commands/status';
import { runVersion } from './commands/version';

export const commands = { crr: runCrr, inplace: runInplace, status: runStatus, version: runVersion };
export { connect } from './kube/index';
export { completionCandidates } from './commands/complete';
