// The logical graph a pipeline builds: nodes (sources, operators, sinks) and edges with a
// partitioning. The runtime instantiates it once per subtask; nodes are created in
// topological order by construction (a node only connects to nodes that exist), so node id
// order is a valid execution order. Node uids name state in checkpoints, so they must be
// stable across runs of the same job definition.
// May import: operators/operator.ts, sources/source.ts, sinks/sink.ts, time/.
import type { StreamOperator } from '../operators/operator.js';
import type { Sink } from '../sinks/sink.js';
import type { Source } from '../sources/source.js';
import type { WatermarkStrategy } from '../time/watermark-strategy.js';

/** forward: same subtask; hash: by key group of keySelector(value); broadcast: every subtask; rebalance: round-robin. */
export type Partitioning = 'forward' | 'hash' | 'broadcast' | 'rebalance';

export type KeySelector<T = unknown, K = unknown> = (value: T) => K;

export interface StreamEdge {
  readonly from: number;
  readonly to: number;
  /** Input index of the target (0, or 1 for the second input of connect()). */
  readonly input: number;
  readonly partitioning: Partitioning;
  readonly keySelector?: KeySelector;
  /** Set when the edge carries a side output of `from` rather than its main output. */
  readonly sideTag?: string;
}

export interface SourceNode {
  readonly kind: 'source';
  readonly id: number;
  readonly uid: string;
  readonly name: string;
  readonly source: Source<unknown>;
  watermarks: WatermarkStrategy | undefined;
  timestampOf: ((value: unknown, recordTimestamp: number) => number) | undefined;
}

export interface OperatorNode {
  readonly kind: 'operator';
  readonly id: number;
  readonly uid: string;
  readonly name: string;
  readonly create: () => StreamOperator;
  /** Key selector per input when the operator is keyed (its state and timers are per key). */
  readonly keySelectors: readonly (KeySelector | undefined)[] | undefined;
  readonly inputs: number;
}

export interface SinkNode {
  readonly kind: 'sink';
  readonly id: number;
  readonly uid: string;
  readonly name: string;
  readonly sink: Sink<unknown>;
}

export type StreamNode = SourceNode | OperatorNode | SinkNode;

export class StreamGraph {
  readonly nodes: StreamNode[] = [];
  readonly edges: StreamEdge[] = [];
  private readonly uids = new Map<string, number>();

  /** A uid from the name, made unique by a counter when repeated. */
  uniqueUid(name: string): string {
    const base = name.replace(/[^A-Za-z0-9._-]+/g, '-');
    const n = (this.uids.get(base) ?? 0) + 1;
    this.uids.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  }

  add<N extends StreamNode>(make: (id: number) => N): N {
    const node = make(this.nodes.length);
    this.nodes.push(node);
    return node;
  }

  connect(edge: StreamEdge): void {
    this.edges.push(edge);
  }

  outEdges(nodeId: number): StreamEdge[] {
    return this.edges.filter((e) => e.from === nodeId);
  }

  inEdges(nodeId: number): StreamEdge[] {
    return this.edges.filter((e) => e.to === nodeId);
  }
}
