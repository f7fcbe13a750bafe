// Mark a missed face by dragging a box on the photo. The form beside the photo works
// without this (choose where the face is by keyboard); this only fills in an exact box.
(function () {
  "use strict";
  function setup(frame) {
    var form = document.getElementById(frame.dataset.drawForm);
    if (!form) return;
    var img = frame.querySelector("img");
    var fullW = Number(frame.dataset.photoWidth), fullH = Number(frame.dataset.photoHeight);
    var start = null, box = null;
    function point(ev) {
      var r = img.getBoundingClientRect();
      return {
        x: Math.min(Math.max(ev.clientX - r.left, 0), r.width),
        y: Math.min(Math.max(ev.clientY - r.top, 0), r.height),
        w: r.width, h: r.height
      };
    }
    frame.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
      ev.preventDefault();
      start = point(ev);
      if (!box) { box = document.createElement("span"); box.className = "face-drawn"; box.setAttribute("aria-hidden", "true"); frame.appendChild(box); }
      frame.setPointerCapture(ev.pointerId);
    });
    frame.addEventListener("pointermove", function (ev) {
      if (!start) return;
      var p = point(ev);
      var x = Math.min(start.x, p.x), y = Math.min(start.y, p.y);
      box.style.left = (100 * x / p.w) + "%"; box.style.top = (100 * y / p.h) + "%";
      box.style.width = (100 * Math.abs(p.x - start.x) / p.w) + "%";
      box.style.height = (100 * Math.abs(p.y - start.y) / p.h) + "%";
    });
    frame.addEventListener("pointerup", function (ev) {
      if (!start) return;
      var p = point(ev), s = start; start = null;
      var sx = fullW / p.w, sy = fullH / p.h;
      var x = Math.min(s.x, p.x), y = Math.min(s.y, p.y);
      var w = Math.abs(p.x - s.x), h = Math.abs(p.y - s.y);
      if (w < 4 || h < 4) return;
      form.elements.x.value = Math.round(x * sx); form.elements.y.value = Math.round(y * sy);
      form.elements.w.value = Math.round(w * sx); form.elements.h.value = Math.round(h * sy);
      form.elements.cell.value = "";
      var details = form.closest("details");
      if (details) details.open = true;
      var note = form.querySelector(".drawn-note");
      if (note) note.hidden = false;
      form.querySelector("button").focus();
    });
    form.elements.cell.addEventListener("change", function () {
      ["x", "y", "w", "h"].forEach(function (k) { form.elements[k].value = ""; });
      if (box) { box.remove(); box = null; }
      var note = form.querySelector(".drawn-note");
      if (note) note.hidden = true;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".photo-frame[data-draw-form]").forEach(setup);
  });
})();
