/**
 * The little client script of the Users and operators' pages (run under the response's CSP
 * nonce): a form with `data-confirm` asks before it posts (removing a user, disabling an
 * organisation), and a button with `data-copy="<input id>"` copies that input's value (a
 * one-time link, an API key shown once). Without script the forms post and the values can
 * be selected by hand.
 */
export const CONFIRM_AND_COPY_SCRIPT = `
document.querySelectorAll('form[data-confirm]').forEach(function (form) {
  form.addEventListener('submit', function (event) {
    if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
  });
});
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  button.hidden = false;
  button.addEventListener('click', function () {
    var input = document.getElementById(button.getAttribute('data-copy'));
    if (!input) return;
    input.select();
    var done = function () { button.textContent = button.getAttribute('data-copied'); };
    if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand('copy'); done(); });
    else { document.execCommand('copy'); done(); }
  });
});
`;
