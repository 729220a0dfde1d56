// The process identity a crr run records so a resume on the same machine can prove its driver gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { processNow, startTicksOf, thisProcess } from '../../src/commands/driver';

describe('driver identity (/proc)', () => {
  it('reads the start time after a command name holding spaces and parentheses', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21';
    assert.equal(startTicksOf(`77 (node (x) y) ${rest}`), '424242');
    assert.equal(startTicksOf('garbage'), undefined);
  });

  it('names this process, and tells a live process from a gone one', async function () {
    const me = thisProcess();
    if (!me) this.skip(); // no /proc here: nothing is recorded, nothing proved
    assert.equal(me.pid, process.pid);
    assert.deepEqual(processNow(process.pid), { startTicks: me.startTicks });
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid as number;
    assert.notEqual(processNow(pid), 'gone');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    assert.equal(processNow(pid), 'gone');
  });
});
