'use strict';
(function () {
  var $ = function (id) {
    return document.getElementById(id);
  };
  // The page is {PUBLIC_URL}/s/{token}, and the API is beside it under PUBLIC_URL's path, if any
  // (a proxy that strips a prefix). A mail client may have turned the link's # into %23: the
  // link is put back together rather than its key taken for part of the token. What a chat tool or
  // a paste left after the token or the key (a slash, a full stop, a bracket, a space) is cut off.
  var at = /^(.*)\/s\/([^/]*)\/?$/.exec(location.pathname) || ['', '', ''];
  var segment = at[2].split(/%23/i);
  var token = /^[A-Za-z0-9_-]*/.exec(segment[0])[0];
  var fragment = location.hash || (segment.length > 1 ? '#' + segment.slice(1).join('#') : '');
  fragment = fragment && '#' + withoutTail(fragment.slice(1));
  if (at[1] + '/s/' + token + fragment !== location.pathname + location.hash)
    history.replaceState(null, '', at[1] + '/s/' + token + fragment);
  var api = at[1] + '/api/v1/links/' + token;
  // What the link leads to, from the lookup: decides between Reveal and Download.
  var link;
  // Whether a view was asked for from this page: after that, a new fragment changes nothing.
  var spent = false;
  // The revealed text exactly as sent (a textarea shows \r\n as \n; Copy copies this).
  var revealed = '';

  // The key lives in the fragment, which browsers never send. It is read when it is needed, so a
  // link pasted again in the same tab (only its fragment changed) is the one used.
  function linkKey() {
    return withoutTail(location.hash.slice(1));
  }
  // 32 bytes in base64url, as the oncelink command writes it (or standard base64), as
  // src/client/link-crypto.ts's isKey: anything else was cut short or changed on its way.
  function isKey(fragment) {
    return /^[A-Za-z0-9+/_-]{43}=?$/.test(fragment);
  }
  // As link-crypto.ts's withoutTail: what a sentence or a chat tool left after the key is cut off.
  function withoutTail(fragment) {
    var keyed = /^([A-Za-z0-9+/_-]{43}=?)(?:[.,;:!?)\]>'"]|%3E|%22)+$/i.exec(fragment);
    return keyed ? keyed[1] : fragment;
  }
  // Why the link's key cannot open the secret, before anything is spent; null when it may.
  function keyProblem() {
    var sealed = link.kind === 'encrypted' || (link.file && link.file.encryption === 'client');
    if (!sealed) return null;
    // Browsers give WebCrypto only to secure contexts (https, or localhost): on plain http the view
    // would be spent on a secret that cannot be decrypted here.
    if (!window.isSecureContext)
      return 'This link must be opened over https: on plain http this browser cannot decrypt the secret. Nothing was spent. Open it with https:// or ask the sender for an https link.';
    if (!window.crypto || !crypto.subtle)
      return 'This browser cannot decrypt the secret: it has no WebCrypto. Nothing was spent. Open the link in an up-to-date browser.';
    if (!linkKey() && keyRemovedHere())
      return link.file
        ? 'This page removed the key after the download: open the original link again to download the file again.'
        : 'This page removed the key after showing the secret: open the original link again to see it.';
    if (!linkKey()) return 'This link is missing its key (the part after #). Ask the sender for the full link.';
    if (!isKey(linkKey()))
      return 'The key in this link (the part after #) is cut short or changed. Copy the whole link again, or ask the sender for it.';
    return null;
  }

  // Once it has served, the key is taken out of the address bar and this tab's back/forward list
  // (no page can take it out of the browser's history). This tab remembers that it did (for this
  // token; never the key), so a reload does not blame the sender's link.
  var KEY_REMOVED = 'key-removed:' + token;
  function removeKey() {
    try {
      if (linkKey()) sessionStorage.setItem(KEY_REMOVED, '1');
    } catch (e) {
      // Storage refused (a privacy setting): a reload then says only that the key is missing.
    }
    history.replaceState(null, '', location.pathname);
  }
  function keyRemovedHere() {
    try {
      return sessionStorage.getItem(KEY_REMOVED) !== null;
    } catch (e) {
      return false;
    }
  }

  // Shows the section for `state`; the tab's title is its heading, so a tab or a screen reader
  // names the state the page is in.
  function show(state) {
    document.querySelectorAll('[data-state]').forEach(function (el) {
      el.hidden = el.getAttribute('data-state') !== state;
      if (!el.hidden) document.title = el.querySelector('h2').textContent + ' · Oncelink';
    });
    // A view spent on a link that allows no more leaves nothing to report (the API would answer 410).
    if (spent && state !== 'ready' && !allowsMore(link)) linkEnded();
  }
  function linkEnded() {
    $('report').hidden = true;
  }
  var announcing = {};
  // Sets a live region's text a moment after emptying it, so the same words again (Copy pressed
  // twice, the same passcode error) are a change a screen reader announces.
  function announce(id, text) {
    clearTimeout(announcing[id]);
    $(id).textContent = '';
    if (text)
      announcing[id] = setTimeout(function () {
        $(id).textContent = text;
      }, 50);
  }
  function say(text) {
    announce('status', text);
  }
  // A change of the status as it happens, and only when it is one: for progress, which repeats.
  function sayNow(text) {
    clearTimeout(announcing.status);
    if ($('status').textContent !== text) $('status').textContent = text;
  }
  function gone(text) {
    $('gone-message').textContent = text;
    say('');
    show('gone');
    // The message takes the focus, so a screen reader reads it where the button was (once: it is
    // no live region as well).
    $('gone-message').focus();
  }
  // A form whose request is under way: its button cannot send it again, and it says it is busy.
  function sending(form, busy) {
    form.setAttribute('aria-busy', String(busy));
    form.querySelector('button').disabled = busy;
  }
  function bytes(base64) {
    var text = atob(base64.replace(/-/g, '+').replace(/_/g, '/'));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  // Sets `el` to `parts`: text, and the link's expiry as a <time> in English with its zone (the
  // browser's locale would put its own digits and order inside these English sentences).
  function write(el, parts) {
    el.textContent = '';
    parts.forEach(function (part) {
      if (typeof part === 'string') return el.append(part);
      var time = document.createElement('time');
      time.dateTime = part.toISOString();
      time.textContent = part.toLocaleString('en', {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZoneName: 'short',
      });
      el.append(time);
    });
  }
  function describe(data) {
    var until = new Date(data.expires_at);
    var verb = data.kind === 'file' ? 'downloaded' : 'viewed';
    if (data.expire_mode === 'views') {
      return data.views_remaining === 1
        ? ['It can be ' + verb + ' once, until ', until, '.']
        : ['It can be ' + verb + ' ' + data.views_remaining + ' more times, until ', until, '.'];
    }
    return ['It can be ' + verb + ' until ', until, '.'];
  }
  // Whether the link opens the secret again once this view is spent, from the lookup (the reveal
  // answers only the secret).
  function allowsMore(data) {
    return data.expire_mode === 'minutes' || data.views_remaining > 1;
  }
  // What the link still allows once this view is spent, worded to follow the caller's lead-in and a
  // colon; `verb` is what it would do again (show, download). Views others spent since the page
  // loaded are not known here, hence "at most". While it allows more, the browser's history (which
  // no page can edit) can open it again.
  var IN_HISTORY = " This browser's history still holds the link: on a shared computer, delete it there.";
  function afterView(data, verb) {
    var until = new Date(data.expires_at);
    if (data.expire_mode === 'minutes')
      return ['this link can ' + verb + ' it again until ', until, ', and then it is destroyed.' + IN_HISTORY];
    if (!allowsMore(data)) return ['this page cannot ' + verb + ' it again.'];
    var left = data.views_remaining - 1;
    return [
      'this link can ' + verb + ' it ' + (left === 1 ? 'once more' : left + ' more times') + ' at most, until ',
      until,
      '.' + IN_HISTORY,
    ];
  }
  function formatSize(size) {
    var units = ['bytes', 'KB', 'MB', 'GB'];
    var unit = 0;
    // Up a unit as soon as this one would show 1024.0: 1,048,575 bytes are 1.0 MB, not 1024.0 KB.
    for (; size >= (unit ? 1023.95 : 1024) && unit < units.length - 1; unit++) size /= 1024;
    return unit ? size.toFixed(1) + ' ' + units[unit] : size === 1 ? '1 byte' : size + ' bytes';
  }
  function describeFile(file) {
    // A client file's name is inside its ciphertext, and its size counts the encryption's few bytes.
    return file.encryption === 'client'
      ? 'An end-to-end encrypted file of about ' + formatSize(file.size) + '. Its name shows once it is downloaded.'
      : file.name
        ? file.name + ' (' + formatSize(file.size) + ')'
        : 'A file of ' + formatSize(file.size) + '. Its name shows once it is downloaded.';
  }
  // An error whose message is for the viewer; any other (a network failure, say) gets REVEAL_FAILED.
  function told(message) {
    var error = new Error(message);
    error.told = true;
    return error;
  }
  // The API's refusals, as the viewer should read them; null for any other answer, which the
  // lookup and the reveal each word for themselves (only a reveal can have spent a view).
  function refusal(status, payload, retryAfter) {
    if (status === 404) return 'This link does not exist. Check that you copied all of it.';
    // A link taken down for abuse: its sender is the one not to ask.
    if (payload.code === 'secret_suspended') return payload.message;
    if (status === 410) return (payload.message || 'This secret is gone.') + ' Ask the sender for a new link.';
    if (payload.code === 'geo_blocked') return payload.message + ' Nothing was spent. If you should be able to open it, tell the sender.';
    if (status === 403) return payload.message || 'This secret cannot be opened from here.';
    if (status === 429) return 'Too many attempts from your network. ' + waitFor(Number(retryAfter)) + ', then reload the page.';
    if (payload.code === 'decryption_failed') {
      return 'The stored secret failed its integrity check, so it cannot be shown, and this view is spent. Tell the sender.';
    }
    return null;
  }
  var REVEAL_FAILED = 'Something went wrong, and this view may be spent. Reload the page to see whether the link still works.';
  // A lookup spends nothing, whatever answered it (the API during a database outage, a proxy's 502).
  function lookupFailed(retryAfter) {
    var seconds = Number(retryAfter);
    return (
      'This link could not be loaded just now. Nothing was spent: ' +
      (seconds > 30 ? waitFor(seconds).toLowerCase() + ', then reload the page.' : 'reload the page in a moment to try again.')
    );
  }
  // Retry-After in words: a link's budget is per hour, so the wait can be most of one.
  function waitFor(seconds) {
    if (!(seconds > 0)) return 'Wait a few minutes';
    if (seconds < 90) return 'Wait a minute';
    return 'Wait about ' + Math.ceil(seconds / 60) + ' minutes';
  }
  // The API's own refusals that spent nothing: the same click may simply be tried again. (A 503
  // without the API's body is a proxy's, which may have come after the view was spent.)
  function retryable(status, payload) {
    return (status === 503 && typeof payload.message === 'string') || (status === 429 && payload.code === 'passcode_attempts_pending');
  }
  function decrypt(data, key) {
    return crypto.subtle
      .importKey('raw', bytes(key), 'AES-GCM', false, ['decrypt'])
      .then(function (k) {
        return crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(data.iv) }, k, bytes(data.ciphertext));
      })
      .then(
        function (plain) {
          return new Uint8Array(plain);
        },
        function () {
          throw told(
            link.expire_mode === 'views' && link.views_remaining <= 1
              ? 'The key in this link does not open this secret, and that was its last view: the secret is gone. Ask the sender for a new link.'
              : 'The key in this link does not open this secret, and a view was spent on it. Ask the sender for the full link.',
          );
        },
      );
  }
  // Text when it is UTF-8; other bytes are no text to show, and are offered as a file instead.
  function asText(plain) {
    try {
      // A leading byte order mark is part of what was sent; TextDecoder would drop it.
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(plain);
    } catch (e) {
      return null;
    }
  }

  // OLF1, as src/crypto/file-stream.ts writes it: "OLF1" and a 16-byte salt, then the plaintext
  // (uint32 BE n, n bytes of JSON {name, type}, the file) in 64 KiB chunks, each sealed with
  // AES-256-GCM and its 16-byte tag appended.
  var OLF1_HEADER_BYTES = 20;
  var OLF1_SEALED_CHUNK_BYTES = 65536 + 16;

  function fileKey(rawKey, salt) {
    return crypto.subtle.importKey('raw', rawKey, 'HKDF', false, ['deriveKey']).then(function (base) {
      var params = { name: 'HKDF', hash: 'SHA-256', salt: salt, info: new TextEncoder().encode('oncelink file v1') };
      return crypto.subtle.deriveKey(params, base, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
    });
  }
  // 7 zero bytes, the chunk's index (uint32 BE), then 1 on the last chunk: a dropped, reordered or
  // truncated chunk fails its tag.
  function chunkNonce(index, last) {
    var nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(7, index);
    nonce[11] = last ? 1 : 0;
    return nonce;
  }
  function concat(a, b) {
    var out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }
  // A response body read in exact sizes (fewer bytes only at its end), with a look past the end.
  function exactReader(body) {
    var reader = body.getReader();
    var buffered = new Uint8Array(0);
    var ended = false;
    function fill(n) {
      if (buffered.length >= n || ended) return Promise.resolve();
      return reader.read().then(function (next) {
        if (next.done) ended = true;
        else buffered = concat(buffered, next.value);
        return fill(n);
      });
    }
    return {
      read: function (n) {
        return fill(n).then(function () {
          var taken = buffered.slice(0, n);
          buffered = buffered.slice(n);
          return taken;
        });
      },
      atEnd: function () {
        return fill(1).then(function () {
          return buffered.length === 0;
        });
      },
    };
  }
  // Decrypts chunk by chunk as the body arrives; resolves with every plaintext chunk, in order.
  function openChunks(input, aesKey) {
    var chunks = [];
    function next(index) {
      return input.read(OLF1_SEALED_CHUNK_BYTES).then(function (sealed) {
        if (sealed.length < 16) throw cutShort();
        // A short chunk is the last; a full one is, only if nothing follows it.
        var last = sealed.length < OLF1_SEALED_CHUNK_BYTES ? Promise.resolve(true) : input.atEnd();
        return last.then(function (isLast) {
          var params = { name: 'AES-GCM', iv: chunkNonce(index, isLast), additionalData: new Uint8Array(0) };
          return crypto.subtle.decrypt(params, aesKey, sealed).then(function (plain) {
            chunks.push(new Uint8Array(plain));
            return isLast ? chunks : next(index + 1);
          });
        });
      });
    }
    return next(0);
  }
  // The file itself, with the name that travelled inside the ciphertext.
  function fileOf(chunks) {
    var first = chunks[0];
    var length = first.length >= 4 ? new DataView(first.buffer).getUint32(0) : Infinity;
    if (4 + length > first.length) throw new Error('The file has no metadata.');
    var metadata = JSON.parse(new TextDecoder().decode(first.subarray(4, 4 + length)));
    chunks[0] = first.subarray(4 + length);
    return { name: typeof metadata.name === 'string' ? metadata.name : null, blob: new Blob(chunks) };
  }
  // A name as the server keeps one (src/secrets/files/file-upload.ts): no control, bidirectional
  // or invisible characters, one space for a run (padding that hides `.exe`), no directories; a
  // client file's name is only ever seen here.
  function shownName(name) {
    var plain = (name || '')
      .replace(
        /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]/g,
        '',
      )
      .replace(/\s+/g, ' ');
    return plain.split(/[\\/]/).pop().trim() || 'file';
  }
  function openFile(body, key) {
    var input = exactReader(body);
    return input
      .read(OLF1_HEADER_BYTES)
      .then(function (header) {
        if (header.length < OLF1_HEADER_BYTES || new TextDecoder().decode(header.subarray(0, 4)) !== 'OLF1') throw new Error('Not OLF1.');
        return fileKey(bytes(key), header.subarray(4));
      })
      .then(function (aesKey) {
        return openChunks(input, aesKey);
      })
      .then(fileOf);
  }

  // The name the server gave the download (RFC 6266: filename*, else filename), for a file whose
  // link hid it. The header is read parameter by parameter, so a quoted name that holds
  // `filename*=` is a name, not a parameter.
  function dispositionName(res) {
    var rest = (res.headers.get('content-disposition') || '').replace(/^[^;]*/, '');
    var parameter = /^\s*;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/;
    var params = {};
    for (var found; (found = parameter.exec(rest)); rest = rest.slice(found[0].length)) {
      var name = found[1].toLowerCase();
      var value = found[2].charAt(0) === '"' ? found[2].slice(1, -1).replace(/\\(.)/g, '$1') : found[2].trim();
      if (!(name in params)) params[name] = value;
    }
    var encoded = /^UTF-8'[^']*'(.*)$/i.exec(params['filename*'] || '');
    if (encoded) {
      try {
        return decodeURIComponent(encoded[1]);
      } catch (e) {
        // Not percent-encoding after all: the plain name follows.
      }
    }
    return params.filename || null;
  }

  // Offers bytes to be saved, never opened: as octet-stream, a blob: URL opened in a tab cannot
  // run a sender's HTML on this origin.
  function offer(name, blob) {
    var shown = shownName(name);
    $('save').href = URL.createObjectURL(new Blob([blob], { type: 'application/octet-stream' }));
    $('save').download = shown;
    $('saved-name').textContent = shown;
    $('saved-size').textContent = formatSize(blob.size);
    write($('saved-allows'), afterView(link, 'download'));
    say('');
    show('saved');
    removeKey();
    $('save').click();
    $('save').focus();
  }

  // A download that stopped before its end (the connection dropped, a proxy cut it), as opposed
  // to bytes that arrived whole but do not decrypt.
  function cutShort() {
    var error = new Error('The download stopped before its end.');
    error.cutShort = true;
    return error;
  }
  // The response's body, failing with cutShort when the connection fails or ends before
  // Content-Length's bytes came: a truncated last chunk would otherwise fail its tag like a wrong key.
  // It counts what came into `progress`.
  function wholeBody(res, progress) {
    var reader = res.body.getReader();
    return new ReadableStream({
      pull: function (controller) {
        return reader.read().then(
          function (next) {
            if (next.done) {
              if (progress.received < progress.expected) throw cutShort();
              return controller.close();
            }
            progress.received += next.value.length;
            controller.enqueue(next.value);
          },
          function () {
            throw cutShort();
          },
        );
      },
    });
  }
  // After a cut, what the link still allows: the view it spent is gone.
  function interrupted() {
    return told(
      'The download was interrupted, so nothing was saved. ' +
        (allowsMore(link)
          ? 'Reload the page to try again (this used one download).'
          : 'That was its last download: ask the sender for a new link.'),
    );
  }

  // Only a whole file, decrypted and checked to its last chunk, is ever offered to be saved.
  function download(res, key) {
    var progress = { received: 0, expected: Number(res.headers.get('content-length')) };
    // Once a second at most, so a screen reader is not flooded with the status.
    var ticking = setInterval(function () {
      sayNow('Downloading… ' + formatSize(progress.received) + (progress.expected ? ' of ' + formatSize(progress.expected) : ''));
    }, 1000);
    var body = wholeBody(res, progress);
    var file =
      link.file.encryption === 'client'
        ? openFile(body, key)
        : new Response(body).blob().then(function (blob) {
            return { name: link.file.name || dispositionName(res), blob: blob };
          });
    file = file.catch(function (error) {
      // A server file is not decrypted here: whatever failed, its bytes did not all come.
      if ((error && error.cutShort) || link.file.encryption !== 'client') throw interrupted();
      throw told('This file could not be decrypted with the key in this link, so nothing was saved. Ask the sender for a new link.');
    });
    return file.then(
      function (opened) {
        clearInterval(ticking);
        // A download of a blob: URL is neither a fetch nor a subresource: the page's CSP stays as it is.
        offer(opened.name, opened.blob);
      },
      function (error) {
        clearInterval(ticking);
        throw error;
      },
    );
  }

  function showFile(file) {
    $('what').textContent = 'a file';
    $('when').textContent = 'downloaded once you click Download';
    $('file-info').textContent = describeFile(file);
    $('file-info').hidden = false;
    $('ready-heading').textContent = 'Download a file';
    $('reveal').textContent = 'Download file';
  }

  function load() {
    fetch(api, { headers: { accept: 'application/json' } }).then(
      function (res) {
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (payload) {
            // A lookup that answers after Reveal was clicked (the fragment changed meanwhile) changes nothing.
            if (spent) return;
            payload = payload || {};
            var retryAfter = res.headers.get('retry-after');
            if (res.status === 404 || res.status === 410) linkEnded();
            if (!res.ok) return gone(refusal(res.status, payload, retryAfter) || lookupFailed(retryAfter));
            // A 200 that is not the API's (a captive portal's page, a proxy's) spent nothing either.
            if (!payload.data || typeof payload.data.kind !== 'string') return gone(lookupFailed(retryAfter));
            link = payload.data;
            // Nothing is spent on a link that could not be opened anyway.
            if (keyProblem()) return gone(keyProblem());
            $('report').hidden = false;
            if (link.file) showFile(link.file);
            write($('meta'), describe(link));
            $('passcode-field').hidden = !link.requires_passcode;
            say('');
            show('ready');
            // Not Reveal itself: Enter still held from opening the link would spend the view.
            (link.requires_passcode ? $('passcode') : document.querySelector('[data-state="ready"]')).focus();
          });
      },
      function () {
        gone('Oncelink could not be reached, and nothing was spent. Check your connection, then reload the page.');
      },
    );
  }

  $('reveal-form').addEventListener('submit', function (event) {
    event.preventDefault();
    // The fragment may have changed since the page loaded; it is checked again before anything is spent.
    if (keyProblem()) return gone(keyProblem());
    var key = linkKey();
    var body = $('passcode-field').hidden ? {} : { passcode: $('passcode').value };
    sending($('reveal-form'), true);
    spent = true;
    window.addEventListener('beforeunload', holdWhileSpending);
    say(link.file ? 'Downloading…' : 'Revealing…');
    fetch(api + '/reveal', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) {
        // A file's bytes come as they are; errors, as for any secret, as JSON.
        if (res.ok && link.file) return download(res, key);
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (payload) {
            sending($('reveal-form'), false);
            payload = payload || {};
            if (res.status === 404 || res.status === 410) linkEnded();
            if (res.status === 401 && payload.attempts_remaining === 0) {
              linkEnded();
              return gone(
                'That passcode was wrong, and it was the last attempt: the secret has been destroyed. Ask the sender for a new one.',
              );
            }
            if (retryable(res.status, payload)) {
              spent = false;
              say(
                payload.code === 'passcode_attempts_pending'
                  ? 'Another attempt at this passcode is still being checked. Try again in a moment.'
                  : payload.code === 'key_unavailable'
                    ? 'This server cannot open this secret right now. Nothing was spent: try again later.'
                    : 'The service is busy. Nothing was spent: try again in a moment.',
              );
              // Disabled while it was pending, the button lost the focus: it gets it back for the retry.
              $('reveal').focus();
              return;
            }
            // A passcode longer than the API takes, refused before it was judged. (The API counts
            // characters, not the UTF-16 units a maxlength would.)
            if (res.status === 422 && payload.errors && payload.errors.passcode) {
              spent = false;
              announce('passcode-error', payload.errors.passcode[0]);
              say('');
              retypePasscode();
              return;
            }
            if (res.status === 401) {
              spent = false;
              var left = payload.attempts_remaining;
              announce(
                'passcode-error',
                (payload.code === 'passcode_required' ? 'Enter the passcode.' : 'That passcode is wrong.') +
                  ' ' +
                  left +
                  (left === 1 ? ' attempt' : ' attempts') +
                  ' left before the secret is destroyed.',
              );
              say('');
              retypePasscode();
              return;
            }
            if (!res.ok) return gone(refusal(res.status, payload, res.headers.get('retry-after')) || REVEAL_FAILED);
            var data = payload.data;
            if (data.kind !== 'encrypted') return showText(data.content);
            return decrypt(data, key).then(function (plain) {
              var text = asText(plain);
              if (text === null) return offer('secret.bin', new Blob([plain]));
              showText(text);
            });
          });
      })
      .catch(function (error) {
        gone(error && error.told ? error.message : REVEAL_FAILED);
      })
      .then(function () {
        window.removeEventListener('beforeunload', holdWhileSpending);
      });
  });
  // A held Enter repeats: its repeats spend nothing (the key may have gone down to open the link,
  // on another page). Enter pressed here submits as ever.
  $('reveal-form').addEventListener('keydown', function (event) {
    if (event.repeat && event.key === 'Enter') event.preventDefault();
  });
  // A reload or a closed tab while a view is being spent (a long download, say) would waste it:
  // the browser asks first.
  function holdWhileSpending(event) {
    event.preventDefault();
    event.returnValue = '';
  }

  // The field is a password field, whose wrong passcode cannot be seen: selected, it is replaced by
  // what is typed next rather than added to (which would spend another attempt).
  function retypePasscode() {
    $('passcode').focus();
    $('passcode').select();
  }

  function showText(text) {
    revealed = text;
    $('secret').value = text;
    write($('revealed-hint'), ['Save it somewhere safe' + (allowsMore(link) ? ': ' : ' now: ')].concat(afterView(link, 'show')));
    say('');
    show('revealed');
    removeKey();
    // A value puts the caret at its end, and focus scrolls there: a long secret is shown from its start.
    $('secret').setSelectionRange(0, 0);
    $('secret').focus();
    $('secret').scrollTop = 0;
  }

  // A new fragment (the whole link pasted again) is looked at afresh, until a view is asked for.
  window.addEventListener('hashchange', function () {
    if (!spent) load();
  });

  $('report-form').addEventListener('submit', function (event) {
    event.preventDefault();
    sending($('report-form'), true);
    fetch(api + '/report', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: $('report-reason').value }),
    })
      .then(function (res) {
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (payload) {
            var invalid = payload.errors && payload.errors.reason;
            sending($('report-form'), false);
            // Sent, it is not sent again.
            $('report-send').disabled = res.ok;
            $('report-status').textContent = res.ok
              ? 'Thank you: the report was received.'
              : res.status === 410
                ? 'This link no longer works, so there is nothing left to report.'
                : invalid
                  ? invalid[0]
                  : 'The report could not be sent. Try again in a moment.';
            // The button was disabled while sending (and stays so once sent): the focus goes to the
            // answer, which a screen reader then reads once (so it is not a live region as well).
            $('report-status').focus();
          });
      })
      .catch(function () {
        sending($('report-form'), false);
        $('report-status').textContent = 'The report could not be sent. Try again in a moment.';
        $('report-status').focus();
      });
  });

  // Where the Clipboard API is missing or refused, the older copy command, given the text as sent
  // (the selection is the textarea's, with \r\n turned into \n).
  function copySelected() {
    var exact = function (event) {
      event.clipboardData.setData('text/plain', revealed);
      event.preventDefault();
    };
    $('secret').select();
    document.addEventListener('copy', exact);
    var copied = false;
    try {
      copied = document.execCommand('copy');
    } catch (e) {
      // Refused as well: the viewer is asked to copy the selection.
    }
    document.removeEventListener('copy', exact);
    say(copied ? 'Copied to the clipboard.' : 'Select the text and copy it.');
  }
  $('copy').addEventListener('click', function () {
    if (!navigator.clipboard) return copySelected();
    navigator.clipboard.writeText(revealed).then(function () {
      say('Copied to the clipboard.');
    }, copySelected);
  });

  // Said by the script, so a browser without JavaScript shows only the <noscript> notice.
  say('Loading…');
  load();
})();
