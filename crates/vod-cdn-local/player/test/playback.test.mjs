// Browser test of the local CDN's player page: real HLS + DASH playback in Chromium.
//
// Run by `cargo test -p vod-cdn-local --test it player_page` (tests/it/browser.rs), which
// makes a real asset, serves it and sets:
//   VOD_CDN_URL, VOD_ASSET_ID            open distribution + a playable asset
//   VOD_BROKEN_ASSET_ID                  a record whose manifests are missing (on VOD_CDN_URL)
//   VOD_SIGNED_CDN_URL, VOD_SIGNED_ASSET_ID  signed distribution + a playable asset
//   VOD_CHROMIUM                         the browser (default /usr/bin/chromium)
// or, from the end-to-end suite (tests/it/browser.rs) with an asset the pipeline made:
//   VOD_AV1_CDN_URL, VOD_AV1_ASSET_ID     an asset with H.264 and AV1 renditions (the AV1 tier)
//   VOD_PIPELINE_CDN_URL, VOD_PIPELINE_ASSET_ID
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = process.env;
const configured = Boolean(env.VOD_CDN_URL && env.VOD_ASSET_ID);
const pipeline = Boolean(env.VOD_PIPELINE_CDN_URL && env.VOD_PIPELINE_ASSET_ID);
const av1 = Boolean(env.VOD_AV1_CDN_URL && env.VOD_AV1_ASSET_ID);
if (!configured && !pipeline && !av1) {
  console.error('\n!!!! SKIPPED: set VOD_CDN_URL and VOD_ASSET_ID (cargo test -p vod-cdn-local --test it player_page does) !!!!\n');
}
const PLAY_SECONDS = 3;

let browser; // a persistent context: Chromium with a fresh --user-data-dir
let profile;

before(async () => {
  if (!configured && !pipeline && !av1) return;
  profile = mkdtempSync(join(tmpdir(), 'vod-player-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: env.VOD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function openPlayer(base, assetId) {
  const context = browser;
  const page = await context.newPage();
  const consoleErrors = [];
  // Console "Failed to load resource" lines carry no URL; failed responses are listed instead.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) consoleErrors.push(`${r.status()} ${r.url()}`); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const response = await page.goto(`${base}/player/${assetId}`);
  assert.equal(response.status(), 200);
  return { context, page, consoleErrors };
}

const state = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.vodPlayerState)));

// Waits until both players are past PLAY_SECONDS, failing early on any player error.
async function waitForPlayback(page, timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  let s;
  while (Date.now() < deadline) {
    s = await state(page);
    const errors = [...s.pageErrors, ...s.hls.errors, ...s.dash.errors];
    assert.deepEqual(errors, [], `player errors: ${JSON.stringify(s, null, 1)}`);
    if (s.hls.time > PLAY_SECONDS && s.dash.time > PLAY_SECONDS) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`playback did not pass ${PLAY_SECONDS} s: ${JSON.stringify(s, null, 1)}`);
}

function assertLadder(s) {
  for (const kind of ['hls', 'dash']) {
    assert.ok(s[kind].levels.length > 1, `${kind} quality levels: ${JSON.stringify(s[kind].levels)}`);
    const heights = s[kind].levels.map((l) => l.height).sort((a, b) => a - b);
    assert.deepEqual(heights, [360, 720], `${kind} heights`);
    for (const l of s[kind].levels) assert.ok(l.bitrate > 0, `${kind} bitrate ${JSON.stringify(l)}`);
  }
}

async function assertMenus(page) {
  for (const kind of ['hls', 'dash']) {
    const options = await page.locator(`#${kind}-quality option`).allTextContents();
    assert.equal(options[0], 'Auto');
    assert.equal(options.length, 3, `${kind} menu: ${options}`);
    assert.ok(options.some((o) => o.includes('720p') && o.includes('kbps')), `${kind} menu: ${options}`);
  }
}

test('open distribution: HLS and DASH play past 3 s with two quality levels', { skip: !configured, timeout: 60_000 }, async () => {
  const { context, page, consoleErrors } = await openPlayer(env.VOD_CDN_URL, env.VOD_ASSET_ID);
  try {
    const s = await waitForPlayback(page);
    assertLadder(s);
    await assertMenus(page);
    // Poster, storyboard and record are on the page.
    await page.waitForFunction(() => document.getElementById('poster').complete && document.getElementById('poster').naturalWidth > 0);
    assert.equal(await page.locator('#storyboard .thumb').count(), 6);
    const record = JSON.parse(await page.locator('#record').textContent());
    assert.equal(record.assetId, env.VOD_ASSET_ID);
    assert.equal(record.status, 'COMPLETE');
    // Picking a rung in the menu switches hls.js to it.
    await page.selectOption('#hls-quality', '1');
    await page.waitForFunction(() => window.vodPlayerState.hls.currentLevel === 1, null, { timeout: 15_000 });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await page.close();
  }
});

test('missing manifests: the page says 404 instead of playing', { skip: !(configured && env.VOD_BROKEN_ASSET_ID), timeout: 30_000 }, async () => {
  const { context, page } = await openPlayer(env.VOD_CDN_URL, env.VOD_BROKEN_ASSET_ID);
  try {
    await page.waitForFunction(() => window.vodPlayerState.ready);
    const s = await state(page);
    assert.match(s.hls.errors.join('\n'), /HLS manifest 404/);
    assert.match(s.dash.errors.join('\n'), /DASH manifest 404/);
    assert.match(await page.locator('#hls-error').textContent(), /404/);
    assert.ok(await page.locator('#dash-error').isVisible());
  } finally {
    await page.close();
  }
});

test('signed distribution: 403 without cookies, plays through the page with them', { skip: !(configured && env.VOD_SIGNED_CDN_URL), timeout: 60_000 }, async () => {
  const base = env.VOD_SIGNED_CDN_URL;
  const id = env.VOD_SIGNED_ASSET_ID;
  const bare = await fetch(`${base}/assets/${id}/stream.m3u8`);
  assert.equal(bare.status, 403);
  assert.match(await bare.text(), /missing/);

  const { context, page } = await openPlayer(base, id);
  try {
    const s = await waitForPlayback(page);
    assertLadder(s);
    assert.equal(s.urls.signed, true);
    const cookies = await context.cookies(`${base}/assets/${id}/stream.m3u8`);
    const names = cookies.map((c) => c.name).sort();
    assert.deepEqual(names, ['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
    for (const c of cookies) {
      assert.equal(c.path, `/assets/${id}/`);
      assert.equal(c.httpOnly, true);
      assert.equal(c.sameSite, 'Lax');
    }
    // The HttpOnly cookies are invisible to the page's script.
    assert.equal(await page.evaluate(() => document.cookie.includes('CloudFront')), false);
    // The other CDN (another origin) answers `Access-Control-Allow-Origin: *` without
    // credentials, as our CloudFront distribution does: this page may read it without cookies,
    // and the browser refuses a read with them. Cookie playback is same-origin, here as on AWS.
    const other = `${env.VOD_CDN_URL}/assets/${env.VOD_ASSET_ID}/stream.m3u8`;
    const cross = await page.evaluate(async (url) => {
      const read = async (credentials) => {
        try { return (await fetch(url, { credentials, cache: 'no-store' })).status; } catch (e) { return e.name; }
      };
      return { omit: await read('omit'), include: await read('include') };
    }, other);
    assert.deepEqual(cross, { omit: 200, include: 'TypeError' });
  } finally {
    await page.close();
  }
});

test('pipeline asset: HLS and DASH play past 3 s, every video rendition of the record is a level', { skip: !pipeline, timeout: 90_000 }, async () => {
  const { page, consoleErrors } = await openPlayer(env.VOD_PIPELINE_CDN_URL, env.VOD_PIPELINE_ASSET_ID);
  try {
    const s = await waitForPlayback(page, 60_000);
    const record = JSON.parse(await page.locator('#record').textContent());
    assert.equal(record.assetId, env.VOD_PIPELINE_ASSET_ID);
    assert.equal(record.status, 'COMPLETE');
    const expected = record.renditions.filter((r) => r.kind === 'video').map((r) => r.height).sort((a, b) => a - b);
    assert.ok(expected.length > 1, `the pipeline made one rung: ${JSON.stringify(record.renditions)}`);
    for (const kind of ['hls', 'dash']) {
      const heights = s[kind].levels.map((l) => l.height).sort((a, b) => a - b);
      assert.deepEqual(heights, expected, `${kind} levels vs the record's renditions`);
      for (const l of s[kind].levels) assert.ok(l.bitrate > 0, `${kind} bitrate ${JSON.stringify(l)}`);
    }
    await page.waitForFunction(() => document.getElementById('poster').complete && document.getElementById('poster').naturalWidth > 0);
    assert.equal(await page.locator('#storyboard .thumb').count(), record.playback.thumbnailSeries.count);
    assert.ok(record.playback.thumbnailSeries.count > 0);
    // The storyboard is the sprite track: every preview is a crop inside a tile image that loads.
    const crops = await page.evaluate(() => Promise.all([...document.querySelectorAll('#storyboard .thumb .frame')].map(async (f) => {
      const url = f.style.backgroundImage.replace(/^url\("?|"?\)$/g, '');
      const img = new Image();
      img.src = url;
      await img.decode();
      const [x, y] = f.style.backgroundPosition.split(' ').map((v) => -parseFloat(v));
      return { url, x, y, w: parseFloat(f.style.width), h: parseFloat(f.style.height), iw: img.naturalWidth, ih: img.naturalHeight };
    })));
    for (const c of crops) {
      assert.ok(c.w > 0 && c.h > 0 && c.w < c.iw, `a crop of a larger tile image: ${JSON.stringify(c)}`);
      assert.ok(c.x + c.w <= c.iw && c.y + c.h <= c.ih, `the crop lies inside its image: ${JSON.stringify(c)}`);
    }
    assert.deepEqual(consoleErrors, []);
  } finally {
    await page.close();
  }
});

test('AV1 tier: hls.js lists the av01 rendition beside H.264, and picking it plays AV1', { skip: !av1, timeout: 60_000 }, async () => {
  const { page, consoleErrors } = await openPlayer(env.VOD_AV1_CDN_URL, env.VOD_AV1_ASSET_ID);
  try {
    let s = await waitForPlayback(page);
    const index = s.hls.levels.findIndex((l) => /av01/.test(l.codecs || ''));
    assert.ok(index >= 0, `no AV1 level: ${JSON.stringify(s.hls.levels)}`);
    assert.ok(s.hls.levels.some((l) => /avc1/.test(l.codecs || '')), `no H.264 level: ${JSON.stringify(s.hls.levels)}`);
    const options = await page.locator('#hls-quality option').allTextContents();
    assert.ok(options.some((o) => o.includes('AV1')), `menu: ${options}`);
    await page.selectOption('#hls-quality', String(index));
    await page.waitForFunction((i) => window.vodPlayerState.hls.currentLevel === i, index, { timeout: 15_000 });
    // Playback goes on on the AV1 level: decoded frames, not a stall.
    const at = (await state(page)).hls.time;
    await page.waitForFunction((t) => window.vodPlayerState.hls.time > t + 1, at, { timeout: 20_000 });
    s = await state(page);
    assert.deepEqual([...s.pageErrors, ...s.hls.errors], [], JSON.stringify(s, null, 1));
    assert.equal(s.hls.currentLevel, index);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await page.close();
  }
});
