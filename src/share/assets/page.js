'use strict';
(function () {
  var $ = function (id) {
    return document.getElementById(id);
  };
  var token = location.pathname.split('/').pop();
  // The key lives in the fragment, which browsers never send; it is only read here.
  var key = location.hash.slice(1);
  var api = '/api/v1/links/' + encodeURIComponent(token);

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
    if (data.expire_mode === 'views') {
      return data.views_remaining === 1
        ? 'It can be viewed once, until ' + until + '.'
        : 'It can be viewed ' + data.views_remaining + ' more times, until ' + until + '.';
    }
    return 'It can be viewed until ' + until + '.';
  }
  function failure(status, payload) {
    if (status === 404) return 'This link does not exist. Check that you copied all of it.';
    if (status === 410) return (payload.message || 'This secret is gone.') + ' Ask the sender for a new link.';
    if (status === 403) return payload.message || 'This secret cannot be opened from here.';
    if (status === 429) return 'Too many attempts. Wait a little and reload the page.';
    return 'Something went wrong. Reload the page to try again.';
  }
  function decrypt(data) {
    if (!key) return Promise.reject(new Error('This link is missing its key (the part after #). Ask the sender for the full link.'));
    return crypto.subtle
      .importKey('raw', bytes(key), 'AES-GCM', false, ['decrypt'])
      .then(function (k) {
        return crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(data.iv) }, k, bytes(data.ciphertext));
      })
      .then(
        function (plain) {
          return new TextDecoder().decode(plain);
        },
        function (error) {
          throw error && error.message && error.message.indexOf('missing its key') >= 0
            ? error
            : new Error('The key in this link does not open this secret. Ask the sender for the full link.');
        },
      );
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
            $('meta').textContent = describe(payload.data);
            $('passcode-field').hidden = !payload.data.requires_passcode;
            say('');
            show('ready');
            (payload.data.requires_passcode ? $('passcode') : $('reveal')).focus();
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
    say('Revealing…');
    fetch(api + '/reveal', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) {
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
