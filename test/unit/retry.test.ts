import assert from 'node:assert/strict';
import { DEFAULT_RETRY, isRetryableStatus, nextDelay, parseRetryAfter } from '../../src/kube/retry';
import { ApiError, UsageError, EXIT } from '../../src/errors';
import { describeFailure, redact } from '../../src/ui/failure';

describe('retry policy', () => {
  it('retries only statuses that mean "later"', () => {
    assert.deepEqual([429, 500, 502, 503, 504].map(isRetryableStatus), [true, true, true, true, true]);
    assert.deepEqual([400, 401, 403, 404, 409, 410, 422].map(isRetryableStatus), [false, false, false, false, false, false, false]);
  });

  it('honours Retry-After in seconds or as a date, and gives up past the bound', () => {
    assert.equal(parseRetryAfter('3', 0), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter('garbage', 0), undefined);
    assert.equal(nextDelay(1, 3000, DEFAULT_RETRY, () => 0.5), 3000);
    assert.equal(nextDelay(1, 120_000, DEFAULT_RETRY, () => 0.5), undefined);
  });

  it('backs off exponentially with jitter inside [ceiling/2, ceiling], capped, for a bounded number of attempts', () => {
    const low = [1, 2, 3, 4, 5].map((a) => nextDelay(a, undefined, DEFAULT_RETRY, () => 0)!);
    const high = [1, 2, 3, 4, 5].map((a) => nextDelay(a, undefined, DEFAULT_RETRY, () => 1)!);
    assert.deepEqual(high, [200, 400, 800, 1600, 3200]);
    assert.deepEqual(low, [100, 200, 400, 800, 1600]);
    assert.equal(nextDelay(DEFAULT_RETRY.maxAttempts, undefined, DEFAULT_RETRY, () => 0), undefined);
    assert.ok(nextDelay(5, undefined, { ...DEFAULT_RETRY, maxAttempts: 20 }, () => 1)! <= DEFAULT_RETRY.maxDelayMs);
  });
});

describe('error reporting', () => {
  it('maps every failure to one line and its exit code, with no stack below -v=9', () => {
    const refused = describeFailure(new UsageError('bad flag', 'fix it'), 0);
    assert.deepEqual(refused, { line: 'error: bad flag: fix it', exitCode: EXIT.usage, stack: undefined });
    const api = describeFailure(new ApiError('forbidden: nope', 403, 'Forbidden', 'ask'), 0);
    assert.equal(api.exitCode, EXIT.failed);
    const unknown = describeFailure(new TypeError('x is undefined'), 0);
    assert.equal(unknown.exitCode, EXIT.failed);
    assert.equal(unknown.stack, undefined);
    assert.ok(describeFailure(new TypeError('boom'), 9).stack?.includes('TypeError'));
    assert.doesNotMatch(describeFailure(new UsageError('multi\nline'), 0).line, /\n/);
  });

  it('redacts bearer tokens, kubeconfig secrets and private keys', () => {
    const text = 'Authorization: Bearer abc.def-123 token: "s3cret" client-key-data: LS0tLS1 -----BEGIN RSA PRIVATE KEY-----\nxyz\n-----END RSA PRIVATE KEY-----';
    const out = redact(text);
    for (const secret of ['abc.def-123', 's3cret', 'LS0tLS1', 'xyz']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  });
});
