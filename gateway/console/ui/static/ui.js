// toolgate console: live refresh of the runs list, live validation of tool
// definitions as they are typed, copy buttons, back links.
// No inline script anywhere (the pages' CSP allows only this file).
(function () {
  'use strict';

  // Refresh the runs table every few seconds while the page is visible.
  var rows = document.querySelector('tbody[data-live]');
  if (rows) {
    var status = document.getElementById('live-status');
    var busy = false;
    var refresh = function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(rows.getAttribute('data-live'), { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (res) {
          // A signed-out session is redirected to the sign-in page.
          if (res.redirected) { window.location.assign('/ui/signin'); throw new Error('signed out'); }
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return res.text();
        })
        .then(function (html) {
          rows.innerHTML = html; // server-rendered by html/template, escaped
          if (status) { status.textContent = 'live'; status.classList.remove('stale'); }
        })
        .catch(function () {
          if (status) { status.textContent = 'offline'; status.classList.add('stale'); }
        })
        .finally(function () { busy = false; });
    };
    setInterval(refresh, 2000);
    document.addEventListener('visibilitychange', refresh);
  }

  // <textarea data-validate="URL" data-validate-target="#panel">: as the
  // author types (debounced), the definition is posted to URL, which
  // validates it without saving, and the report is shown in the panel. The
  // report is written with textContent only: nothing from it is parsed as
  // markup.
  var csrfToken = function (el) {
    var form = el.closest('form');
    var input = form && form.querySelector('input[name="csrf_token"]');
    return input ? input.value : '';
  };
  var line = function (tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined) el.textContent = text;
    return el;
  };
  var issues = function (title, list, cls) {
    var frag = document.createDocumentFragment();
    if (!list || !list.length) return frag;
    frag.appendChild(line('h3', '', title));
    var ul = line('ul', 'issues ' + cls);
    list.forEach(function (issue) {
      var li = line('li');
      if (issue.path) { li.appendChild(line('code', '', issue.path)); li.appendChild(document.createTextNode(' ')); }
      li.appendChild(document.createTextNode(issue.message));
      ul.appendChild(li);
    });
    frag.appendChild(ul);
    return frag;
  };
  document.querySelectorAll('textarea[data-validate]').forEach(function (area) {
    var panel = document.querySelector(area.getAttribute('data-validate-target'));
    if (!panel) return;
    var timer = null, seq = 0;
    var show = function (state, text, report) {
      panel.textContent = '';
      panel.setAttribute('data-state', state);
      panel.appendChild(line('p', 'live-status ' + state, text));
      if (report) {
        panel.appendChild(issues('Errors', report.errors, 'error'));
        panel.appendChild(issues('Warnings', report.warnings, 'warn'));
      }
    };
    var validate = function () {
      var mine = ++seq;
      show('checking', 'Checking…');
      fetch(area.getAttribute('data-validate'), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrfToken(area), Accept: 'application/json' },
        body: new URLSearchParams({ definition: area.value }),
      })
        .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
        .then(function (r) {
          if (mine !== seq) return; // a later edit is being checked
          if (!r.ok) { show('failed', (r.body.error && r.body.error.message) || 'The definition could not be checked.'); return; }
          var report = r.body;
          if (report.valid) {
            show('valid', report.warnings && report.warnings.length ? 'Valid, with warnings.' : 'Valid: no problems found.', report);
          } else {
            show('invalid', 'Not valid yet: fix the errors before publishing.', report);
          }
        })
        .catch(function () { if (mine === seq) show('failed', 'The definition could not be checked.'); });
    };
    area.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(validate, 400);
    });
    validate();
  });

  // <button data-copy="#selector"> copies that element's text.
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('[data-copy]');
    if (btn) {
      var el = document.querySelector(btn.getAttribute('data-copy'));
      if (el && navigator.clipboard) {
        navigator.clipboard.writeText(el.textContent).then(function () {
          var old = btn.textContent;
          btn.textContent = 'Copied';
          setTimeout(function () { btn.textContent = old; }, 1500);
        });
      }
      return;
    }
    var back = ev.target.closest('[data-back]');
    if (back && history.length > 1) {
      ev.preventDefault();
      history.back();
    }
  });
})();
