/**
 * Drives the Node-RED editor in Debian's chromium through playwright-core, as a person uses it: the palette,
 * the workspace, the edit trays, the sidebar. playwright-core never downloads a browser: scripts/setup-services.sh
 * installs chromium (npm's pretest runs it).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

/** Debian's chromium; CHROMIUM_PATH names another chromium build. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots and the browser's console log go (gitignored through `.artifacts/`). */
export const ARTIFACTS = resolve(__dirname, '../../.artifacts/browser');

/** Node-RED settings for a browser test: no telemetry question, no welcome tour over the workspace. */
export const EDITOR_SETTINGS =
  'module.exports = { uiHost: "127.0.0.1", flowFile: "flows.json", credentialSecret: "browser-secret", ' +
  'telemetry: { enabled: false }, editorTheme: { tours: false }, logging: { console: { level: "info" } } };\n';

/** A headless chromium with a fresh temporary profile, closed by `browser.close()`. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}: run scripts/setup-services.sh (npm test does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Empties the screenshot folder, so that each run's pictures are that run's. */
export async function freshArtifacts(): Promise<string> {
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

export interface ConsoleEntry {
  /** `console` for console.error (and the other levels, kept for the log), `pageerror` for an uncaught error. */
  kind: 'console' | 'pageerror';
  type: string;
  text: string;
  /** The script, or for a failed resource the resource, that the message is about. */
  url: string;
}

/** Chromium's network errors that mean "no network here", not "the server failed". */
const OFFLINE_ERRORS = new Set([
  'net::ERR_NAME_NOT_RESOLVED',
  'net::ERR_NAME_RESOLUTION_FAILED',
  'net::ERR_INTERNET_DISCONNECTED',
  'net::ERR_ADDRESS_UNREACHABLE',
  'net::ERR_NETWORK_UNREACHABLE',
]);

function isLoopback(url: string): boolean {
  try {
    const { hostname } = new URL(url);
    return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
  } catch {
    return false;
  }
}

/** Everything the page logs, from the moment it is watched; each error either explained or a failure. */
export class ConsoleWatch {
  readonly entries: ConsoleEntry[] = [];
  readonly failedRequests: { url: string; error: string }[] = [];

  constructor(page: Page) {
    page.on('console', (message) => {
      this.entries.push({
        kind: 'console',
        type: message.type(),
        text: message.text(),
        url: message.location().url,
      });
    });
    page.on('pageerror', (error) => {
      this.entries.push({ kind: 'pageerror', type: 'error', text: error.stack ?? error.message, url: '' });
    });
    page.on('requestfailed', (request) => {
      this.failedRequests.push({ url: request.url(), error: request.failure()?.errorText ?? '' });
    });
  }

  get errors(): ConsoleEntry[] {
    return this.entries.filter((entry) => entry.type === 'error');
  }

  /**
   * The errors proven to come from having no network: chromium's "Failed to load resource: net::ERR_..." for
   * a request to a host that is not this machine, which failed (requestfailed) with that very DNS or routing
   * error. Nothing else is excused, an uncaught error least of all.
   */
  offline(): ConsoleEntry[] {
    return this.errors.filter((entry) => {
      const match = /^Failed to load resource: (net::ERR_[A-Z_]+)$/.exec(entry.text);
      const error = match?.[1];
      if (entry.kind !== 'console' || error === undefined || !OFFLINE_ERRORS.has(error)) return false;
      if (isLoopback(entry.url)) return false;
      return this.failedRequests.some((request) => request.url === entry.url && request.error === error);
    });
  }

  /** The errors that fail the test. */
  unexpected(): ConsoleEntry[] {
    const excused = new Set(this.offline());
    return this.errors.filter((entry) => !excused.has(entry));
  }

  async save(file: string): Promise<void> {
    const log = {
      unexpectedErrors: this.unexpected(),
      offlineErrors: this.offline(),
      failedRequests: this.failedRequests,
      all: this.entries,
    };
    await writeFile(file, `${JSON.stringify(log, null, 2)}\n`);
  }
}

/** What the tests read of a node in the editor (the page's own RED.nodes objects, as plain data). */
export interface EditorNode {
  id: string;
  type: string;
  z?: string;
  name?: string;
  account?: string;
}

/** The part of the editor's public `RED` API the tests call inside page.evaluate. */
export interface RedApi {
  nodes: {
    getType(type: string): unknown;
    node(id: string): EditorNode | null;
    filterNodes(filter: { type?: string; z?: string }): EditorNode[];
    filterLinks(filter: { source?: { id: string }; target?: { id: string } }): {
      source: EditorNode;
      target: EditorNode;
    }[];
  };
  view: { selection(): { nodes?: EditorNode[] } };
  utils: { getNodeLabel(node: EditorNode, defaultLabel?: string): string };
}
export interface RedWindow {
  RED: RedApi;
}

/** A point on the page. */
export interface Point {
  x: number;
  y: number;
}

async function centre(locator: Locator): Promise<Point> {
  const box = await locator.boundingBox();
  if (box === null) throw new Error(`${locator.toString()} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * Text that shows a message-catalog key of this package instead of its text (`twilio-sms-binding.label.x`):
 * every visible-text node (scripts and styles aside) and every placeholder, title and aria-label under the
 * element, hidden tabs of a dialog included.
 */
export async function rawCatalogKeys(locator: Locator): Promise<string[]> {
  return locator.evaluate((root) => {
    const pattern = /twilio-sms-(?:binding|config)\.[A-Za-z][\w.-]*/g;
    const found: string[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (parent !== null && (parent.closest('script') !== null || parent.closest('style') !== null))
        continue;
      found.push(...Array.from((node.textContent ?? '').matchAll(pattern), (match) => match[0]));
    }
    for (const element of [root, ...root.querySelectorAll('*')]) {
      for (const attribute of ['placeholder', 'title', 'aria-label']) {
        found.push(
          ...Array.from((element.getAttribute(attribute) ?? '').matchAll(pattern), (match) => match[0]),
        );
      }
    }
    return found;
  });
}

/** The Node-RED editor in one page, driven with the mouse and keyboard as a person does. */
export class Editor {
  private shots = 0;

  constructor(
    readonly page: Page,
    private readonly artifacts: string,
  ) {}

  /** Opens the editor and waits until the workspace and the palette are there, and the loader gone. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('#red-ui-workspace-chart').waitFor({ state: 'visible' });
    await this.page.locator('#red-ui-palette .red-ui-palette-node').first().waitFor({ state: 'visible' });
    await this.page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden' });
    await this.page.locator('#red-ui-header-button-deploy').waitFor({ state: 'visible' });
  }

  /** Writes `.artifacts/browser/NN-name.png` of the whole page, numbered in the order taken. */
  async screenshot(name: string): Promise<string> {
    this.shots++;
    const file = join(this.artifacts, `${String(this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  paletteNode(type: string): Locator {
    return this.page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  }

  /** The node's shape on the workspace: its `<g>`, whose id is the node's id. */
  node(id: string): Locator {
    return this.page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
  }

  /** The node's status text, under it on the workspace. */
  status(id: string): Locator {
    return this.node(id).locator('.red-ui-flow-node-status-label');
  }

  notification(text: string | RegExp): Locator {
    return this.page.locator('.red-ui-notification').filter({ hasText: text });
  }

  /** The point `offset` from the top left of the visible workspace. */
  async workspacePoint(offset: Point): Promise<Point> {
    const box = await this.page.locator('#red-ui-workspace-chart').boundingBox();
    if (box === null) throw new Error('the workspace is not visible');
    return { x: box.x + offset.x, y: box.y + offset.y };
  }

  /**
   * Drags a node type from the palette to `offset` on the workspace with the mouse and answers the new node's
   * id: the editor selects a node when it is dropped.
   */
  async dropFromPalette(type: string, offset: Point): Promise<string> {
    const source = this.paletteNode(type);
    // The palette scrolls; the workspace is left where it is (each point on it is checked to be visible).
    await source.scrollIntoViewIfNeeded();
    const from = await centre(source);
    const to = await this.workspacePoint(offset);
    const { mouse } = this.page;
    await mouse.move(from.x, from.y);
    await mouse.down();
    // jQuery UI starts a drag only after the mouse has moved a little with the button down.
    await mouse.move(from.x + 20, from.y + 5, { steps: 4 });
    await mouse.move(to.x, to.y, { steps: 12 });
    await mouse.up();
    const dropped = await this.page.evaluate((expected) => {
      const nodes = (window as unknown as RedWindow).RED.view.selection().nodes ?? [];
      return nodes.length === 1 && nodes[0]?.type === expected ? nodes[0].id : undefined;
    }, type);
    if (dropped === undefined) throw new Error(`dropping ${type} on the workspace added no node`);
    await this.node(dropped).waitFor({ state: 'visible' });
    return dropped;
  }

  /** Draws a wire with the mouse from the output port of one node to the input port of another. */
  async wire(fromId: string, toId: string): Promise<void> {
    const from = await centre(this.node(fromId).locator('.red-ui-flow-port-output .red-ui-flow-port'));
    const to = await centre(this.node(toId).locator('.red-ui-flow-port-input .red-ui-flow-port'));
    const { mouse } = this.page;
    await mouse.move(from.x, from.y);
    await mouse.down();
    await mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 6 });
    await mouse.move(to.x, to.y, { steps: 6 });
    await mouse.up();
  }

  /** The links the editor holds from one node to another. */
  async links(fromId: string, toId: string): Promise<number> {
    return this.page.evaluate(
      ([source, target]) =>
        (window as unknown as RedWindow).RED.nodes
          .filterLinks({ source: { id: source } })
          .filter((link) => link.target.id === target).length,
      [fromId, toId] as const,
    );
  }

  /** Double-clicks the node and waits for its edit tray. */
  async openEditDialog(id: string): Promise<Locator> {
    await this.node(id).locator('rect.red-ui-flow-node').dblclick();
    const tray = this.page.locator('.red-ui-tray').filter({ has: this.page.locator('#node-dialog-ok') });
    await tray.waitFor({ state: 'visible' });
    return tray;
  }

  /**
   * Shows a sidebar tab as a person does, with its button: in Node-RED 4 a tab of the sidebar or, when the
   * sidebar is narrow, its icon button; in Node-RED 5 a button of the sidebar's tab bar. A tab already
   * showing is left alone (Node-RED 5 hides a showing tab when its button is clicked again).
   */
  async showSidebar(tab: 'info' | 'help' | 'debug' | 'config' | 'context'): Promise<void> {
    const showing = this.page.locator(
      `#red-ui-tab-${tab}.active, .red-ui-sidebar-tab-bar button[data-tab-id="${tab}"].selected`,
    );
    if ((await showing.count()) > 0) return;
    await this.page
      .locator(
        `#red-ui-tab-${tab}-link-button, #red-ui-tab-${tab} > a.red-ui-tab-label, ` +
          `.red-ui-sidebar-tab-bar button[data-tab-id="${tab}"]`,
      )
      .filter({ visible: true })
      .first()
      .click();
    await showing.first().waitFor({ state: 'attached' });
  }

  /**
   * Clicks Deploy and waits for the editor's "Successfully deployed", then for the shades the editor lays over
   * the page while deploying (up to 300 ms longer): a click meanwhile hits a shade, not the workspace.
   */
  async deploy(): Promise<void> {
    await this.page.locator('#red-ui-header-button-deploy').click();
    await this.notification('Successfully deployed').waitFor({ state: 'visible' });
    // Node-RED 4 shades the header, workspace, palette and sidebar; Node-RED 5 the whole page.
    const shades = ['full', 'header', 'editor', 'palette', 'sidebar'].map((part) => `#red-ui-${part}-shade`);
    await this.page.locator(shades.join(', ')).filter({ visible: true }).first().waitFor({ state: 'hidden' });
    await this.page.locator('.red-ui-deploy-button-spinner').waitFor({ state: 'hidden' });
  }

  async nodesOfType(type: string): Promise<EditorNode[]> {
    return this.page.evaluate(
      (wanted) =>
        (window as unknown as RedWindow).RED.nodes.filterNodes({ type: wanted }).map((node) => ({
          id: node.id,
          type: node.type,
          z: node.z,
          name: node.name,
          account: node.account,
        })),
      type,
    );
  }

  /** A node of any kind, config nodes included (filterNodes holds only the nodes of flows). */
  async nodeById(id: string): Promise<EditorNode | undefined> {
    return this.page.evaluate((wanted) => {
      const node = (window as unknown as RedWindow).RED.nodes.node(wanted);
      return node === null
        ? undefined
        : { id: node.id, type: node.type, z: node.z, name: node.name, account: node.account };
    }, id);
  }

  async typeRegistered(type: string): Promise<boolean> {
    return this.page.evaluate(
      (wanted) => (window as unknown as RedWindow).RED.nodes.getType(wanted) !== undefined,
      type,
    );
  }

  /** The label the editor gives a node (as shown on the workspace and in the config-nodes sidebar). */
  async label(id: string): Promise<string> {
    return this.page.evaluate((wanted) => {
      const { RED } = window as unknown as RedWindow;
      const node = RED.nodes.node(wanted);
      if (node === null) throw new Error(`no node ${wanted}`);
      return RED.utils.getNodeLabel(node, node.type);
    }, id);
  }
}
