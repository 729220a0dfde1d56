import assert from 'node:assert/strict';
import { wrapWords } from '../../src/commands/common';

describe('notes before the live table', () => {
  const line =
    'triggered restart of CloneSet shop/web (InPlaceIfPossible): 1 container app in 10 of 10 pods, 2 at a time (about 5 batches) [run 2026-12-04T18:27:54Z-mhvtjf]';

  it('break between words at the terminal width, never inside one', () => {
    const wrapped = wrapWords(line, 120).split('\n');
    assert.ok(wrapped.length > 1);
    assert.ok(wrapped.every((l) => l.length <= 120), wrapped.join('\n'));
    assert.equal(wrapped.map((l) => l.trim()).join(' '), line, 'every word kept whole, in order');
  });

  it('stay as they are off a terminal or when they fit', () => {
    assert.equal(wrapWords(line, undefined), line);
    assert.equal(wrapWords('short', 120), 'short');
  });
});
