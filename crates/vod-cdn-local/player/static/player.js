// Local CDN player page: plays one asset with hls.js and dash.js side by side, shows the
// poster, storyboard and record, and publishes progress on window.vodPlayerState for tests.
//
// Every request is same-origin with credentials 'same-origin' (the players' defaults): the page
// is served by the CDN itself, so in signed mode the CloudFront-* cookies are first-party and go
// with every manifest, segment and image. The CDN answers cross-origin requests with
// `Access-Control-Allow-Origin: *` and no credentials, as our CloudFront distribution does, so
// cookie playback from a page on another origin fails here exactly as it would on AWS.
(() => {
  'use strict';
  const body = document.body;
  const assetId = body.dataset.assetId;
  const signed = body.dataset.signed === 'true';
  const $ = (id) => document.getElementById(id);

  const state = {
    assetId,
    signed,
    ready: false,
    pageErrors: [],
    hls: { time: 0, levels: [], currentLevel: -1, errors: [], warnings: [], url: null },
    dash: { time: 0, levels: [], currentLevel: -1, errors: [], warnings: [], url: null },
  };
  window.vodPlayerState = state;

  function showError(box, message) {
    const el = $(box);
    el.hidden = false;
    el.textContent = el.textContent ? `${el.textContent}\n${message}` : message;
  }
  function pageError(message) {
    state.pageErrors.push(message);
    showError('page-error', message);
  }
  function playerError(kind, message) {
    state[kind].errors.push(message);
    showError(`${kind}-error`, message);
  }
  const kbps = (bps) => `${Math.round(bps / 1000)} kbps`;
  // AV1 and H.264 rungs of the same size sit side by side when the asset has the AV1 tier: the
  // codec tells them apart (hls.js lists both where the browser decodes AV1).
  const codec = (l) => (l.codecs && /av01/.test(l.codecs) ? ' · AV1' : '');
  const label = (l) => `${l.height ? `${l.height}p` : 'audio'} · ${l.width || '?'}×${l.height || '?'} · ${kbps(l.bitrate)}${codec(l)}`;

  async function getJson(url) {
    const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
    if (!res.ok) throw new Error(`${url}: ${res.status} ${json && json.error ? json.error : text.trim()}`);
    return json;
  }

  // Fetches a manifest first so a 403/404 becomes a readable message (the CDN names the
  // reason in the body) instead of a player-internal error code.
  async function checkManifest(kind, url) {
    try {
      const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
      if (res.ok) return true;
      const reason = (await res.text()).trim();
      playerError(kind, `${kind.toUpperCase()} manifest ${res.status}: ${reason || res.statusText} (${url})`);
    } catch (e) {
      playerError(kind, `${kind.toUpperCase()} manifest unreachable: ${e.message} (${url})`);
    }
    return false;
  }

  function fillMenu(kind, levels, onPick) {
    const select = $(`${kind}-quality`);
    select.innerHTML = '';
    const auto = new Option('Auto', '-1');
    select.add(auto);
    levels.forEach((l) => select.add(new Option(label(l), String(l.index))));
    select.disabled = levels.length === 0;
    select.onchange = () => onPick(Number(select.value));
  }

  function trackTime(kind, video) {
    video.addEventListener('timeupdate', () => { state[kind].time = video.currentTime; });
    video.addEventListener('error', () => {
      const err = video.error;
      if (err) playerError(kind, `media element error ${err.code}: ${err.message || ''}`);
    });
  }

  function startHls(url) {
    const video = $('hls-video');
    state.hls.url = url;
    trackTime('hls', video);
    if (typeof window.Hls === 'undefined') return playerError('hls', 'hls.js did not load (see /player-assets/vendor/hls.min.js)');
    if (!window.Hls.isSupported()) return playerError('hls', 'this browser has no Media Source Extensions for hls.js');
    const hls = new window.Hls();
    window.vodHls = hls;
    hls.on(window.Hls.Events.MANIFEST_PARSED, (_event, data) => {
      state.hls.levels = data.levels.map((l, index) => ({ index, width: l.width, height: l.height, bitrate: l.bitrate, codecs: l.codecs }));
      fillMenu('hls', state.hls.levels, (level) => { hls.currentLevel = level; });
      video.play().catch((e) => state.hls.warnings.push(`play(): ${e.message}`));
    });
    hls.on(window.Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      state.hls.currentLevel = data.level;
      const l = state.hls.levels[data.level];
      $('hls-info').textContent = l ? `playing ${label(l)}${hls.autoLevelEnabled ? ' (auto)' : ''}` : '';
    });
    hls.on(window.Hls.Events.ERROR, (_event, data) => {
      const status = data.response && data.response.code ? ` HTTP ${data.response.code}` : '';
      const message = `${data.type}/${data.details}${status}`;
      if (data.fatal) playerError('hls', `hls.js fatal error: ${message}`);
      else state.hls.warnings.push(message);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  function startDash(url) {
    const video = $('dash-video');
    state.dash.url = url;
    trackTime('dash', video);
    if (typeof window.dashjs === 'undefined') return playerError('dash', 'dash.js did not load (see /player-assets/vendor/dash.all.min.js)');
    const player = window.dashjs.MediaPlayer().create();
    window.vodDash = player;
    player.updateSettings({ debug: { logLevel: window.dashjs.Debug.LOG_LEVEL_WARNING } });
    const events = window.dashjs.MediaPlayer.events;
    player.on(events.STREAM_INITIALIZED, () => {
      state.dash.levels = player.getBitrateInfoListFor('video').map((b) => ({ index: b.qualityIndex, width: b.width, height: b.height, bitrate: b.bitrate, codecs: b.codec || b.codecs }));
      fillMenu('dash', state.dash.levels, (level) => {
        const auto = level < 0;
        player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
        if (!auto) player.setQualityFor('video', level, true);
      });
    });
    player.on(events.QUALITY_CHANGE_RENDERED, (e) => {
      if (e.mediaType !== 'video') return;
      state.dash.currentLevel = e.newQuality;
      const l = state.dash.levels[e.newQuality];
      $('dash-info').textContent = l ? `playing ${label(l)}` : '';
    });
    player.on(events.ERROR, (e) => {
      const err = e.error || {};
      playerError('dash', `dash.js error ${err.code ?? ''}: ${err.message || JSON.stringify(e.error)}`);
    });
    player.initialize(video, url, true);
  }

  function parseTime(text) {
    const parts = text.trim().split(':').map(Number);
    return parts.reduce((acc, n) => acc * 60 + n, 0);
  }

  // WebVTT storyboard: each cue's text is an image URL, optionally with #xywh=x,y,w,h
  // (a tile of a sprite sheet); relative URLs resolve against the VTT's URL.
  function parseStoryboard(text, baseUrl) {
    const cues = [];
    for (const block of text.replace(/\r/g, '').split(/\n\n+/)) {
      const lines = block.split('\n').filter(Boolean);
      const at = lines.findIndex((l) => l.includes('-->'));
      if (at < 0 || !lines[at + 1]) continue;
      const [start, end] = lines[at].split('-->').map((t) => parseTime(t.split(' ').filter(Boolean)[0] || t));
      const [src, fragment] = lines[at + 1].trim().split('#');
      const cue = { start, end, url: new URL(src, baseUrl).href };
      const m = /xywh=(\d+),(\d+),(\d+),(\d+)/.exec(fragment || '');
      if (m) cue.xywh = m.slice(1).map(Number);
      cues.push(cue);
    }
    return cues;
  }

  function seekAll(t) {
    for (const id of ['hls-video', 'dash-video']) { try { $(id).currentTime = t; } catch (_) { /* not ready */ } }
  }

  function renderThumbs(cues) {
    const box = $('storyboard');
    box.innerHTML = '';
    for (const cue of cues) {
      const item = document.createElement('div');
      item.className = 'thumb';
      const frame = document.createElement('div');
      frame.className = 'frame';
      frame.style.backgroundImage = `url("${cue.url}")`;
      if (cue.xywh) {
        const [x, y, w, h] = cue.xywh;
        frame.style.width = `${w}px`;
        frame.style.height = `${h}px`;
        frame.style.backgroundSize = 'auto';
        frame.style.backgroundPosition = `-${x}px -${y}px`;
      }
      item.append(frame, document.createTextNode(`${cue.start.toFixed(1)} s`));
      item.title = 'seek both players here';
      item.onclick = () => seekAll(cue.start);
      box.append(item);
    }
    state.storyboard = cues.length;
  }

  async function storyboard(urls) {
    if (urls.storyboardUrl) {
      try {
        const res = await fetch(urls.storyboardUrl, { credentials: 'same-origin' });
        if (!res.ok) throw new Error(`${res.status} ${(await res.text()).trim()}`);
        return renderThumbs(parseStoryboard(await res.text(), urls.storyboardUrl));
      } catch (e) {
        pageError(`storyboard ${urls.storyboardUrl}: ${e.message}`);
      }
    }
    // No storyboard: the thumbnails themselves, numbered into their URL template.
    const series = urls.thumbnailSeries;
    if (series && series.count > 0) {
      const url = (i) => series.urlTemplate.replace(/\$Number%0(\d+)d\$/, (_, w) => String(i).padStart(Number(w), '0'));
      return renderThumbs(Array.from({ length: series.count }, (_, i) => ({ url: url(i), start: i * series.intervalSeconds, end: 0 })));
    }
    $('storyboard').textContent = 'No storyboard in the record.';
    state.storyboard = 0;
  }

  async function main() {
    let record;
    try {
      record = await getJson(`/api/assets/${assetId}`);
    } catch (e) {
      $('record').textContent = '';
      return pageError(`asset record: ${e.message}`);
    }
    $('record').textContent = JSON.stringify(record, null, 2);
    $('asset-status').textContent = record.status;
    state.status = record.status;

    // In signed mode this call also sets the CloudFront-* cookies for the asset's folder,
    // so it must finish before anything under the folder is requested.
    let urls;
    try {
      urls = await getJson(`/api/playback/${assetId}`);
    } catch (e) {
      return pageError(`playback: ${e.message}`);
    }
    state.urls = urls;

    if (urls.posterUrl) {
      const poster = $('poster');
      poster.hidden = false;
      poster.onerror = () => pageError(`poster did not load: ${urls.posterUrl}`);
      poster.src = urls.posterUrl;
      $('hls-video').poster = urls.posterUrl;
      $('dash-video').poster = urls.posterUrl;
    } else {
      $('poster-none').hidden = false;
    }

    const starts = [];
    if (urls.hlsUrl) {
      starts.push(checkManifest('hls', urls.hlsUrl).then((ok) => ok && startHls(urls.hlsUrl)));
    } else {
      playerError('hls', 'the record has no HLS URL');
    }
    if (urls.dashUrl) {
      starts.push(checkManifest('dash', urls.dashUrl).then((ok) => ok && startDash(urls.dashUrl)));
    } else {
      playerError('dash', 'the record has no DASH URL');
    }
    starts.push(storyboard(urls));
    await Promise.all(starts);
    state.ready = true;
  }

  main().catch((e) => pageError(`player page: ${e.message}`)).finally(() => { state.ready = true; });
})();
