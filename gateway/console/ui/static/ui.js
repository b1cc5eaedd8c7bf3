// toolgate console: live refresh of the runs list, copy buttons, back links.
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
