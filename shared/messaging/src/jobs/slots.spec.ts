import { Slots } from './slots';

describe('Slots', () => {
  it('hands out at most n slots and queues the rest in order', async () => {
    const slots = new Slots(2);
    expect(await slots.acquire()).toBe(true);
    expect(await slots.acquire()).toBe(true);
    const order: number[] = [];
    const third = slots.acquire().then((ok) => order.push(3) && ok);
    const fourth = slots.acquire().then((ok) => order.push(4) && ok);
    await Promise.resolve();
    expect(order).toEqual([]);
    slots.release();
    expect(await third).toBe(true);
    slots.release();
    expect(await fourth).toBe(true);
    expect(order).toEqual([3, 4]);
  });

  it('answers false to waiters and later callers once closed', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const waiting = slots.acquire();
    slots.close();
    expect(await waiting).toBe(false);
    expect(await slots.acquire()).toBe(false);
    expect(() => new Slots(0)).toThrow(/concurrency/);
  });
});
