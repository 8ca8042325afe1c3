// The page: sign-in, the task list with its filters, and live updates.
// Every user-provided string goes into the DOM as text (textContent, input values), never as
// HTML, so a title such as <img src=x onerror=...> stays a title.

import * as api from "./api.js";
import { connect } from "./live.js";

const PER_PAGE = 50;
const SEARCH_DELAY_MS = 250;
const SESSION_ENDED = "Your session has ended; please sign in again.";
const STATE_LABELS = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  offline: "offline",
};

const $ = (id) => document.getElementById(id);
const authForm = $("auth-form");
const newTaskForm = $("new-task");
const filters = $("filters");
const list = $("task-list");

let page = 1;
let editingId = null;
let disconnect = null;
// Rows currently shown, by task id, so unchanged rows (and an open edit form) are kept.
let rows = new Map();

// --- small DOM helpers -------------------------------------------------------------------

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function button(text, onClick) {
  const node = element("button", { type: "button", textContent: text });
  node.addEventListener("click", onClick);
  return node;
}

function showError(node, error) {
  node.textContent = error ? describe(error) : "";
  node.hidden = !error;
}

function describe(error) {
  if (!(error instanceof api.ApiError)) return "Cannot reach the server; try again.";
  const details = Object.entries(error.details ?? {}).map(
    ([field, messages]) => `${field}: ${[messages].flat().join(" ")}`,
  );
  return [error.message, ...details].join(" ");
}

function setConnection(state) {
  const node = $("connection");
  node.dataset.state = state;
  node.textContent = STATE_LABELS[state];
}

// --- signing in and out ------------------------------------------------------------------

function showSignedOut(message = "") {
  disconnect?.();
  disconnect = null;
  setConnection("offline");
  editingId = null;
  rows = new Map();
  list.replaceChildren();
  $("account").hidden = true;
  $("tasks").hidden = true;
  $("auth").hidden = false;
  authForm.reset();
  const error = $("auth-error");
  error.textContent = message;
  error.hidden = !message;
}

function showSignedIn() {
  $("account-email").textContent = api.signedInEmail();
  $("auth").hidden = true;
  $("account").hidden = false;
  $("tasks").hidden = false;
  page = 1;
  loadTasks();
  disconnect = connect({
    onState: setConnection,
    onConnect: loadTasks, // catch up on whatever happened while disconnected
    onTask: loadTasks,
    onSessionEnded: () => {
      api.forgetSession();
      showSignedOut(SESSION_ENDED);
    },
  });
}

authForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const action = event.submitter?.value === "register" ? "register" : "login";
  const form = new FormData(authForm);
  try {
    await api.signIn(action, form.get("email"), form.get("password"));
  } catch (error) {
    showError($("auth-error"), error);
    return;
  }
  showSignedIn();
});

$("logout").addEventListener("click", async () => {
  disconnect?.();
  disconnect = null;
  try {
    await api.signOut();
  } catch {
    // The session is forgotten locally either way.
  }
  showSignedOut();
});

// Runs an API action; a session that has ended sends the page back to the sign-in form.
async function run(action) {
  try {
    const result = await action();
    showError($("tasks-error"), null);
    return result;
  } catch (error) {
    if (error instanceof api.SessionEnded) showSignedOut(SESSION_ENDED);
    else showError($("tasks-error"), error);
    return undefined;
  }
}

// --- the task list -----------------------------------------------------------------------

function listQuery() {
  const params = new URLSearchParams({ page, per_page: PER_PAGE });
  for (const [name, value] of new FormData(filters)) {
    if (value.trim()) params.set(name, value.trim());
  }
  return params;
}

// The server owns filtering, sorting and paging, so any change (ours or a live event) just
// reloads the current view. Calls that overlap are merged into one more load.
let loading = null;
let loadAgain = false;

function loadTasks() {
  if (loading) {
    loadAgain = true;
    return loading;
  }
  loading = run(() => api.api("GET", `/api/tasks?${listQuery()}`))
    .then((body) => body && render(body))
    .finally(() => {
      loading = null;
      if (loadAgain) {
        loadAgain = false;
        loadTasks();
      }
    });
  return loading;
}

function render(body) {
  if (body.items.length === 0 && body.page > 1) {
    page = Math.max(1, body.pages); // the last page emptied: show the new last page
    loadTasks();
    return;
  }
  const next = new Map();
  for (const task of body.items) {
    const row = rows.get(task.id);
    const keep = row && (row.task.updated_at === task.updated_at || task.id === editingId);
    next.set(task.id, keep ? row : { task, node: taskRow(task) });
  }
  rows = next;
  // Move only what moved, so an open edit form keeps its focus and what was typed.
  [...next.values()].forEach(({ node }, index) => {
    if (list.children[index] !== node) list.insertBefore(node, list.children[index] ?? null);
  });
  while (list.children.length > next.size) list.lastElementChild.remove();

  $("empty").hidden = body.items.length > 0;
  $("page-info").textContent = `Page ${body.page} of ${Math.max(1, body.pages)}`;
  $("pager").hidden = body.pages <= 1;
  $("prev-page").disabled = body.page <= 1;
  $("next-page").disabled = body.page >= body.pages;
}

function taskRow(task) {
  const done = element("input", {
    type: "checkbox",
    checked: task.status === "done",
    ariaLabel: "Done",
  });
  done.addEventListener("change", async () => {
    const saved = await change(task.id, { status: done.checked ? "done" : "open" });
    if (!saved) done.checked = task.status === "done";
  });
  const details = element(
    "div",
    { className: "task-details" },
    element("span", { className: "task-title", textContent: task.title }),
  );
  if (task.due_date) {
    details.append(element("span", { className: "task-due", textContent: `due ${task.due_date}` }));
  }
  if (task.description) {
    details.append(element("p", { className: "task-description", textContent: task.description }));
  }
  const node = element(
    "li",
    { className: `task ${task.status}` },
    done,
    details,
    button("Edit", () => startEditing(task)),
    button("Delete", () => remove(task.id)),
  );
  node.dataset.taskId = task.id;
  return node;
}

function editRow(task) {
  const form = element(
    "form",
    { className: "task-form" },
    element("input", { name: "title", value: task.title, required: true, ariaLabel: "Title" }),
    element("input", {
      name: "due_date",
      type: "date",
      value: task.due_date ?? "",
      ariaLabel: "Due date",
    }),
    element("textarea", { name: "description", value: task.description, ariaLabel: "Description" }),
    element("button", { type: "submit", textContent: "Save" }),
    button("Cancel", stopEditing),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const saved = await change(task.id, taskFields(form));
    if (saved && editingId === task.id) {
      editingId = null;
      showRow(saved, taskRow(saved));
    }
  });
  const node = element("li", { className: "task editing" }, form);
  node.dataset.taskId = task.id;
  return node;
}

function showRow(task, node) {
  rows.get(task.id)?.node.replaceWith(node);
  rows.set(task.id, { task, node });
}

function startEditing(task) {
  if (editingId !== null) stopEditing();
  editingId = task.id;
  showRow(task, editRow(task));
  rows.get(task.id).node.querySelector("input").focus();
}

// Back to the plain row; the reload then brings any change made meanwhile elsewhere.
function stopEditing() {
  const row = rows.get(editingId);
  editingId = null;
  if (row) showRow(row.task, taskRow(row.task));
  loadTasks();
}

function taskFields(form) {
  const data = new FormData(form);
  return {
    title: data.get("title"),
    description: data.get("description"),
    due_date: data.get("due_date") || null,
  };
}

function change(id, fields) {
  return run(async () => {
    const task = await api.api("PATCH", `/api/tasks/${id}`, fields);
    loadTasks();
    return task;
  });
}

function remove(id) {
  return run(async () => {
    await api.api("DELETE", `/api/tasks/${id}`);
    loadTasks();
  });
}

newTaskForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = taskFields(newTaskForm);
  if (!fields.due_date) delete fields.due_date;
  const created = await run(() => api.api("POST", "/api/tasks", fields));
  if (created) {
    newTaskForm.reset();
    await loadTasks();
  }
});

// --- filters and paging --------------------------------------------------------------------

let searchTimer = null;

function filtersChanged() {
  page = 1;
  loadTasks();
}

filters.addEventListener("submit", (event) => event.preventDefault());
filters.addEventListener("change", filtersChanged);
filters.elements.q.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(filtersChanged, SEARCH_DELAY_MS);
});
$("prev-page").addEventListener("click", () => {
  page -= 1;
  loadTasks();
});
$("next-page").addEventListener("click", () => {
  page += 1;
  loadTasks();
});

// --- start ---------------------------------------------------------------------------------

if (api.signedInEmail()) showSignedIn();
else showSignedOut();
