/**
 * The fixed tree a mount shows: folders and read-only files, numbered as the
 * kernel knows them (inode 1 is the root). Built before the mount and never
 * changed after, except the content of a `volatile` file (info.txt), which
 * the kernel is told not to cache.
 */

/** A file's bytes as pieces, valid until `done` is called (once the reply is written). */
export interface Pieces {
  pieces: Buffer[];
  done: () => void;
}

export type ReadFn = (offset: number, size: number) => Promise<Buffer | Pieces>;

export interface TreeNode {
  ino: number;
  parent: number;
  name: string;
  /** Present for a folder. */
  children?: Map<string, TreeNode>;
  size: number;
  read?: ReadFn;
  volatile?: boolean;
  /** While set, the node is not shown yet: requests for it wait for this (info.txt until the record is read). */
  ready?: Promise<void>;
}

export class Tree {
  private readonly nodes: TreeNode[] = [];
  readonly root: TreeNode;

  /** `fileMode`, `dirMode`: permission bits of every file and folder. */
  constructor(
    readonly fileMode: number,
    readonly dirMode: number,
  ) {
    this.root = { ino: 1, parent: 1, name: '', children: new Map(), size: 0 };
    this.nodes[1] = this.root;
  }

  private add(parent: TreeNode, n: Omit<TreeNode, 'ino' | 'parent'>): TreeNode {
    if (!parent.children) throw new Error(`${parent.name} is not a folder`);
    if (parent.children.has(n.name)) throw new Error(`${n.name} is there twice`);
    const node: TreeNode = { ...n, ino: this.nodes.length, parent: parent.ino };
    this.nodes.push(node);
    parent.children.set(node.name, node);
    return node;
  }

  dir(parent: TreeNode, name: string): TreeNode {
    return this.add(parent, { name, children: new Map(), size: 0 });
  }

  file(parent: TreeNode, name: string, size: number, read: ReadFn, volatile = false): TreeNode {
    return this.add(parent, { name, size, read, volatile });
  }

  /**
   * A small text file whose content may be replaced later (the kernel never caches it). With
   * `pending`, the content is not known yet: the file is listed, but looking at it waits for the
   * first `set`.
   */
  text(parent: TreeNode, name: string, content: string, pending = false): { node: TreeNode; set: (content: string) => void } {
    let bytes = Buffer.from(content, 'utf8');
    const node = this.file(parent, name, bytes.length, async (offset, size) => bytes.subarray(offset, offset + size), true);
    let shown = (): void => undefined;
    if (pending) node.ready = new Promise<void>((resolve) => (shown = resolve));
    return {
      node,
      set: (c) => {
        bytes = Buffer.from(c, 'utf8');
        node.size = bytes.length;
        delete node.ready;
        shown();
      },
    };
  }

  node(ino: number): TreeNode | undefined {
    return ino >= 1 ? this.nodes[ino] : undefined;
  }

  count(): number {
    return this.nodes.length - 1;
  }

  totalBytes(): number {
    return this.nodes.reduce((sum, n) => sum + (n?.children ? 0 : (n?.size ?? 0)), 0);
  }
}
