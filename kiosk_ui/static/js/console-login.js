// Staff login: the JSON login API through the shared script, then on to the page asked for.
(function () {
  "use strict";
  const S = window.Summit;
  const form = document.getElementById("login");
  let refused = null;
  const paint = () => { document.getElementById("login-error").textContent = refused ? S.reason(refused) : ""; };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    refused = null;
    paint();
    try {
      await S.api("/api/auth/login", { method: "POST", token: "",
        json: { username: form.username.value, password: form.password.value } });
      location.href = form.dataset.next || "/console";
      return;
    } catch (err) {
      refused = err.status === 401 ? "bad_credentials" : err.error;
    }
    paint();
    form.password.value = "";
    form.password.focus();
  });
  S.onChange(paint);
})();
