// conveyor dashboard: the token, confirmed actions through the API, and run logs
// (ANSI colours, folded groups, live lines from the API's server-sent events).
// Plain JavaScript, no framework, nothing loaded from elsewhere.
"use strict";

const TOKEN_KEY = "conveyor.token";
const GROUP_MARK = "\u25b8 ";

function token() {
  try { return localStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
}

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const t = token();
  if (t) h["Authorization"] = "Bearer " + t;
  return h;
}

function flash(text, kind) {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = text;
  box.className = "banner " + (kind || "ok");
}

// ------------------------------------------------------------------ token

function setupToken() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const state = document.getElementById("token-state");
  if (!form) return;
  const show = () => { state.textContent = token() ? "set" : "not set"; };
  show();
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    try {
      if (input.value) localStorage.setItem(TOKEN_KEY, input.value);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* private mode */ }
    input.value = "";
    show();
  });
}

// ------------------------------------------------------------------ actions

function confirmAction(text, wantsComment) {
  const dialog = document.getElementById("confirm");
  if (!dialog || typeof dialog.showModal !== "function") {
    return Promise.resolve(window.confirm(text) ? { comment: "" } : null);
  }
  document.getElementById("confirm-text").textContent = text;
  const comment = document.getElementById("confirm-comment");
  const label = document.getElementById("confirm-comment-label");
  comment.value = "";
  comment.hidden = label.hidden = !wantsComment;
  return new Promise((resolve) => {
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      resolve(dialog.returnValue === "ok" ? { comment: comment.value } : null);
    });
    dialog.returnValue = "";
    dialog.showModal();
    document.getElementById("confirm-ok").focus();
  });
}

async function runAction(button) {
  const answer = await confirmAction(button.dataset.confirm || "Are you sure?", "comment" in button.dataset);
  if (!answer) return;
  let body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
  if ("comment" in button.dataset) body.comment = answer.comment;
  const form = button.closest("form.rollback");
  if (form) {
    body = { app: form.dataset.app, environment: form.dataset.environment,
             version: form.elements.version.value, reason: answer.comment };
  }
  button.disabled = true;
  try {
    const reply = await fetch(button.dataset.url, {
      method: "POST", headers: headers(true), body: JSON.stringify(body),
    });
    const text = await reply.text();
    let data = null;
    try { data = JSON.parse(text); } catch (e) { data = null; }
    if (!reply.ok) {
      const why = data && (data.detail || data.error) ? (data.detail || data.error) : text;
      flash(`${button.textContent.trim()} failed (${reply.status}): ${typeof why === "string" ? why : JSON.stringify(why)}`, "bad");
      button.disabled = false;
      return;
    }
    flash(`${button.textContent.trim()}: done`, "ok");
    const next = data && (data.run_id || (data.run && data.run.id) || data.id);
    if ("followRun" in button.dataset && next) {
      window.location.href = "/runs/" + next;
    } else {
      setTimeout(() => window.location.reload(), 600);
    }
  } catch (err) {
    flash(`${button.textContent.trim()} failed: ${err}`, "bad");
    button.disabled = false;
  }
}

function setupActions() {
  document.querySelectorAll("button[data-action]").forEach((button) => {
    button.addEventListener("click", () => runAction(button));
  });
}

// ------------------------------------------------------------------ ANSI

const COLOURS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

function applySgr(state, codes) {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) { state.fg = state.bg = null; state.bold = state.italic = state.underline = state.dim = false; }
    else if (c === 1) state.bold = true;
    else if (c === 2) state.dim = true;
    else if (c === 3) state.italic = true;
    else if (c === 4) state.underline = true;
    else if (c === 22) state.bold = state.dim = false;
    else if (c === 23) state.italic = false;
    else if (c === 24) state.underline = false;
    else if (c >= 30 && c <= 37) state.fg = "c-" + COLOURS[c - 30];
    else if (c >= 90 && c <= 97) state.fg = "c-bright-" + COLOURS[c - 90];
    else if (c === 39) state.fg = null;
    else if (c >= 40 && c <= 47) state.bg = "b-" + COLOURS[c - 40];
    else if (c >= 100 && c <= 107) state.bg = "b-bright-" + COLOURS[c - 100];
    else if (c === 49) state.bg = null;
    else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
      const n = codes[i + 2];
      const name = n < 8 ? "c-" + COLOURS[n] : n < 16 ? "c-bright-" + COLOURS[n - 8] : null;
      if (c === 38) state.fg = name; else state.bg = name ? name.replace("c-", "b-") : null;
      i += 2;
    } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
      i += 4;  // 24-bit colours: not rendered
    }
  }
}

// One line of text with SGR sequences as DOM nodes (text only: never innerHTML).
function ansiLine(text, state) {
  const frag = document.createDocumentFragment();
  const re = /\x1b\[([0-9;]*)m/g;
  let last = 0, m;
  const push = (chunk) => {
    if (!chunk) return;
    const classes = [state.fg, state.bg, state.bold && "a-bold", state.dim && "a-dim",
                     state.italic && "a-italic", state.underline && "a-underline"].filter(Boolean);
    if (classes.length) {
      const span = document.createElement("span");
      span.className = classes.join(" ");
      span.textContent = chunk;
      frag.appendChild(span);
    } else {
      frag.appendChild(document.createTextNode(chunk));
    }
  };
  while ((m = re.exec(text)) !== null) {
    push(text.slice(last, m.index));
    applySgr(state, m[1] === "" ? [0] : m[1].split(";").map(Number));
    last = re.lastIndex;
  }
  push(text.slice(last).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ""));
  return frag;
}

// ------------------------------------------------------------------ logs

const sinks = new Map();  // "job\u0000step" -> {pre, group, state}

function sinkFor(job, step) {
  const key = job + "\u0000" + (step === null || step === undefined ? "" : String(step));
  let sink = sinks.get(key);
  if (sink) return sink;
  let pre = null;
  document.querySelectorAll("pre.log").forEach((el) => {
    if (el.dataset.job === job && el.dataset.step === (step === null || step === undefined ? "" : String(step))) pre = el;
  });
  if (!pre) {
    const late = document.getElementById("late-logs");
    if (!late) return null;
    late.hidden = false;
    const title = document.createElement("h3");
    title.textContent = job + (step === null || step === undefined ? "" : " / step " + step);
    pre = document.createElement("pre");
    pre.className = "log";
    late.append(title, pre);
  }
  sink = { pre, group: null, state: {}, lines: 0 };
  sinks.set(key, sink);
  return sink;
}

// A step's lines are drawn when its section is opened (a big run's page opens fast);
// lines that arrive live open their step, as the step is running.
function addLine(line, live) {
  const sink = sinkFor(line.job, line.step);
  if (!sink) return;
  const details = sink.pre.closest("details");
  if (details && !details.open) {
    if (live) {
      details.open = true;
    } else {
      if (!sink.pending) {
        sink.pending = [];
        details.addEventListener("toggle", () => {
          const waiting = sink.pending || [];
          sink.pending = [];
          waiting.forEach((l) => drawLine(sink, l));
        });
      }
      sink.pending.push(line);
      return;
    }
  }
  if (sink.pending && sink.pending.length) {
    const waiting = sink.pending;
    sink.pending = [];
    waiting.forEach((l) => drawLine(sink, l));
  }
  drawLine(sink, line);
}

function drawLine(sink, line) {
  sink.pre.hidden = false;
  const text = String(line.text);
  const raw = text.match(/^::(end)?group::(.*)$/);
  if ((raw && raw[1]) || line.stream === "group-end") { sink.group = null; return; }
  const opens = raw ? raw[2] : text.startsWith(GROUP_MARK) ? text.slice(GROUP_MARK.length) : null;
  if (opens !== null) {
    const group = document.createElement("details");
    group.className = "group";
    const summary = document.createElement("summary");
    summary.appendChild(ansiLine(opens, sink.state));
    group.appendChild(summary);
    sink.pre.appendChild(group);
    sink.group = group;
    return;
  }
  const row = document.createElement("span");
  row.className = "line" + (line.stream === "stderr" ? " stderr" : "");
  row.dataset.seq = line.seq;
  row.appendChild(ansiLine(text, sink.state));
  row.appendChild(document.createTextNode("\n"));
  (sink.group || sink.pre).appendChild(row);
}

// Server-sent events over fetch (so the token goes in the Authorization header, which
// EventSource cannot send); reconnects after the last seq seen.
async function follow(runId, after) {
  let last = after;
  for (let attempt = 0; attempt < 1000; attempt++) {
    try {
      const reply = await fetch(`/api/runs/${runId}/logs?follow=1&after=${last}`, {
        headers: Object.assign({ Accept: "text/event-stream" }, headers(false)),
      });
      if (!reply.ok || !reply.body) throw new Error("HTTP " + reply.status);
      const reader = reply.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "", ended = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
          let event = "message", data = [];
          for (const field of block.split(/\r?\n/)) {
            if (field.startsWith("event:")) event = field.slice(6).trim();
            else if (field.startsWith("data:")) data.push(field.slice(5).replace(/^ /, ""));
          }
          if (event === "end") { ended = true; continue; }
          if (!data.length) continue;
          try {
            const line = JSON.parse(data.join("\n"));
            if (line.seq > last) { addLine(line, true); last = line.seq; }
          } catch (e) { /* not a line */ }
        }
      }
      if (ended) {
        const status = document.getElementById("run-status");
        if (status) status.dataset.ended = "true";
        setTimeout(() => window.location.reload(), 800);
        return;
      }
    } catch (err) {
      const box = document.getElementById("flash");
      if (box && !box.textContent) flash("live logs: " + err.message + " (retrying)", "warn");
    }
    await new Promise((r) => setTimeout(r, Math.min(5000, 500 * (attempt + 1))));
  }
}

function setupRun() {
  const run = document.getElementById("run");
  const data = document.getElementById("log-data");
  if (!run || !data) return;
  JSON.parse(data.textContent).forEach((line) => addLine(line, false));
  if (run.dataset.done !== "true") follow(run.dataset.run, Number(run.dataset.lastSeq || 0));
}

document.addEventListener("DOMContentLoaded", () => {
  setupToken();
  setupActions();
  setupRun();
});
