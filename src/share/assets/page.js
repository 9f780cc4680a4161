'use strict';
(function () {
  var $ = function (id) {
    return document.getElementById(id);
  };
  var token = location.pathname.split('/').pop();
  // The key lives in the fragment, which browsers never send; it is only read here.
  var key = location.hash.slice(1);
  var api = '/api/v1/links/' + encodeURIComponent(token);
  // What the link leads to, from the lookup: decides between Reveal and Download.
  var link;

  function show(state) {
    document.querySelectorAll('[data-state]').forEach(function (el) {
      el.hidden = el.getAttribute('data-state') !== state;
    });
  }
  function say(text) {
    $('status').textContent = text;
  }
  function gone(text) {
    $('gone-message').textContent = text;
    say('');
    show('gone');
  }
  function bytes(base64) {
    var text = atob(base64.replace(/-/g, '+').replace(/_/g, '/'));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  function describe(data) {
    var until = new Date(data.expires_at).toLocaleString();
    var verb = data.kind === 'file' ? 'downloaded' : 'viewed';
    if (data.expire_mode === 'views') {
      return data.views_remaining === 1
        ? 'It can be ' + verb + ' once, until ' + until + '.'
        : 'It can be ' + verb + ' ' + data.views_remaining + ' more times, until ' + until + '.';
    }
    return 'It can be ' + verb + ' until ' + until + '.';
  }
  function formatSize(size) {
    var units = ['bytes', 'KB', 'MB', 'GB'];
    var unit = 0;
    for (; size >= 1024 && unit < units.length - 1; unit++) size /= 1024;
    return (unit ? size.toFixed(1) : size) + ' ' + units[unit];
  }
  function describeFile(file) {
    // A client file's name is inside its ciphertext, and its size counts the encryption's few bytes.
    return file.encryption === 'client'
      ? 'An end-to-end encrypted file of about ' + formatSize(file.size) + '. Its name shows once it is downloaded.'
      : file.name
        ? file.name + ' (' + formatSize(file.size) + ')'
        : 'A file of ' + formatSize(file.size) + '. Its name shows once it is downloaded.';
  }
  function failure(status, payload) {
    if (status === 404) return 'This link does not exist. Check that you copied all of it.';
    if (status === 410) return (payload.message || 'This secret is gone.') + ' Ask the sender for a new link.';
    if (status === 403) return payload.message || 'This secret cannot be opened from here.';
    if (status === 429) return 'Too many attempts. Wait a little and reload the page.';
    return 'Something went wrong. Reload the page to try again.';
  }
  function decrypt(data) {
    return crypto.subtle
      .importKey('raw', bytes(key), 'AES-GCM', false, ['decrypt'])
      .then(function (k) {
        return crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(data.iv) }, k, bytes(data.ciphertext));
      })
      .then(
        function (plain) {
          return new TextDecoder().decode(plain);
        },
        function () {
          throw new Error('The key in this link does not open this secret. Ask the sender for the full link.');
        },
      );
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
        if (sealed.length < 16) throw new Error('The file is cut short.');
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
  // The file itself, with the name and type that travelled inside the ciphertext.
  function fileOf(chunks) {
    var first = chunks[0];
    var length = first.length >= 4 ? new DataView(first.buffer).getUint32(0) : Infinity;
    if (4 + length > first.length) throw new Error('The file has no metadata.');
    var metadata = JSON.parse(new TextDecoder().decode(first.subarray(4, 4 + length)));
    chunks[0] = first.subarray(4 + length);
    var type = typeof metadata.type === 'string' ? metadata.type : 'application/octet-stream';
    return { name: typeof metadata.name === 'string' ? metadata.name : null, blob: new Blob(chunks, { type: type }) };
  }
  function openFile(body) {
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

  // The name the server gave the download (RFC 6266: filename*, else filename), for a file whose link hid it.
  function dispositionName(res) {
    var value = res.headers.get('content-disposition') || '';
    var encoded = /filename\*=UTF-8''([^;]+)/i.exec(value);
    if (encoded) {
      try {
        return decodeURIComponent(encoded[1]);
      } catch (e) {
        // Not percent-encoding after all: the plain name follows.
      }
    }
    var quoted = /filename="((?:[^"\\]|\\.)*)"/i.exec(value);
    if (quoted) return quoted[1].replace(/\\(.)/g, '$1');
    var token = /filename=([^;\s]+)/i.exec(value);
    return token ? token[1] : null;
  }

  // Only a whole file, decrypted and checked to its last chunk, is ever offered to be saved.
  function download(res) {
    var file =
      link.file.encryption === 'client'
        ? openFile(res.body).catch(function () {
            throw new Error(
              'This file could not be decrypted with the key in this link, so nothing was saved. Ask the sender for a new link.',
            );
          })
        : res.blob().then(
            function (blob) {
              return { name: link.file.name || dispositionName(res), blob: blob };
            },
            function () {
              throw new Error('The download was cut short, so nothing was saved. Ask the sender for a new link.');
            },
          );
    return file.then(function (opened) {
      var name = opened.name || 'file';
      // A download of a blob: URL is neither a fetch nor a subresource: the page's CSP stays as it is.
      $('save').href = URL.createObjectURL(opened.blob);
      $('save').download = name;
      $('saved-name').textContent = name;
      $('saved-size').textContent = formatSize(opened.blob.size);
      say('');
      show('saved');
      history.replaceState(null, '', location.pathname);
      $('save').click();
      $('save').focus();
    });
  }

  function showFile(file) {
    $('what').textContent = 'a file';
    $('when').textContent = 'downloaded once you click Download';
    $('file-info').textContent = describeFile(file);
    $('file-info').hidden = false;
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
            if (!res.ok) return gone(failure(res.status, payload));
            link = payload.data;
            // Nothing is spent on a link that could not be opened anyway.
            if ((link.kind === 'encrypted' || (link.file && link.file.encryption === 'client')) && !key) {
              return gone('This link is missing its key (the part after #). Ask the sender for the full link.');
            }
            if (link.file) showFile(link.file);
            $('meta').textContent = describe(link);
            $('passcode-field').hidden = !link.requires_passcode;
            say('');
            show('ready');
            (link.requires_passcode ? $('passcode') : $('reveal')).focus();
          });
      },
      function () {
        gone(failure(0, {}));
      },
    );
  }

  $('reveal-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var body = $('passcode-field').hidden ? {} : { passcode: $('passcode').value };
    $('reveal').disabled = true;
    say(link.file ? 'Downloading…' : 'Revealing…');
    fetch(api + '/reveal', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) {
        // A file's bytes come as they are; errors, as for any secret, as JSON.
        if (res.ok && link.file) return download(res);
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (payload) {
            $('reveal').disabled = false;
            if (res.status === 401) {
              var left = payload.attempts_remaining;
              $('passcode-error').textContent =
                (payload.code === 'passcode_required' ? 'Enter the passcode.' : 'That passcode is wrong.') +
                ' ' +
                left +
                (left === 1 ? ' attempt' : ' attempts') +
                ' left before the secret is destroyed.';
              say('');
              $('passcode').focus();
              return;
            }
            if (!res.ok) return gone(failure(res.status, payload));
            var data = payload.data;
            return (data.kind === 'encrypted' ? decrypt(data) : Promise.resolve(data.content)).then(function (text) {
              $('secret').value = text;
              say('');
              show('revealed');
              // Take the key out of the address bar and history now that it has served.
              history.replaceState(null, '', location.pathname);
              $('secret').focus();
            });
          });
      })
      .catch(function (error) {
        gone(error.message || failure(0, {}));
      });
  });

  $('copy').addEventListener('click', function () {
    var done = function () {
      say('Copied to the clipboard.');
    };
    if (navigator.clipboard)
      navigator.clipboard.writeText($('secret').value).then(done, function () {
        $('secret').select();
      });
    else {
      $('secret').select();
      document.execCommand('copy');
      done();
    }
  });

  load();
})();
