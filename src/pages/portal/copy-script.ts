/**
 * The portal's "Copy" buttons: `<button type="button" data-copy="ID">` copies the value of
 * the field #ID (a readonly input the reader can also select by hand) and says so in the
 * live region #copy-status. Falls back to selecting the text where the clipboard API is
 * refused (an http page, a browser's permission). Runs only with the page's CSP nonce.
 */
export const COPY_SCRIPT = `
document.addEventListener('click', function (event) {
  var button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  if (!button) return;
  var field = document.getElementById(button.getAttribute('data-copy'));
  var status = document.getElementById('copy-status');
  if (!field) return;
  function say(ok) {
    if (status) status.textContent = ok ? button.getAttribute('data-copied') : button.getAttribute('data-failed');
    button.classList.toggle('copied', ok);
  }
  function fallback() {
    field.focus();
    field.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (error) { ok = false; }
    say(ok);
  }
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(function () { say(true); }, fallback);
  else fallback();
});
`;
