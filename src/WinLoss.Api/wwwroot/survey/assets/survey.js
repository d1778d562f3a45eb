// Buyer survey page. Holds no key and no data: the link's token (in the URL) is the only credential, sent to
// /survey/{token}/questions and /survey/{token}/answers. Works with a keyboard alone; says clearly when offline.
const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split('/')[2] || '');
const base = `/survey/${encodeURIComponent(token)}`;
let maxReasons = 3;

const OFFLINE = "You're offline. Your answers are still here — connect to the internet and press Send again.";
const OFFLINE_LOAD = "You're offline, so the survey can't load. Connect to the internet and reload this page.";
const BUSY = 'Too many attempts from your network. Please wait a minute and try again.';

function status(text, ok = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('ok', ok);
}

function showMessage(title, text) {
  $('loading').hidden = true;
  $('survey').hidden = true;
  $('message').hidden = false;
  $('message-title').textContent = title;
  $('message-text').textContent = text;
  $('message-title').focus();
}

function choice(container, type, name, code, label) {
  const wrap = document.createElement('div');
  wrap.className = 'choice';
  const input = document.createElement('input');
  input.type = type;
  input.name = name;
  input.value = code;
  input.id = `${name}-${code}`;
  const l = document.createElement('label');
  l.htmlFor = input.id;
  l.textContent = label;
  wrap.append(input, l);
  container.append(wrap);
  return input;
}

const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
const labels = new Map();

function refreshReasons() {
  const chosen = checked('reason');
  for (const box of document.querySelectorAll('input[name="reason"]')) box.disabled = !box.checked && chosen.length >= maxReasons;
  // Question 4 only when there is something to rank.
  const top = $('top-choices');
  const previous = checked('top')[0];
  top.replaceChildren();
  $('q-top').hidden = chosen.length < 2;
  for (const code of chosen) {
    const radio = choice(top, 'radio', 'top', code, labels.get(code));
    radio.checked = code === previous;
  }
}

function clearErrors() {
  for (const e of document.querySelectorAll('.error')) e.textContent = '';
}

function answers() {
  const decision = checked('decision')[0] ?? null;
  const reasons = checked('reason');
  const top = checked('top')[0];
  if (top) reasons.sort((a, b) => (a === top ? -1 : b === top ? 1 : 0));
  const vendor = $('vendorChosen').value.trim();
  const comment = $('comment').value.trim();
  return {
    decision,
    vendorChosen: decision === 'chose_other' && vendor ? vendor : null,
    reasons,
    role: checked('role')[0] ?? null,
    comment: comment || null,
  };
}

function check(a) {
  const errors = {};
  if (!a.decision) errors.decision = 'Please tell us what you decided.';
  if (a.reasons.length === 0) errors.reasons = 'Please pick at least one reason.';
  if (!a.role) errors.role = 'Please choose the role closest to yours.';
  return errors;
}

function showErrors(errors) {
  let first = null;
  for (const [field, message] of Object.entries(errors)) {
    const key = field.replace(/\[\d+\]$/, '');
    const el = $(`err-${key}`);
    if (!el) continue;
    el.textContent = Array.isArray(message) ? message[0] : message;
    first ??= document.querySelector(`#q-${key} input, #${key}`);
  }
  status('Please check the highlighted questions.');
  first?.focus();
}

async function send(event) {
  event.preventDefault();
  clearErrors();
  const a = answers();
  const errors = check(a);
  if (Object.keys(errors).length) return showErrors(errors);
  if (!navigator.onLine) return status(OFFLINE);
  const button = $('send');
  button.disabled = true;
  status('Sending…');
  let response;
  try {
    response = await fetch(`${base}/answers`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(a),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    button.disabled = false;
    return status(OFFLINE);
  }
  button.disabled = false;
  if (response.status === 201) {
    status('');
    return showMessage('Thank you!', 'Your answers were received. You can close this page.');
  }
  const problem = await response.json().catch(() => ({}));
  if (response.status === 400 && problem.errors) return showErrors(problem.errors);
  if (response.status === 429) return status(BUSY);
  if (response.status === 404 || response.status === 410) { status(''); return showMessage(problem.title ?? 'Survey closed', problem.detail ?? ''); }
  status('Something went wrong on our side. Please try again in a moment.');
}

async function load() {
  if (!navigator.onLine) { showMessage("You're offline", OFFLINE_LOAD); return; }
  let response;
  try {
    response = await fetch(`${base}/questions`, { credentials: 'omit', cache: 'no-store' });
  } catch {
    showMessage("You're offline", OFFLINE_LOAD);
    return;
  }
  if (response.status === 429) { showMessage('Please wait a minute', BUSY); return; }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    showMessage(problem.title ?? 'Survey not available', problem.detail ?? 'This survey is not available.');
    return;
  }
  const survey = await response.json();
  maxReasons = survey.maxReasons;
  $('max-reasons').textContent = String(maxReasons);
  for (const d of survey.decisions) choice($('decision-choices'), 'radio', 'decision', d.code, d.label);
  for (const r of survey.reasons) { labels.set(r.code, r.label); choice($('reason-choices'), 'checkbox', 'reason', r.code, r.label); }
  for (const r of survey.roles) choice($('role-choices'), 'radio', 'role', r.code, r.label);
  $('decision-choices').addEventListener('change', () => { $('q-vendor').hidden = checked('decision')[0] !== 'chose_other'; });
  $('reason-choices').addEventListener('change', refreshReasons);
  $('survey').addEventListener('submit', send);
  $('loading').hidden = true;
  $('survey').hidden = false;
}

window.addEventListener('offline', () => status("You're offline. Keep going — your answers stay on this page until you can send them."));
window.addEventListener('online', () => { if ($('status').textContent.includes('offline')) status("You're back online.", true); });
load();
