/**
 * Routes destinations to carriers by longest matching prefix; what matches no route goes to the
 * default carrier (the simulator unless configured otherwise).
 */
import type { Carrier } from '../../domain/ports/carrier.js';

/** A destination prefix (`+44`, `+1555`) and the carrier id that takes it. */
export interface Route {
  readonly prefix: string;
  readonly carrier: string;
}

export class CarrierRouter {
  private readonly byId = new Map<string, Carrier>();
  private readonly routes: Route[];

  constructor(
    carriers: readonly Carrier[],
    routes: readonly Route[],
    private readonly defaultCarrier: string,
  ) {
    for (const c of carriers) this.byId.set(c.descriptor.id, c);
    if (!this.byId.has(defaultCarrier)) throw new Error(`Default carrier "${defaultCarrier}" is not configured`);
    for (const r of routes) {
      if (!this.byId.has(r.carrier)) throw new Error(`Route ${r.prefix} names unknown carrier "${r.carrier}"`);
    }
    this.routes = [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The carrier for a destination. */
  route(to: string): Carrier {
    for (const r of this.routes) if (to.startsWith(r.prefix)) return this.byId.get(r.carrier)!;
    return this.byId.get(this.defaultCarrier)!;
  }

  get(id: string): Carrier | undefined {
    return this.byId.get(id);
  }

  all(): Carrier[] {
    return [...this.byId.values()];
  }
}
