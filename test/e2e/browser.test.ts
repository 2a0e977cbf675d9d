import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import should from 'should';
import { SANDBOX_ACCOUNT, TwilioApi } from '../../sandbox/twilio-api';
import {
  ARTIFACTS,
  ConsoleWatch,
  EDITOR_SETTINGS,
  Editor,
  freshArtifacts,
  launchChromium,
  rawCatalogKeys,
} from '../support/browser';
import {
  type FlowNode,
  installPackedPackage,
  NodeRedProcess,
  problemLines,
  removeUserDir,
} from '../support/node-red-process';

const PACKAGE = 'node-red-contrib-twilio-sms-binding';
const PROJECT = join(__dirname, '..', '..');
const FROM_NUMBER = '+15005550006';
const TO_NUMBER = '+14155550101';
/** The first example, as Import > Examples lists it: its file name without `.json`. */
const EXAMPLE = (() => {
  const file = readdirSync(join(PROJECT, 'examples'))
    .sort()
    .find((name) => name.startsWith('01 - ') && name.endsWith('.json'));
  if (file === undefined) throw new Error('no examples/01 - *.json');
  return file.slice(0, -'.json'.length);
})();

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The first paragraph of the binding node's help, as the source has it: Node-RED shows it as the palette
 * tooltip. Read from the help the editor loads (the en-US catalog's help file, else the node's .html).
 */
function tooltipParagraph(): string {
  const files = ['nodes/locales/en-US/twilio-sms-binding.html', 'nodes/twilio-sms-binding.html'];
  for (const file of files.map((name) => join(PROJECT, name)).filter((path) => existsSync(path))) {
    const html = readFileSync(file, 'utf8');
    const start = html.indexOf('data-help-name="twilio-sms-binding"');
    if (start < 0) continue;
    const paragraph = /<p>([\s\S]*?)<\/p>/.exec(html.slice(start))?.[1];
    if (paragraph === undefined) continue;
    return oneLine(
      paragraph
        .replace(/<[^>]+>/g, '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, '&'),
    );
  }
  throw new Error('no help for twilio-sms-binding in nodes/');
}

function readExample(name: string): FlowNode[] {
  return JSON.parse(readFileSync(join(PROJECT, 'examples', `${name}.json`), 'utf8')) as FlowNode[];
}

/** What the test has started; each is undefined until started, so that after() stops what there is. */
class Session {
  userDir: string | undefined;
  api: TwilioApi | undefined;
  nodeRed: NodeRedProcess | undefined;
  browser: Browser | undefined;
  editor: Editor | undefined;
  watch: ConsoleWatch | undefined;
  /** Where Node-RED's output stood once it had started. */
  since = 0;

  get running(): { api: TwilioApi; nodeRed: NodeRedProcess; editor: Editor; watch: ConsoleWatch } {
    const { api, nodeRed, editor, watch } = this;
    if (api === undefined || nodeRed === undefined || editor === undefined || watch === undefined) {
      throw new Error('not started');
    }
    return { api, nodeRed, editor, watch };
  }
}

/** The ids of what the steps built, in order; a step that needs a missing one says which step failed. */
class Built {
  binding: string | undefined;
  account: string | undefined;
  inject: string | undefined;
  debug: string | undefined;

  need(name: 'binding' | 'account' | 'inject' | 'debug'): string {
    const id = this[name];
    if (id === undefined) throw new Error(`an earlier step did not create the ${name} node`);
    return id;
  }
}

describe('end to end: the editor in a browser, used as a person uses it', function () {
  // Packing and installing take most of it; the browser steps take about 10 s together.
  this.timeout(180_000);
  const session = new Session();
  const built = new Built();

  before(async () => {
    const artifacts = await freshArtifacts();
    // Settled, not Promise.all: whatever did start is then assigned, so that after() stops it.
    const started = await Promise.allSettled([
      installPackedPackage().then((dir) => (session.userDir = dir)),
      TwilioApi.start().then((api) => (session.api = api)),
      launchChromium().then((browser) => (session.browser = browser)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason as Error;
    const { userDir, browser } = session;
    if (userDir === undefined || browser === undefined) throw new Error('not started');
    session.nodeRed = await NodeRedProcess.start(userDir, EDITOR_SETTINGS);
    session.since = session.nodeRed.output.length;
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    // Below mocha's timeout, so that a missing element fails with playwright's account of what it waited for.
    page.setDefaultTimeout(20_000);
    session.watch = new ConsoleWatch(page);
    session.editor = new Editor(page, artifacts);
  });

  afterEach(async function () {
    const test = this.currentTest;
    if (test?.state !== 'failed' || session.editor === undefined) return;
    const name = test.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await session.editor.page
      .screenshot({ path: join(ARTIFACTS, `failed-${name}.png`) })
      .catch(() => undefined);
  });

  after(async () => {
    const { userDir, api, nodeRed, browser, watch } = session;
    await watch?.save(join(ARTIFACTS, 'console.json')).catch(() => undefined);
    // Each one stopped even when another fails to stop.
    const results = await Promise.allSettled([browser?.close(), nodeRed?.stop(), api?.close()]);
    if (userDir !== undefined) await removeUserDir(userDir);
    for (const result of results) if (result.status === 'rejected') throw result.reason as Error;
  });

  it('opens the editor with both nodes: the binding node in the palette with its tooltip, the config node registered', async () => {
    const { nodeRed, editor } = session.running;
    await editor.open(nodeRed.url);
    const palette = editor.paletteNode('twilio-sms-binding');
    await palette.scrollIntoViewIfNeeded();
    await palette.waitFor({ state: 'visible' });
    should(await rawCatalogKeys(palette)).deepEqual([]);
    // A config node type is never in the palette: the editor knows it once its definition has loaded.
    should(await editor.typeRegistered('twilio-sms-binding')).be.true();
    should(await editor.typeRegistered('twilio-sms-config')).be.true();
    should(await editor.paletteNode('twilio-sms-config').count()).equal(0);
    // Hovering shows the help's first paragraph as the tooltip.
    await palette.hover();
    const tooltip = editor.page
      .locator('.red-ui-popover')
      .filter({ visible: true, hasText: tooltipParagraph().slice(0, 30) });
    await tooltip.waitFor({ state: 'visible' });
    should(oneLine(await tooltip.innerText())).containEql(tooltipParagraph());
    await editor.screenshot('palette');
  });

  it('drops the binding node on the workspace and creates its account in the edit dialog', async () => {
    const { api, editor } = session.running;
    const { page } = editor;
    built.binding = await editor.dropFromPalette('twilio-sms-binding', { x: 400, y: 200 });
    await editor.screenshot('node-dropped');

    const tray = await editor.openEditDialog(built.binding);
    await page.locator('#node-input-account').waitFor({ state: 'attached' });
    should(await rawCatalogKeys(tray)).deepEqual([]);
    await editor.screenshot('edit-dialog');
    // Node-RED 4.1 has an add (+) button next to the config select; earlier versions, the pencil.
    await page
      .locator('#node-input-btn-account-add, #node-input-lookup-account')
      .filter({ visible: true })
      .first()
      .click();
    const accountSid = page.locator('#node-config-input-accountSid');
    await accountSid.waitFor({ state: 'visible' });
    const configTray = page.locator('.red-ui-tray').filter({ has: page.locator('#node-config-dialog-ok') });
    should(await rawCatalogKeys(configTray)).deepEqual([]);
    await accountSid.fill(SANDBOX_ACCOUNT.accountSid);
    await page.locator('#node-config-input-authToken').fill(SANDBOX_ACCOUNT.authToken);
    await page.locator('#node-config-input-fromNumber').fill(FROM_NUMBER);
    await page.locator('#node-config-input-toNumber').fill(TO_NUMBER);
    await editor.screenshot('config-dialog-account');

    // The API URL is on another tab of the dialog: click the tab whose pane holds it.
    const apiBaseUrl = page.locator('#node-config-input-apiBaseUrl');
    if (!(await apiBaseUrl.isVisible())) {
      const pane = await apiBaseUrl.evaluate((input) => {
        for (let element = input.parentElement; element !== null; element = element.parentElement) {
          if (element.id !== '' && document.getElementById(`red-ui-tab-${element.id}`) !== null) {
            return element.id;
          }
        }
        return undefined;
      });
      if (pane === undefined) throw new Error('the API URL field is hidden and on no tab of the dialog');
      await page.locator(`[id="red-ui-tab-${pane}"] a`).click();
    }
    await apiBaseUrl.fill(api.url);
    await editor.screenshot('config-dialog-connection');
    await page.locator('#node-config-dialog-ok').click();
    await accountSid.waitFor({ state: 'detached' });

    // Back in the binding node's dialog, with the new account chosen.
    built.account = await page.locator('#node-input-account').inputValue();
    should(await editor.nodeById(built.account)).have.properties({ type: 'twilio-sms-config' });
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-account').waitFor({ state: 'detached' });
    should(await rawCatalogKeys(editor.node(built.binding))).deepEqual([]);

    // The new config node is listed in the config-nodes sidebar under its label.
    await editor.showSidebar('config');
    const label = await editor.label(built.account);
    await page
      .locator('.red-ui-palette-node-config')
      .filter({ visible: true, hasText: label })
      .first()
      .waitFor({ state: 'visible' });
    await editor.showSidebar('info');
  });

  it('wires inject -> binding -> debug with the mouse, from output port to input port', async () => {
    const { editor } = session.running;
    const binding = built.need('binding');
    built.inject = await editor.dropFromPalette('inject', { x: 150, y: 200 });
    built.debug = await editor.dropFromPalette('debug', { x: 750, y: 200 });
    await editor.wire(built.inject, binding);
    await editor.wire(binding, built.debug);
    should(await editor.links(built.inject, binding)).equal(1);
    should(await editor.links(binding, built.debug)).equal(1);
    await editor.screenshot('flow-wired');
  });

  it("deploys; the inject button sends the SMS: the node shows 'sent', the debug sidebar the message resource", async () => {
    const { api, nodeRed, editor } = session.running;
    const { page } = editor;
    const [binding, account, inject, debug] = (['binding', 'account', 'inject', 'debug'] as const).map(
      (name) => built.need(name),
    ) as [string, string, string, string];
    const since = nodeRed.output.length;
    await editor.deploy();
    await nodeRed.waitForOutput('Started flows', since);

    // What the editor deployed, as the runtime holds it: the wires drawn, the account's URL, no secret.
    const response = await fetch(`${nodeRed.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
    const flows = (await response.json()) as FlowNode[];
    const byId = new Map(flows.map((node) => [node.id, node]));
    should(byId.get(inject)?.wires).deepEqual([[binding]]);
    should(byId.get(binding)).have.properties({ type: 'twilio-sms-binding', account, wires: [[debug]] });
    should(byId.get(account)).have.properties({ type: 'twilio-sms-config', apiBaseUrl: api.url });
    should(JSON.stringify(flows)).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(api.requests).deepEqual([]);

    await editor.node(inject).locator('.red-ui-flow-node-button').click();
    await api.waitForRequests(1, 15_000);
    const status = editor.status(binding);
    await status.filter({ hasText: /^sent$/ }).waitFor({ state: 'visible' });
    should(await editor.node(binding).locator('rect.red-ui-flow-node-status').getAttribute('class')).match(
      /\bred-ui-flow-node-status-dot-green\b/,
    );
    await editor.screenshot('deployed-status');

    // Exactly the message the flow sent: the inject node's timestamp, to the account's To number.
    const body = String(api.requests[0]?.form.Body);
    should(body).match(/^\d{13}$/);
    should(api.requests.map((request) => request.form)).deepEqual([
      { To: TO_NUMBER, From: FROM_NUMBER, Body: body },
    ]);
    should(api.requests[0]?.auth).deepEqual({
      username: SANDBOX_ACCOUNT.accountSid,
      password: SANDBOX_ACCOUNT.authToken,
    });
    should(api.messages).have.length(1);
    const sid = String(api.messages[0]?.sid);
    should(sid).match(/^SM[0-9a-f]{32}$/);

    await editor.showSidebar('debug');
    const message = page.locator(`.red-ui-debug-msg.red-ui-debug-msg-node-${debug}`);
    await message.waitFor({ state: 'visible' });
    should(await message.count()).equal(1);
    // Collapsed, the debug sidebar previews a few properties: open the object to see them all.
    await message.locator('.red-ui-debug-msg-object-handle').first().click();
    await message.filter({ hasText: `sid: "${sid}"` }).waitFor({ state: 'visible' });
    const shown = await message.innerText();
    should(shown).containEql(`body: "${body}"`);
    should(shown).containEql(`to: "${TO_NUMBER}"`);
    should(shown).containEql(`from: "${FROM_NUMBER}"`);
    should(shown).containEql('status: "queued"');
    await editor.screenshot('debug-sidebar');
  });

  it("shows the node's help in the help sidebar: the tooltip paragraph, then Inputs and Outputs", async () => {
    const { editor } = session.running;
    const { page } = editor;
    const binding = built.need('binding');
    await editor.node(binding).locator('rect.red-ui-flow-node').click();
    await editor.showSidebar('help');
    const title = String(await editor.paletteNode('twilio-sms-binding').getAttribute('data-palette-label'));
    const help = page
      .locator('.red-ui-sidebar-help-stack .red-ui-help')
      .filter({ has: page.locator('h1.red-ui-help-title', { hasText: title }) })
      .first();
    await help.waitFor({ state: 'visible' });
    should(oneLine(await help.locator('p').first().innerText())).equal(tooltipParagraph());
    const headings = (await help.locator('h3').allInnerTexts()).map(oneLine);
    should(headings).containEql('Inputs');
    should(headings).containEql('Outputs');
    should(headings.indexOf('Inputs')).be.below(headings.indexOf('Outputs'));
    should(await rawCatalogKeys(help)).deepEqual([]);
    await editor.screenshot('help');
  });

  it(`imports "${EXAMPLE}" through Import > Examples`, async () => {
    const { editor } = session.running;
    const { page } = editor;
    const before = new Set((await editor.nodesOfType('twilio-sms-binding')).map((node) => node.id));
    await page.locator('#red-ui-header-button-sidemenu').click();
    await page.locator('#menu-item-import').click();
    const dialog = page.locator('#red-ui-clipboard-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.locator('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a').click();
    const examples = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    await examples.locator('.red-ui-treeList-label', { hasText: PACKAGE }).click();
    await examples.locator('.red-ui-treeList-label', { hasText: EXAMPLE }).click();
    const importButton = page.locator('#red-ui-clipboard-dialog-ok');
    await page.locator('#red-ui-clipboard-dialog-ok:not([disabled])').waitFor({ state: 'visible' });
    await editor.screenshot('example-import-dialog');
    await importButton.click();
    await dialog.waitFor({ state: 'hidden' });
    await editor.notification(/Imported/).waitFor({ state: 'visible' });

    const expected = readExample(EXAMPLE).filter((node) => node.type === 'twilio-sms-binding');
    const imported = (await editor.nodesOfType('twilio-sms-binding')).filter((node) => !before.has(node.id));
    should(imported.map((node) => node.name)).deepEqual(expected.map((node) => node.name));
    const [first] = imported;
    if (first?.z === undefined || first.account === undefined) throw new Error('imported no binding node');
    // On the example's own flow tab, not on the one the test built, with the example's account node.
    should(first.z).not.equal((await editor.nodeById(built.need('binding')))?.z);
    should(await editor.nodeById(first.account)).have.properties({ type: 'twilio-sms-config' });

    await page.locator(`#red-ui-workspace-tabs [id="red-ui-tab-${first.z}"] a`).click();
    await editor.node(first.id).waitFor({ state: 'visible' });
    should(await rawCatalogKeys(page.locator('#red-ui-workspace-chart'))).deepEqual([]);
    await editor.screenshot('example-imported');
  });

  it('logged no error in the browser console, and Node-RED no warning or error, during the whole test', () => {
    const { nodeRed, watch } = session.running;
    should(watch.unexpected()).deepEqual([]);
    should(problemLines(nodeRed, session.since)).deepEqual([]);
  });
});
