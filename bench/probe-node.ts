/**
 * `bench-probe`: a node type of the bench's own. The bench sends msgs into a flow from one (with `send`),
 * and learns of each msg that reaches one, at the end of a flow, without a function node's cost per msg.
 * Node-RED loads it from a shim in the temporary user directory (see node-red-worker.ts).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';

export type Arrival = (msg: NodeMessage) => void;

const arrivals = new Map<string, Arrival>();

/** Hands each msg that reaches the probe node `id` to `arrival`, instead of what was handed it before. */
export function onArrival(id: string, arrival: Arrival): void {
  arrivals.set(id, arrival);
}

export function registerProbe(RED: NodeAPI): void {
  function BenchProbe(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    this.on('input', (msg, _send, done) => {
      arrivals.get(this.id)?.(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-probe', BenchProbe);
}
