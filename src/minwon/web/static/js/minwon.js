/* Minwon pages: small progressive enhancements. No inline scripts (CSP script-src 'self').
 * - 문서확인번호: the Damm check digit catches a typo before the form is sent.
 * - Kiosk: on-screen keypad, the simulated fingerprint sensor, and reset after inactivity.
 */
(function () {
  "use strict";

  var DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]
  ];

  function numberProblem(text) {
    var digits = text.replace(/[\s-]/g, "");
    if (!/^[0-9]{16}$/.test(digits)) { return "문서확인번호는 숫자 16자리입니다."; }
    var interim = 0;
    for (var i = 0; i < digits.length; i++) { interim = DAMM[interim][digits.charCodeAt(i) - 48]; }
    return interim === 0 ? "" : "문서확인번호가 올바르지 않습니다. 다시 확인해 주세요.";
  }

  function setupVerify() {
    var form = document.getElementById("verify-form");
    var input = form && form.querySelector("[data-docno]");
    var message = document.getElementById("number-error");
    if (!input || !message) { return; }
    form.addEventListener("submit", function (event) {
      var problem = numberProblem(input.value);
      if (problem) {
        event.preventDefault();
        message.textContent = problem;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    });
    input.addEventListener("input", function () {
      if (input.getAttribute("aria-invalid") === "true" && !numberProblem(input.value)) {
        input.removeAttribute("aria-invalid");
        message.textContent = "";
      }
    });
  }

  function setupKeypad() {
    var pads = document.querySelectorAll("[data-keypad-for]");
    Array.prototype.forEach.call(pads, function (pad) {
      var input = document.getElementById(pad.getAttribute("data-keypad-for"));
      if (!input) { return; }
      pad.addEventListener("click", function (event) {
        var key = event.target.closest("[data-key]");
        if (!key) { return; }
        var value = key.getAttribute("data-key");
        if (value === "clear") { input.value = ""; }
        else if (value === "back") { input.value = input.value.slice(0, -1); }
        else if (input.value.replace(/-/g, "").length < 13) { input.value += value; }
      });
    });
  }

  function setupSensor() {
    var button = document.getElementById("fingerprint-button");
    var form = document.getElementById("identify-form");
    if (!button || !form) { return; }
    var status = document.getElementById("sensor-status");
    button.addEventListener("click", function () {
      var rrn = form.querySelector("#rrn");
      if (!rrn.value || rrn.value.replace(/-/g, "").length !== 13) {
        status.textContent = "주민등록번호 13자리를 먼저 입력하세요.";
        rrn.focus();
        return;
      }
      button.disabled = true;
      status.textContent = "지문을 읽는 중입니다… (시연용)";
      var body = new FormData();
      body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
      body.append("rrn", rrn.value);
      fetch(button.getAttribute("data-sensor-url"), {
        method: "POST", body: body, credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { throw new Error("sensor " + response.status); }
        return response.json();
      }).then(function (data) {
        document.getElementById("fingerprint").value = data.capture;
        status.textContent = "지문이 인식되었습니다. 확인 중입니다…";
        form.submit();
      }).catch(function () {
        button.disabled = false;
        status.textContent = "지문을 읽지 못했습니다. 다시 눌러 주세요.";
      });
    });
  }

  function setupIdleReset() {
    var seconds = parseInt(document.body.getAttribute("data-idle-seconds") || "0", 10);
    var form = document.getElementById("kiosk-reset");
    if (!seconds || !form) { return; }
    var timer = null;
    function arm() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { form.submit(); }, seconds * 1000);
    }
    ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
      document.addEventListener(name, arm, { passive: true });
    });
    arm();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupVerify();
    setupKeypad();
    setupSensor();
    setupIdleReset();
  });
})();
