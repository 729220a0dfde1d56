// Everything a command needs beyond argument parsing: the Kubernetes client, the domain and the renderers.
// Built as a second bundle and loaded only when a command runs, so --help, --version and completion start fast.
import { runCrrCommand, runInplaceCommand, runStatusCommand } from './commands/many';
import { runVersion } from './commands/version';

export const commands = { crr: runCrrCommand, inplace: runInplaceCommand, status: runStatusCommand, version: runVersion };
export { connect } from './kube/index';
export { completionCandidates } from './commands/complete';
export { warmUp } from './commands/warm-up';
