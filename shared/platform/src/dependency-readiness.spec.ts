import { AssayError } from '@assay/contracts';
import type { RpcClient } from '@assay/messaging';
import { dependencyCheck, DEPENDENCY_HEALTH_TIMEOUT_MS, DEPENDENCY_HEALTH_TTL_MS } from './dependency-readiness';

describe('dependencyCheck', () => {
  let clock = 0;
  const request = jest.fn();
  const sut = () => dependencyCheck({ request } as unknown as RpcClient, 'likelihood', () => clock);
  beforeEach(() => {
    clock = 1_000;
    request.mockReset();
  });

  it('asks assay.<service>.health with the short deadline and is ready when it answers', async () => {
    request.mockResolvedValue({ status: 'ok' });
    await expect(sut()()).resolves.toBe(true);
    expect(request).toHaveBeenCalledWith('assay.likelihood.health', {}, { timeoutMs: DEPENDENCY_HEALTH_TIMEOUT_MS });
  });

  it('names why it is not ready: nobody listening, or no answer in time', async () => {
    request.mockRejectedValueOnce(new AssayError('UNAVAILABLE', 'no service is listening on assay.likelihood.health'));
    await expect(sut()()).resolves.toBe('no likelihood service answers');
    request.mockRejectedValueOnce(new AssayError('TIMEOUT', 'no reply'));
    await expect(sut()()).resolves.toBe('likelihood did not answer within 1000 ms');
  });

  it('reuses an answer for the TTL, shares it between concurrent probes, then asks again', async () => {
    request.mockRejectedValueOnce(new AssayError('UNAVAILABLE', 'gone')).mockResolvedValue({ status: 'ok' });
    const check = sut();
    const [a, b] = await Promise.all([check(), check()]);
    expect([a, b]).toEqual(['no likelihood service answers', 'no likelihood service answers']);
    clock += DEPENDENCY_HEALTH_TTL_MS - 1;
    await expect(check()).resolves.toBe('no likelihood service answers');
    expect(request).toHaveBeenCalledTimes(1);
    clock += 1;
    await expect(check()).resolves.toBe(true);
    expect(request).toHaveBeenCalledTimes(2);
  });
});
