// Live updates: a Socket.IO connection that reconnects by itself and reports its state.
// `io` comes from the vendored socket.io.min.js (a classic script loaded before this module).

import { SessionEnded, accessToken, refreshTokens } from "./api.js";

const TASK_EVENTS = ["task_created", "task_updated", "task_deleted"];
const REFRESH_RETRY_MS = 5000;

// handlers: onState(state) with state "connecting" | "live" | "reconnecting" | "offline";
// onConnect() after every (re)connection; onTask(event, task); onSessionEnded().
// Returns a function that closes the connection for good.
export function connect({ onState, onConnect, onTask, onSessionEnded }) {
  const socket = window.io({
    transports: ["websocket"],
    // Called on every attempt, so a reconnection presents the current access token.
    auth: (cb) => cb({ token: accessToken() }),
  });
  let stopped = false;
  let authRetried = false;

  const report = (state) =>
    onState(state === "reconnecting" && !navigator.onLine ? "offline" : state);
  const onBrowserOffline = () => report("reconnecting");

  report("connecting");
  socket.on("connect", () => {
    authRetried = false;
    report("live");
    onConnect();
  });
  socket.on("disconnect", () => report(socket.active ? "reconnecting" : "offline"));
  socket.io.on("reconnect_attempt", () => report("reconnecting"));
  socket.on("connect_error", async () => {
    if (socket.active) {
      report("reconnecting"); // the server is unreachable; Socket.IO keeps trying
      return;
    }
    // The server refused the token (expired or revoked): refresh once, then try again.
    if (authRetried) {
      report("offline");
      return;
    }
    authRetried = true;
    report("reconnecting");
    try {
      await refreshTokens();
      if (!stopped) socket.connect();
    } catch (error) {
      if (error instanceof SessionEnded) {
        onSessionEnded();
        return;
      }
      // The refresh itself failed (server unreachable): try the whole thing again later.
      authRetried = false;
      setTimeout(() => stopped || socket.connect(), REFRESH_RETRY_MS);
    }
  });
  socket.on("session_revoked", onSessionEnded);
  for (const event of TASK_EVENTS) {
    socket.on(event, (task) => onTask(event, task));
  }
  window.addEventListener("offline", onBrowserOffline);

  return () => {
    stopped = true;
    window.removeEventListener("offline", onBrowserOffline);
    socket.disconnect();
  };
}
