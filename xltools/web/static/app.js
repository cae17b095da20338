/* xltools serve: drop zone, upload with progress, job progress (SSE, polling fallback),
   list filters. No libraries; the page also works without this file (plain form posts). */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function isHidden(name) { return name.split("/").some(function (p) { return p.charAt(0) === "."; }); }
  function mb(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB"; }

  // ---------------------------------------------------------------- the upload form
  var form = $("#upload");
  if (form) { setupForm(form); }

  function setupForm(form) {
    var chosen = [];  // {file, name} for the "files" field (集計)
    var drop = $("#drop");
    var errorBox = $("#client-error");

    function showError(msg) {
      errorBox.textContent = msg;
      errorBox.hidden = !msg;
      if (msg) { errorBox.scrollIntoView({ behavior: "smooth", block: "center" }); }
    }

    function add(file, name) {
      name = name || file.name;
      if (isHidden(name)) { return; }
      if (chosen.some(function (c) { return c.name === name && c.file.size === file.size; })) { return; }
      chosen.push({ file: file, name: name });
    }

    function render() {
      var box = $("#chosen");
      if (!box) { return; }
      var total = chosen.reduce(function (s, c) { return s + c.file.size; }, 0);
      box.hidden = chosen.length === 0;
      $("#chosen-count").textContent = "選んだファイル：" + chosen.length + " 件（" + mb(total) + "）";
      var list = $("#chosen-list");
      list.textContent = "";
      chosen.slice().sort(function (a, b) { return a.name < b.name ? -1 : 1; }).slice(0, 500).forEach(function (c) {
        var li = document.createElement("li");
        li.textContent = c.name;
        list.appendChild(li);
      });
      showError("");
    }

    function readEntry(entry, out) {
      return new Promise(function (resolve) {
        if (entry.isFile) {
          entry.file(function (f) { out.push({ file: f, name: entry.fullPath.replace(/^\//, "") }); resolve(); },
                     function () { resolve(); });
        } else if (entry.isDirectory) {
          var reader = entry.createReader();
          var all = [];
          (function more() {
            reader.readEntries(function (batch) {
              if (!batch.length) {
                Promise.all(all.map(function (e) { return readEntry(e, out); })).then(resolve);
              } else { all = all.concat(Array.prototype.slice.call(batch)); more(); }
            }, function () { resolve(); });
          })();
        } else { resolve(); }
      });
    }

    if (drop) {
      ["dragenter", "dragover"].forEach(function (t) {
        drop.addEventListener(t, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (t) {
        drop.addEventListener(t, function () { drop.classList.remove("over"); });
      });
      drop.addEventListener("drop", function (ev) {
        ev.preventDefault();
        var items = ev.dataTransfer.items;
        var entries = [];
        if (items && items.length && items[0].webkitGetAsEntry) {
          for (var i = 0; i < items.length; i++) {
            var e = items[i].webkitGetAsEntry();
            if (e) { entries.push(e); }
          }
          var out = [];
          Promise.all(entries.map(function (e) { return readEntry(e, out); })).then(function () {
            out.forEach(function (o) { add(o.file, o.name); });
            render();
          });
        } else {
          Array.prototype.forEach.call(ev.dataTransfer.files, function (f) { add(f); });
          render();
        }
      });
      ["#pick-files", "#pick-folder"].forEach(function (sel) {
        var input = $(sel);
        input.addEventListener("change", function () {
          Array.prototype.forEach.call(input.files, function (f) { add(f, f.webkitRelativePath || f.name); });
          input.value = "";
          render();
        });
      });
      $("#clear").addEventListener("click", function () { chosen = []; render(); });
    }

    // small drop zones (一括記入, 確認): a dropped file goes into the zone's own input
    $all(".drop[data-field]").forEach(function (zone) {
      if (zone === drop) { return; }
      var input = $("input[type=file]", zone);
      var label = $("[data-name-for]", zone);
      function show() {
        if (label) { label.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join("、"); }
      }
      input.addEventListener("change", show);
      ["dragenter", "dragover"].forEach(function (t) {
        zone.addEventListener(t, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (t) { zone.addEventListener(t, function () { zone.classList.remove("over"); }); });
      zone.addEventListener("drop", function (ev) {
        ev.preventDefault();
        if (ev.dataTransfer.files.length) {
          input.files = ev.dataTransfer.files;
          show();
        }
      });
    });

    // a file picker outside a drop zone (名簿) names the chosen file beside it
    $all(".filepick").forEach(function (pick) {
      var input = $("input[type=file]", pick), label = $("[data-name-for]", pick), empty = label.textContent;
      input.addEventListener("change", function () {
        label.textContent = input.files.length ? input.files[0].name : empty;
        label.classList.toggle("set", input.files.length > 0);
      });
    });

    // the example answers sheet follows the chosen edition and variant
    var exLink = $("#ex-link");
    if (exLink) {
      var update = function () {
        exLink.href = "/fill/example?edition=" + encodeURIComponent($("#ex-edition").value) +
          "&variant=" + encodeURIComponent($("#ex-variant").value);
      };
      $("#ex-edition").addEventListener("change", update);
      $("#ex-variant").addEventListener("change", update);
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var maxFile = +form.dataset.maxFile, maxJob = +form.dataset.maxJob, maxFiles = +form.dataset.maxFiles;
      var fd = new FormData(form);
      var files = [];
      if (drop) {
        fd.delete("files");
        if (!chosen.length) { showError("集計するファイルが選ばれていません。ファイルかフォルダを選んでください。"); return; }
        var modified = {};
        chosen.forEach(function (c) { fd.append("files", c.file, c.name); modified[c.name] = c.file.lastModified; files.push(c); });
        fd.append("modified", JSON.stringify(modified));
      } else {
        $all("input[type=file]", form).forEach(function (inp) {
          Array.prototype.forEach.call(inp.files, function (f) { files.push({ file: f, name: f.name }); });
        });
      }
      var total = 0;
      for (var i = 0; i < files.length; i++) {
        total += files[i].file.size;
        if (files[i].file.size > maxFile) {
          showError("「" + files[i].name + "」が大きすぎます（1ファイル " + form.dataset.maxFileText + " まで）。");
          return;
        }
      }
      if (drop && files.length > maxFiles) { showError("ファイルが多すぎます（1回に " + maxFiles + " 件まで）。フォルダを分けて送ってください。"); return; }
      if (total > maxJob) { showError("送信されたファイルの合計が大きすぎます（1回に " + form.dataset.maxJobText + " まで）。"); return; }
      send(form, fd, showError);
    });
  }

  function send(form, fd, showError) {
    var button = $("#submit"), box = $("#sending"), bar = $("#send-bar"), text = $("#send-text");
    button.disabled = true;
    box.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round(100 * e.loaded / e.total);
        text.textContent = e.loaded < e.total ? "送信しています… " + bar.value + "%" : "受け取りを確認しています…";
      }
    });
    xhr.addEventListener("load", function () {
      var data = {};
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = {}; }
      if (xhr.status === 202 && data.url) { window.location.href = data.url; return; }
      button.disabled = false;
      box.hidden = true;
      showError(data.error || "受け付けられませんでした（" + xhr.status + "）。");
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      box.hidden = true;
      showError("送信できませんでした。サーバーが動いているか確かめて、もう一度お試しください。");
    });
    xhr.send(fd);
  }

  // ---------------------------------------------------------------- the job page
  var job = $("#job");
  if (job && (job.dataset.state === "queued" || job.dataset.state === "running")) { follow(job.dataset.job); }

  function showStatus(s) {
    var stage = $("#stage"), bar = $("#job-bar"), count = $("#job-count");
    if (stage) { stage.textContent = s.stage; }
    if (bar && s.total) { bar.max = s.total; bar.value = s.done; }
    if (count) { count.textContent = s.total ? s.done + " / " + s.total + " ファイル" : ""; }
    if (s.state === "done" || s.state === "failed") { window.location.reload(); return true; }
    return false;
  }

  function follow(id) {
    var base = "/jobs/" + encodeURIComponent(id);
    if (window.EventSource) {
      var es = new EventSource(base + "/events");
      es.onmessage = function (ev) {
        var s = JSON.parse(ev.data);
        if (s.state === "done" || s.state === "failed") { es.close(); }
        showStatus(s);
      };
      es.onerror = function () { es.close(); poll(base); };
    } else { poll(base); }
  }

  function poll(base) {
    fetch(base + "/status", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) { if (!showStatus(s)) { setTimeout(function () { poll(base); }, 1000); } })
      .catch(function () { setTimeout(function () { poll(base); }, 2000); });
  }

  // ---------------------------------------------------------------- list filters
  $all(".list[data-table]").forEach(function (section) {
    var text = $(".filter-text", section), sev = $(".filter-severity", section), shown = $(".shown", section);
    var rows = $all("tbody tr", section);
    if (!text) { return; }
    function apply() {
      var q = text.value.trim().toLowerCase(), levels = sev && sev.value ? sev.value.split(" ") : null, n = 0;
      rows.forEach(function (tr) {
        var ok = (!q || tr.textContent.toLowerCase().indexOf(q) >= 0) &&
                 (!levels || levels.indexOf(tr.dataset.severity) >= 0);
        tr.hidden = !ok;
        if (ok) { n++; }
      });
      shown.textContent = n + " / " + rows.length + " 件を表示";
    }
    text.addEventListener("input", apply);
    if (sev) { sev.addEventListener("change", apply); }
    apply();
  });
})();
