import { parseReplicas } from './up';

describe('assay up --replicas', () => {
  const services = ['generation', 'likelihood', 'guide-training'];
  it('reads service=count pairs', () => {
    expect([...parseReplicas('generation=2, guide-training=3', services)]).toEqual([
      ['generation', 2],
      ['guide-training', 3],
    ]);
    expect(parseReplicas(undefined, services).size).toBe(0);
  });
  it('refuses a malformed pair, a service not started and a count out of range (usage errors)', () => {
    expect(() => parseReplicas('generation', services)).toThrow(/not <service>=<count>/);
    expect(() => parseReplicas('certifier=2', services)).toThrow(/not among the services started/);
    expect(() => parseReplicas('generation=0', services)).toThrow(/1 to 16/);
  });
});
