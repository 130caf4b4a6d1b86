// Starts the vendored GraphiQL on /graphql. Requests ride on the staff session cookie, so they
// carry the page's CSRF token; the picker opens one of graphql/operations/ in a fresh editor.
(function () {
  const root = document.getElementById("graphiql");
  if (!root || !window.GraphiQL || !window.React || !window.ReactDOM) return;
  const operations = JSON.parse(document.getElementById("graphql-operations").textContent);
  const byName = Object.fromEntries(operations.map((op) => [op.name, op]));
  const fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    headers: { "X-CSRF-Token": root.dataset.csrf },
  });
  // Tabs live in memory: a reload starts from the picked example, and no query text (which may
  // hold customers' names) is left in the browser's storage.
  function memoryStorage() {
    const items = new Map();
    return {
      getItem: (key) => (items.has(key) ? items.get(key) : null),
      setItem: (key, value) => items.set(key, String(value)),
      removeItem: (key) => items.delete(key),
      clear: () => items.clear(),
      get length() {
        return items.size;
      },
    };
  }
  // An example's "# Variables: {...}" comment (it may run over several comment lines) fills the
  // variables editor, so the picked operation runs as it is.
  function exampleVariables(query) {
    const lines = query.split("\n");
    const start = lines.findIndex((line) => /^#\s*Variables:/.test(line));
    if (start < 0) return undefined;
    let text = "";
    for (let i = start; i < lines.length && lines[i].startsWith("#"); i++) {
      text += " " + lines[i].replace(/^#\s*(Variables:)?/, "");
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch (error) {
        // not complete yet: read the next comment line
      }
    }
    return undefined;
  }
  const reactRoot = ReactDOM.createRoot(root);
  function show(name) {
    const op = byName[name] || operations[0];
    const variables = op ? exampleVariables(op.query) : undefined;
    const tab = op ? [{ query: op.query, variables: variables }] : undefined;
    reactRoot.render(
      React.createElement(GraphiQL, {
        key: name,
        fetcher: fetcher,
        defaultTabs: tab,
        query: op ? op.query : undefined,
        variables: variables,
        storage: memoryStorage(),
        shouldPersistHeaders: false,
        defaultEditorToolsVisibility: "variables",
      })
    );
    root.setAttribute("data-operation", name);
  }
  const picker = document.getElementById("operation-picker");
  picker.addEventListener("change", () => show(picker.value));
  show(picker.value || root.dataset.initial);
})();
