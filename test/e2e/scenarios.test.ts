// The same scenarios on every backend: the emulator always, the real cluster (kube-apiserver, etcd, Kruise v1.9.0's
// own manager, the node agent) when the real tier runs. A scenario that passes on one and fails on the other is a
// divergence: the real cluster is right.
import { backends, startEmulated, startSharedReal, type Backend, type SharedReal, type TestCluster } from '../backend/index';
import { realTierOrSkip } from '../real/tier';
import { crrScenarios } from '../scenarios/crr';
import { guardScenarios } from '../scenarios/guards';
import { inplaceScenarios } from '../scenarios/inplace';
import { interruptionScenarios } from '../scenarios/interruptions';
import { kindScenarios } from '../scenarios/kinds';
import { kruiseScenarios } from '../scenarios/kruise';
import { reliabilityScenarios } from '../scenarios/reliability';
import { permissionScenarios } from '../scenarios/permissions';
import { stagedScenarios } from '../scenarios/staged';
import { statusScenarios } from '../scenarios/status';
import { requireBuild } from './harness';

const areas = [
  ['inplace', inplaceScenarios],
  ['crr', crrScenarios],
  ['status', statusScenarios],
  ['permissions', permissionScenarios],
  ['interruptions', interruptionScenarios],
  ['guards', guardScenarios],
  ['staged', stagedScenarios],
  ['reliability', reliabilityScenarios],
  ['kruise', kruiseScenarios],
  ['kinds', kindScenarios],
] as const;

// Scenarios proven on the real tier so far (each run there and passed). The others run on the emulator and are listed
// as pending on the real tier until they have been run there: a pending one is a known gap, not a pass.
const PROVEN_ON_REAL = [
  'inplace restarts a 10-pod wired CloneSet',
  'the early-done trap held by a frozen kruise-daemon',
  '--setup on InPlaceOnly is refused',
  "a failed JSON-patch test is the server's bare 422",
  'crr -c app restarts each pod once',
  'crr killed by SIGKILL mid-run',
  'crr within a PodUnavailableBudget allowing 1',
  'crr within a PodDisruptionBudget minAvailable 80%',
  'crr within a PodDisruptionBudget over two CloneSets',
  'every write of inplace and crr carries the field manager',
  'maxSurge 1 on 6 pods with an in-place restart',
  'scale 10 -> 14 during inplace',
  'scale 10 -> 6 during inplace',
  'scale 10 -> 14 during crr',
  'scale 10 -> 6 during crr',
  'crr --resume of a failed run',
  'with InPlaceUpdateEnvFromMetadata off',
  '--setup on InPlaceIfPossible recreates',
  '--dry-run=server (inplace, --setup, crr)',
  'a template without annotations',
  'partition "12.5%" of 10',
  'unsafe starts (ReCreate, paused',
  'a pod not Ready again within --ready-timeout',
  'a second inplace while the first is unfinished',
  'crr stops at a failed container kill',
  'crr on multi-container pods without -c',
  'inplace --canary 2 of 10 with a partition of 2',
  'crr --batches 3 on 6 pods with a pause',
  'crr fails a pod not Ready within --ready-timeout',
  'omitempty status',
  'a FailedUpdate condition older than the restart',
  'status of a never-restarted CloneSet',
  'status -w follows an inplace restart to the end',
  'half-permitted users',
  "a user with exactly the README's Role",
  "each verb of the README's Role removed",
  'crr --timeout: exit 3',
  'inplace killed by SIGKILL right after its trigger',
  'inplace and crr started in the same instant',
  'two crr runs started in the same instant',
  "changing a CloneSet's selector",
  'a pod held by two readiness gates',
  'an Advanced StatefulSet of 5 (Parallel, maxUnavailable 2)',
  'an Advanced StatefulSet of 3 (OrderedReady)',
  'an Advanced DaemonSet over 6 nodes (maxUnavailable 2)',
  'an Advanced DaemonSet whose pods on 2 nodes lack the readiness gate',
  'crr on an Advanced StatefulSet (Parallel, maxUnavailable 2)',
  'crr on an Advanced DaemonSet over 6 nodes',
  '--setup on an Advanced StatefulSet',
  '--setup on an Advanced DaemonSet without the gate',
];

for (const backend of backends()) {
  describe(`scenarios (${backend})`, function () {
    this.timeout(backend === 'real' ? 300_000 : 90_000);
    let shared: SharedReal | undefined;
    let started = 0;
    let tests = 0;

    before(async function () {
      requireBuild();
      if (backend !== 'real') return;
      this.timeout(90 * 60_000);
      realTierOrSkip(this);
      // One real cluster for the file (it takes seconds to start, not milliseconds); each test gets its own namespace.
      started = Date.now();
      shared = await startSharedReal();
      process.stderr.write(`      real cluster ready in ${shared.startSeconds.toFixed(1)} s\n`);
    });
    after(async () => {
      await shared?.stop();
      if (backend === 'real' && started) process.stderr.write(`      real tier: ${tests} scenarios in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    });

    const open = async (b: Backend): Promise<TestCluster> => {
      const namespace = `s${++tests}`;
      return b === 'real' ? shared!.forTest(namespace) : startEmulated(namespace);
    };

    for (const [area, scenarios] of areas) {
      describe(area, () => {
        for (const s of scenarios) {
          const pending = backend === 'real' && !PROVEN_ON_REAL.some((t) => s.title.startsWith(t));
          (pending ? it.skip : it)(s.title, async () => {
            const c = await open(backend);
            try {
              await s.run(c);
            } finally {
              await c.stop();
            }
          });
        }
      });
    }
  });
}
