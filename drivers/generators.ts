import { liveGenerator } from './live-generator.ts';
import { trafgenGenerator } from './trafgen.ts';
import { pktgenGenerator } from './pktgen.ts';
import type { TrafficDriver } from './traffic-driver.ts';

/** Fastest first: `--generator auto` takes the first one available. */
export const GENERATORS: readonly TrafficDriver[] = [liveGenerator, pktgenGenerator, trafgenGenerator];
export const GENERATOR_NAMES = ['auto', ...GENERATORS.map((g) => g.name)] as const;

export interface GeneratorChoice {
  driver: TrafficDriver;
  why: string;
}

export async function chooseGenerator(name: string): Promise<GeneratorChoice> {
  if (name !== 'auto') {
    const driver = GENERATORS.find((g) => g.name === name);
    if (!driver) throw new RangeError(`unknown generator ${name}`);
    const a = await driver.probe();
    if (!a.available) throw Object.assign(new Error(`generator ${name} is not available: ${a.reason}; ${a.fix}`), { missing: true });
    return { driver, why: `chosen with --generator ${name}` };
  }
  const refused: string[] = [];
  for (const driver of GENERATORS) {
    const a = await driver.probe();
    if (a.available) return { driver, why: `auto: ${driver.name} is the fastest available (${a.detail})${refused.length ? `; not available: ${refused.join('; ')}` : ''}` };
    refused.push(`${driver.name}: ${a.reason}`);
  }
  throw Object.assign(new Error(`no traffic generator is available: ${refused.join('; ')}`), { missing: true });
}
