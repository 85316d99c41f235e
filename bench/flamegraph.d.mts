// Types for bench/flamegraph.mjs (used by test/unit/flamegraph.test.ts).
export interface CallFrame { functionName: string; url?: string; lineNumber: number; columnNumber?: number; scriptId?: string }
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}
export interface TreeNode { name: string; category: string; self: number; total: number; children: TreeNode[] }
export interface Frame { name: string; x: number; width: number; depth: number; total: number }
export function category(frame: CallFrame): string;
export function label(frame: CallFrame): string;
export function buildTree(profile: CpuProfile): TreeNode;
export function prune(node: TreeNode, minTotal: number): TreeNode;
export function topSelf(tree: TreeNode, rows?: number): [string, number][];
export function render(tree: TreeNode, options?: { title?: string; width?: number; rowHeight?: number; minFrac?: number }): { svg: string; frames: Frame[] };
