// Root hook for every mocha run: the emulator writes kubeconfigs holding bearer tokens under the temp folder, and a
// test run must take all of them away again. Fails the run when a folder a cluster of this run made is still there.
// (Only this process's folders: other test runs on the machine may be using theirs right now.)
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { emulatorFolders } from './cluster/index';

export const mochaHooks = {
  afterAll(): void {
    const left = [...emulatorFolders].filter((dir) => existsSync(dir));
    assert.deepEqual(left, [], 'emulator folders left behind (they hold kubeconfigs with tokens): stop() every cluster a test starts');
  },
};
