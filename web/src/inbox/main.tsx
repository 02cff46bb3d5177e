import { render } from "preact";
import { App } from "./app";
import { loadConfig } from "./auth";

const root = document.getElementById("app")!;
// The static "Loading…" placeholder goes: preact would keep it beside the app.
root.replaceChildren();
loadConfig()
  .then((config) => render(<App config={config} />, root))
  .catch((err: unknown) => {
    root.textContent = `The inbox cannot start: ${err instanceof Error ? err.message : String(err)}`;
  });
